/*
 * pt_replay.h — a run's strategy rebuilt from its stored rows, to propose the next iterations.
 *
 * ptopt_ask rebuilds the plan, the strategy and the history of an external
 * run on each call, as a resume does: first the warm-start trials of
 * options.warm_start_from, then the run's own rows in iteration order.  A
 * pending row (asked, not yet told) enters the history as a constant lie: an
 * ok trial with the worst score seen so far (failed while no trial is ok), as
 * Optuna's constant_liar counts running trials as bad ones, so that the
 * points handed out next stay away from the ones in flight.
 */
#ifndef PTOPT_PT_REPLAY_H
#define PTOPT_PT_REPLAY_H

#include "postgres.h"

typedef struct PtReplay PtReplay;

/* One proposal: the parameter set to store and hand out, and what the row records. */
typedef struct PtReplayProposal
{
	char	   *params_json;	/* palloc'd */
	const char *source;			/* "random", "tpe", ... */
	char	   *reasoning;		/* palloc'd, or NULL */
	double		propose_ms;
	long		tokens_in;
	long		tokens_out;
} PtReplayProposal;

/* Rebuild a stored run's strategy and history (expects an SPI connection). */
extern PtReplay *PtReplayOpen(int64 run_id, const char *space_json, const char *strategy,
							  const char *options_json, int64 seed, int budget);

/* Propose iteration iter; the point joins the history as pending (a constant lie). */
extern void PtReplayPropose(PtReplay *replay, int iter, PtReplayProposal *out);

/* Free what PtReplayOpen built. */
extern void PtReplayClose(PtReplay *replay);

#endif							/* PTOPT_PT_REPLAY_H */
