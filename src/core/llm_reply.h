/*
 * llm_reply.h — reads a model's answer (untrusted input) into points of the space.
 *
 * The first JSON object in the text is taken (prose and code fences around
 * it are fine).  It holds {"params": {...}, "reasoning": "..."}, or
 * {"candidates": [{"params": ..., "reasoning": ...}, ...]}, or for llm_tpe
 * {"choice": n, "reasoning": "..."}; a bare object of parameter names is read
 * as params.  Unknown keys are dropped and noted; gated keys make the
 * proposal refused (keys named, their values dropped); numbers written as
 * strings and choices written as their text are coerced and noted, anything
 * else of the wrong type rejects the proposal; values out of range are
 * clipped, ints rounded, stepped values put on the grid, each noted;
 * parameters left out take the base point's value (the best so far), noted.
 */
#ifndef PTOPT_LLM_REPLY_H
#define PTOPT_LLM_REPLY_H

#include <stdbool.h>

#include "history.h"
#include "llm_prompt.h"
#include "pt_error.h"
#include "space.h"

#define PT_LLM_NOTES_MAX 600			/* bytes of the reader's notes on one proposal */
#define PT_LLM_REPLY_REASONING_MAX 2000	/* bytes of the model's reasoning kept */
#define PT_LLM_GATED_KEYS_MAX 512		/* bytes of the gated key list */
#define PT_LLM_JSON_STARTS_MAX 64		/* '{' positions tried when looking for the object */

typedef struct PtLlmCandidate
{
	double		x[PT_SPACE_MAX_PARAMS];	/* a valid point of the space */
	char	   *reasoning;		/* the model's, PtMalloc'd, or NULL */
	char	   *notes;			/* what the reader changed, PtMalloc'd, or NULL */
	char	   *gated_keys;		/* non-NULL: refused; the gated keys, comma-separated */
	int			choice;			/* llm_tpe: the TPE candidate picked (0-based), else -1 */
} PtLlmCandidate;

typedef struct PtLlmParsed
{
	int			n;				/* usable candidates, in the model's order */
	PtLlmCandidate c[PT_LLM_MAX_CANDIDATES];
	int			n_rejected;		/* proposals that could not be used */
} PtLlmParsed;

/*
 * Read text into out.  base gives the values of parameters left out (NULL:
 * defaults, else the middle of the range or the first choice); tpe_points
 * and n_tpe are llm_tpe's candidates for "choice".  PT_ERR_LLM_REPLY with the
 * reason in the detail when nothing usable is found.  out is always safe to
 * free with PtLlmParsedFree.
 */
extern int	PtLlmReplyRead(const PtSpace *space, const char *text, const double *base,
						   const double *tpe_points, int n_tpe, PtLlmParsed *out, PtError *err);

/* Free what a parsed reply holds. */
extern void PtLlmParsedFree(PtLlmParsed *parsed);

/* The iteration of a trial in history with exactly this point, or 0. */
extern int	PtLlmFindRepeat(const PtHistory *history, const double *x);

#endif							/* PTOPT_LLM_REPLY_H */
