/*
 * clob_facts.c — stylized facts of each scenario preset.
 *
 * Usage: clob_facts [seeds] [params_json] [overrides_json]
 *
 * Per preset, over `seeds` training worlds (default 8): first the market
 * alone (every strategy order refused by the compliance gate): the median
 * background spread in ticks, the mean depth at the best bid plus ask, and
 * the informed share of taker volume; then the market maker with the given
 * parameters (default: the shipped defaults): its edge at the fill per share
 * against noise and against informed takers, adverse selection cost, 60 s
 * markout, net PnL, score.  Reports numbers; asserts nothing.
 */
#include <stdio.h>
#include <stdlib.h>

#include "clob.h"
#include "clob_internal.h"
#include "clob_world.h"
#include "pt_alloc.h"

#define IDLE_POLICY "{\"risk.compliancegate.jurisdiction_allowlist\": [\"nowhere\"]}"

/* Run one trial; per-seed metrics through *m (valid until the session is freed). */
static ClobSession *
run(const char *options, const char *policy, const char *params, double *score,
	const ClobSeedMetrics **m, int *n)
{
	PtError		err;
	ClobResult	res;
	ClobSession *s = ClobSessionCreate(options, policy, &err);

	if (s == NULL || ClobSessionRun(s, params, NULL, &res, &err) != PT_OK)
	{
		fprintf(stderr, "clob_facts: %s\n", err.message);
		exit(1);
	}
	*score = res.score;
	ClobResultClear(&res);
	(void) ClobSessionSeedMetrics(s, m, n);
	return s;
}

/* Print the facts of every preset. */
int
main(int argc, char **argv)
{
	int			seeds = argc > 1 ? atoi(argv[1]) : 8;
	const char *params = argc > 2 && argv[2][0] != '\0' ? argv[2] : NULL;
	const char *over = argc > 3 ? argv[3] : "{}";
	char		opts[1024];
	int			p;

	if (seeds < 1 || seeds > CLOB_MAX_SEEDS)
		seeds = 8;
	printf("# clob_facts: %d training worlds per preset; market alone, then the maker (%s)\n", seeds,
		   params ? params : "shipped defaults");
	printf("%-8s %7s %8s %9s | %9s %9s %8s %8s %8s %8s %8s\n", "preset", "spread", "depth", "informed",
		   "edge/sh", "edge/sh", "adverse", "mk60/sh", "fills", "pnl", "score");
	printf("%-8s %7s %8s %9s | %9s %9s %8s %8s %8s %8s %8s\n", "", "ticks", "shares", "share",
		   "v noise", "v inform", "pUSD", "pUSD", "/seed", "/seed", "");
	for (p = 0; p <= CLOB_N_PRESETS; p++)
	{
		const char *name = p < CLOB_N_PRESETS ? ClobPresetName(p) : "mixed";
		const ClobSeedMetrics *m;
		ClobSession *s;
		double		score;
		double		spread = 0;
		double		depth = 0;
		double		noise = 0;
		double		inf = 0;
		double		env = 0;
		double		evi = 0;
		double		shn = 0;
		double		shi = 0;
		double		adv = 0;
		double		mk = 0;
		double		fills = 0;
		double		pnl = 0;
		int			n;
		int			i;

		snprintf(opts, sizeof(opts),
				 "{\"scenario\": \"%s\", \"train_seeds\": %d, \"holdout_seeds\": 0, \"overrides\": %s}",
				 name, seeds, over);
		s = run(opts, IDLE_POLICY, NULL, &score, &m, &n);
		for (i = 0; i < n; i++)
		{
			spread += m[i].spread_ticks_median / n;
			depth += m[i].top_depth_mean / n;
			noise += m[i].noise_shares;
			inf += m[i].informed_shares;
		}
		ClobSessionFree(s);
		s = run(opts, NULL, params, &score, &m, &n);
		for (i = 0; i < n; i++)
		{
			env += m[i].edge_vs_noise;
			evi += m[i].edge_vs_informed;
			shn += m[i].shares_vs_noise;
			shi += m[i].shares_vs_informed;
			adv += m[i].adverse_selection_cost / n;
			mk += m[i].markout[2] / n;
			fills += (double) m[i].fills_maker / n;
			pnl += m[i].net_pnl / n;
		}
		ClobSessionFree(s);
		printf("%-8s %7.2f %8.1f %8.1f%% | %9.5f %9.5f %8.2f %8.5f %8.1f %8.2f %8.4f\n", name, spread, depth,
			   100.0 * inf / (noise + inf), shn > 0 ? env / shn : 0, shi > 0 ? evi / shi : 0, adv, mk, fills,
			   pnl, score);
	}
	return PtAllocLive() == 0 ? 0 : 1;
}
