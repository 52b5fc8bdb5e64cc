/*
 * clob_digest.c — a fingerprint of the backtest's results, for speed work.
 *
 * Usage: clob_digest [draws] [threads]
 *
 * Runs the shipped defaults and `draws` uniform draws over the tunable
 * parameters (fixed seed) on the default options and on each preset with
 * held-out worlds, and prints one FNV-1a hash per scenario over every
 * envelope (all metrics of every world, printed to 17 digits) and held-out
 * score.  A change meant only to be faster must leave every line unchanged,
 * and so must any thread count (the worlds of a trial played at once).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clob.h"
#include "clob_internal.h"
#include "pt_alloc.h"
#include "rng.h"

#include "clob_draw.h"

#define DEFAULT_DRAWS 40
#define DIGEST_SEED 7

static const char *const OPTIONS[] = {
	"{}",
	"{\"scenario\": \"calm\", \"holdout_seeds\": 2}",
	"{\"scenario\": \"news\", \"holdout_seeds\": 2}",
	"{\"scenario\": \"toxic\", \"holdout_seeds\": 2}",
	"{\"scenario\": \"thin\", \"holdout_seeds\": 2}",
	"{\"scenario\": \"closing\", \"holdout_seeds\": 2}",
	"{\"scenario\": \"restart\", \"holdout_seeds\": 2}",
};

/* FNV-1a over a byte string, continuing from h. */
static uint64_t
fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* Hash every trial of one scenario; false on an error. */
static bool
digest_scenario(const char *options, int draws, int threads, uint64_t *hash)
{
	int			n;
	const ClobParamInfo *info = ClobTunableParams(&n);
	double		values[CLOB_N_PARAMS];
	PtError		err;
	PtRng		rng;
	ClobSession *s = ClobSessionCreate(options, NULL, &err);
	uint64_t	h = 14695981039346656037ULL;
	int			d;
	int			k;

	if (s == NULL)
	{
		fprintf(stderr, "clob_digest: %s\n", err.message);
		return false;
	}
	ClobSessionSetThreads(s, threads);
	PtRngSeed(&rng, DIGEST_SEED);
	for (d = 0; d <= draws; d++)
	{
		ClobResult r;
		double		hold;
		char		buf[64];

		for (k = 0; k < n; k++)
			values[k] = d == 0 ? info[k].default_value : ClobBenchDraw(&rng, &info[k]);
		if (ClobSessionRunValues(s, values, NULL, &r, &err) != PT_OK ||
			ClobSessionRunHoldout(s, values, NULL, &hold, NULL, &err) != PT_OK)
		{
			fprintf(stderr, "clob_digest: %s\n", err.message);
			ClobSessionFree(s);
			return false;
		}
		h = fnv(h, r.envelope_json, strlen(r.envelope_json));
		snprintf(buf, sizeof(buf), "%.17g", hold);
		h = fnv(h, buf, strlen(buf));
		ClobResultClear(&r);
	}
	ClobSessionFree(s);
	*hash = h;
	return true;
}

/* One digest line per scenario. */
int
main(int argc, char **argv)
{
	int			draws = argc > 1 ? atoi(argv[1]) : DEFAULT_DRAWS;
	int			threads = argc > 2 ? atoi(argv[2]) : 1;
	size_t		i;

	if (draws < 0)
		draws = DEFAULT_DRAWS;
	for (i = 0; i < sizeof(OPTIONS) / sizeof(OPTIONS[0]); i++)
	{
		uint64_t	h;

		if (!digest_scenario(OPTIONS[i], draws, threads, &h))
			return 1;
		printf("%016llx  %s\n", (unsigned long long) h, OPTIONS[i]);
	}
	return 0;
}
