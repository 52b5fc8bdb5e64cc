/*
 * tpe_split.c — which trials TPE learns from, and how much each counts.
 *
 * Optuna 3.1 learns from COMPLETE trials only; ptopt's ok trials are those,
 * failed and refused trials are left out (never good, never bad).  The best
 * gamma(n) by score are good; ties go to the earlier trial.
 */
#include <math.h>

#include "tpe.h"

/* gamma(n) = min(ceil(f n), 25), in doubles as Optuna computes it. */
int
TpeGamma(double f, int n)
{
	double		g = ceil(f * (double) n);

	if (g > TPE_GAMMA_CAP)
		return TPE_GAMMA_CAP;
	if (g < 0.0)
		return 0;
	return (int) g;
}

/* default_weights(n): ones below 25, else numpy's linspace(1/n, 1, n - 25) then 25 ones. */
void
TpeDefaultWeights(int n, double *w)
{
	int			num = n - TPE_WEIGHTS_FLAT;
	int			i;

	if (n < TPE_WEIGHTS_FLAT)
	{
		for (i = 0; i < n; i++)
			w[i] = 1.0;
		return;
	}
	if (num == 1)
		w[0] = 1.0 / n;
	else if (num > 1)
	{
		double		start = 1.0 / n;
		double		step = (1.0 - start) / (num - 1);

		for (i = 0; i < num; i++)
			w[i] = (double) i * step + start;
		w[num - 1] = 1.0;
	}
	for (i = (num > 0 ? num : 0); i < n; i++)
		w[i] = 1.0;
}

/* True when trial a ranks before trial b: higher score, or equal and earlier. */
static inline bool
ranks_before(const double *scores, int a, int b)
{
	return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
}

/* Split into the n_below best (score descending, stable) and the rest, both in time order. */
void
TpeSplit(const double *scores, int n, int n_below, int *below, int *above)
{
	int			best[TPE_GAMMA_CAP];
	int			n_best = 0;
	int			i;
	int			j;
	int			nb;
	int			na;

	if (n_below > n)
		n_below = n;
	if (n_below > TPE_GAMMA_CAP)
		n_below = TPE_GAMMA_CAP;

	/* keep the n_below best in rank order; O(n * gamma) with gamma <= 25 */
	for (i = 0; i < n && n_below > 0; i++)
	{
		if (n_best == n_below && !ranks_before(scores, i, best[n_best - 1]))
			continue;
		j = n_best < n_below ? n_best++ : n_best - 1;
		while (j > 0 && ranks_before(scores, i, best[j - 1]))
		{
			best[j] = best[j - 1];
			j--;
		}
		best[j] = i;
	}

	/* back to time order: sort the few best indexes, then walk once */
	for (i = 1; i < n_best; i++)
	{
		int			v = best[i];

		for (j = i; j > 0 && best[j - 1] > v; j--)
			best[j] = best[j - 1];
		best[j] = v;
	}
	nb = 0;
	na = 0;
	for (i = 0; i < n; i++)
	{
		if (nb < n_best && best[nb] == i)
			below[nb++] = i;
		else
			above[na++] = i;
	}
}

/* The trials TPE may learn from: ok, with a score that is a number. */
int
TpeUsableTrials(const PtHistory *history, int *idx)
{
	int			n = 0;
	int			i;

	if (history == NULL)
		return 0;
	for (i = 0; i < history->n; i++)
	{
		const PtTrial *t = &history->trials[i];

		if (t->status == PT_TRIAL_OK && !isnan(t->score))
			idx[n++] = i;
	}
	return n;
}
