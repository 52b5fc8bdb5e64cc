/*
 * gates.h — the hard safety gates: families that no search may touch.
 *
 * A key is gated when its dot-separated path (nested object keys joined with
 * dots) contains a family's segments, whole and consecutive, compared
 * case-insensitively: "risk.killswitch.max_loss_pusd", "RISK.KillSwitch",
 * {"risk": {"killswitch": {...}}} are gated; "risk.killswitchx" and
 * "risk.inventory.q_soft_frac" are not.
 */
#ifndef PTOPT_GATES_H
#define PTOPT_GATES_H

#include <stdbool.h>
#include <stddef.h>

#include "pt_error.h"

#define PT_GATE_KEY_MAX 1024		/* longest key path reported */

typedef struct PtGateFamily
{
	const char *family;			/* "risk.killswitch" */
	const char *covers;			/* what it covers, for ptopt_hard_gates() */
} PtGateFamily;

/* The gate families; *n receives their count. */
extern const PtGateFamily *PtGateFamilies(int *n);

/* The family a dotted key falls in, or NULL. */
extern const char *PtGateMatchKey(const char *dotted_key);

/*
 * Scan JSON text (any value; objects are walked recursively, arrays element
 * by element) for a gated key.  prefix is the dotted path the text sits
 * under ("" or NULL for none).  On a hit returns PT_ERR_HARD_GATE with err
 * set: message 'OPT_REFUSED_HARD_GATE: "<key>" is a hard safety gate', the
 * key path and family in detail, the remedy in hint.  where names the
 * argument in the detail ("the search space", "options.fixed").  Malformed
 * JSON gives PT_ERR_INVALID_TEXT.
 */
extern int	PtGateCheckJson(const char *json_text, const char *prefix,
							const char *where, PtError *err);

/*
 * PtGateCheckJson with no prefix that also copies the gated key path into
 * key_out (truncated to key_size) when it returns PT_ERR_HARD_GATE.
 */
extern int	PtGateFindKey(const char *json_text, char *key_out, size_t key_size, PtError *err);

/* PtGateCheckJson on a value already parsed (json-c). */
struct json_object;
extern int	PtGateCheckObject(struct json_object *value, const char *prefix, const char *where,
							  PtError *err);

/*
 * Check one dotted key path (a walker of its own, like the glue's jsonb
 * walk, calls this at every key).  rel_start is where the part after a
 * prefix begins (0 without one).  On a hit returns PT_ERR_HARD_GATE with
 * err set as PtGateCheckJson sets it, and copies the key into key_out when
 * given.
 */
extern int	PtGateCheckPath(const char *path, size_t rel_start, const char *where,
							char *key_out, size_t key_size, PtError *err);

#endif							/* PTOPT_GATES_H */
