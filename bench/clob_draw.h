/*
 * clob_draw.h — one uniform draw over a tunable parameter's range, the law of
 * ptopt_default_space() under random search (log scale where the table says
 * so, ints and bools uniform over their values); shared by the CLOB benches.
 */
#ifndef PTOPT_BENCH_CLOB_DRAW_H
#define PTOPT_BENCH_CLOB_DRAW_H

#include <math.h>

#include "clob.h"
#include "rng.h"

/* One uniform draw over a parameter's range. */
static inline double
ClobBenchDraw(PtRng *rng, const ClobParamInfo *p)
{
	double		u = PtRngUniform(rng);

	if (p->kind == CLOB_PARAM_BOOL)
		return u < 0.5 ? 0 : 1;
	if (p->kind == CLOB_PARAM_INT)
	{
		double		v = p->log ? floor(exp(log(p->low) + u * (log(p->high + 1) - log(p->low))))
			: floor(p->low + u * (p->high - p->low + 1));

		return v > p->high ? p->high : v;
	}
	if (p->log)
		return exp(log(p->low) + u * (log(p->high) - log(p->low)));
	return p->low + u * (p->high - p->low);
}

#endif							/* PTOPT_BENCH_CLOB_DRAW_H */
