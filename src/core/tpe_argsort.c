/*
 * tpe_argsort.c — numpy 1.24's default argsort, so ties sort as in Optuna.
 *
 * TPE's bandwidth of a kernel is the larger gap to its sorted neighbours; two
 * kernels on the same value get different gaps, and which gets which is
 * decided by the order the sort leaves them in.  numpy's "quicksort" is an
 * introsort; this is the same algorithm step for step (aquicksort and
 * aheapsort of numpy/core/src/npysort), so equal means come out in the
 * same order as in Optuna.
 */
#include <stdbool.h>

#include "tpe.h"

#define NPY_SMALL_QUICKSORT 15
#define NPY_QS_STACK 128

/* numpy's less-than for doubles (NaNs sort last). */
static inline bool
npy_less(double a, double b)
{
	return a < b || (b != b && a == a);
}

/* floor(log2(n)) for n > 0 (npy_get_msb). */
static int
npy_msb(unsigned long n)
{
	int			depth = 0;

	while (n >>= 1)
		depth++;
	return depth;
}

/* numpy's aheapsort over tosort[0..n-1]. */
static void
npy_aheapsort(const double *v, int *tosort, long n)
{
	int		   *a = tosort - 1;	/* 1-based heap indexing */
	long		i;
	long		j;
	long		l;
	int			tmp;

	for (l = n >> 1; l > 0; --l)
	{
		tmp = a[l];
		for (i = l, j = l << 1; j <= n;)
		{
			if (j < n && npy_less(v[a[j]], v[a[j + 1]]))
				j += 1;
			if (npy_less(v[tmp], v[a[j]]))
			{
				a[i] = a[j];
				i = j;
				j += j;
			}
			else
				break;
		}
		a[i] = tmp;
	}
	for (; n > 1;)
	{
		tmp = a[n];
		a[n] = a[1];
		n -= 1;
		for (i = 1, j = 2; j <= n;)
		{
			if (j < n && npy_less(v[a[j]], v[a[j + 1]]))
				j++;
			if (npy_less(v[tmp], v[a[j]]))
			{
				a[i] = a[j];
				i = j;
				j += j;
			}
			else
				break;
		}
		a[i] = tmp;
	}
}

#define ISWAP(a, b) do { int t_ = (a); (a) = (b); (b) = t_; } while (0)

/* numpy 1.24's aquicksort: idx receives the permutation sorting v. */
void
TpeArgsort(const double *v, int num, int *idx)
{
	int		   *pl;
	int		   *pr;
	int		   *stack[NPY_QS_STACK];
	int		  **sptr = stack;
	int		   *pm;
	int		   *pi;
	int		   *pj;
	int		   *pk;
	int			vi;
	double		vp;
	int			depth[NPY_QS_STACK];
	int		   *psdepth = depth;
	int			cdepth;
	int			i;

	for (i = 0; i < num; i++)
		idx[i] = i;
	if (num <= 1)
		return;
	pl = idx;
	pr = idx + num - 1;
	cdepth = npy_msb((unsigned long) num) * 2;

	for (;;)
	{
		if (cdepth < 0)
		{
			npy_aheapsort(v, pl, pr - pl + 1);
			goto stack_pop;
		}
		while ((pr - pl) > NPY_SMALL_QUICKSORT)
		{
			/* median of three */
			pm = pl + ((pr - pl) >> 1);
			if (npy_less(v[*pm], v[*pl]))
				ISWAP(*pm, *pl);
			if (npy_less(v[*pr], v[*pm]))
				ISWAP(*pr, *pm);
			if (npy_less(v[*pm], v[*pl]))
				ISWAP(*pm, *pl);
			vp = v[*pm];
			pi = pl;
			pj = pr - 1;
			ISWAP(*pm, *pj);
			for (;;)
			{
				do
					++pi;
				while (npy_less(v[*pi], vp));
				do
					--pj;
				while (npy_less(vp, v[*pj]));
				if (pi >= pj)
					break;
				ISWAP(*pi, *pj);
			}
			pk = pr - 1;
			ISWAP(*pi, *pk);
			/* push the larger partition, loop on the smaller */
			if (pi - pl < pr - pi)
			{
				*sptr++ = pi + 1;
				*sptr++ = pr;
				pr = pi - 1;
			}
			else
			{
				*sptr++ = pl;
				*sptr++ = pi - 1;
				pl = pi + 1;
			}
			*psdepth++ = --cdepth;
		}

		/* insertion sort */
		for (pi = pl + 1; pi <= pr; ++pi)
		{
			vi = *pi;
			vp = v[vi];
			pj = pi;
			pk = pi - 1;
			while (pj > pl && npy_less(vp, v[*pk]))
				*pj-- = *pk--;
			*pj = vi;
		}
stack_pop:
		if (sptr == stack)
			break;
		pr = *(--sptr);
		pl = *(--sptr);
		cdepth = *(--psdepth);
	}
}
