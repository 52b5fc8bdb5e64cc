/*
 * fuzz_space.c — PtSpaceParse, then points to JSON and back (src/core/space.c).
 *
 * Input: space [0x01 parameter-set].  A space that parses must
 * hold core's invariants; its corners, defaults and a few uniform points must
 * survive PtSpacePointToJson + PtSpacePointFromJson unchanged; the given
 * parameter set, when it reads, must give values within bounds, grid and
 * choices, and survive the same round trip.
 */
#include "fuzz_common.h"
#include "rng.h"
#include "strategy.h"

#define FUZZ_SPACE_SAMPLES 4		/* uniform points checked per space */

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fuzz one input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long		live = PtAllocLive();
	char	   *text = fuzz_text(data, size);
	bool		utf8 = fuzz_utf8_valid(text, size);
	char	   *parts[FUZZ_MAX_PARTS];
	int			n_parts = fuzz_split(text, parts, 3);
	const char *point = n_parts > 1 ? parts[1] : parts[0];
	PtError		err;
	PtSpace    *space;
	double		x[PT_SPACE_MAX_PARAMS];
	PtRng		rng;
	int			rc;
	int			i;
	int			s;

	space = PtSpaceParse(parts[0], &err);
	if (space == NULL)
	{
		fuzz_check_error(&err, err.code, utf8);
		FUZZ_ASSERT(err.code == PT_ERR_INVALID_TEXT || err.code == PT_ERR_INVALID_PARAMETER ||
					err.code == PT_ERR_OUT_OF_MEMORY, "unexpected code %s", PtErrorCodeName(err.code));
		goto done;
	}
	FUZZ_ASSERT(err.code == PT_OK, "space parsed with an error set");
	fuzz_check_space(space);

	/* Corners: low, high (first and last choice), then the defaults. */
	for (s = 0; s < 3; s++)
	{
		for (i = 0; i < space->n_params; i++)
		{
			const PtParam *p = &space->params[i];
			bool		cat = p->type == PT_PARAM_CATEGORICAL || p->type == PT_PARAM_BOOL;

			if (s == 2 && p->has_default)
				x[i] = p->default_value;
			else if (s == 1)
				x[i] = cat ? p->n_choices - 1 : p->high;
			else
				x[i] = cat ? 0 : p->low;
		}
		fuzz_check_point(space, x, "corner");
		fuzz_round_trip(space, x, "corner");
	}

	/* Uniform points, as random search and TPE's start-up draw them. */
	PtRngSeed(&rng, size);
	for (s = 0; s < FUZZ_SPACE_SAMPLES; s++)
	{
		PtSampleUniformPoint(space, &rng, x);
		fuzz_check_point(space, x, "uniform");
		fuzz_round_trip(space, x, "uniform");
	}

	/* The given parameter set. */
	rc = PtSpacePointFromJson(space, point, "the parameter set", 0, x, &err);
	if (rc != PT_OK)
		fuzz_check_error(&err, rc, utf8);
	else
	{
		fuzz_check_point(space, x, "read");
		fuzz_round_trip(space, x, "read");
	}

	PtSpaceFree(space);
done:
	FUZZ_ASSERT(PtAllocLive() == live, "%ld allocations leaked", PtAllocLive() - live);
	free(text);
	return 0;
}
