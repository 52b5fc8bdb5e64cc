/*
 * pt_asktell.h — runs evaluated outside the database (options.objective = 'external').
 */
#ifndef PTOPT_PT_ASKTELL_H
#define PTOPT_PT_ASKTELL_H

#include "postgres.h"

#define PT_EXTERNAL_OBJECTIVE "external"	/* options.objective of an ask/tell run */

/*
 * Write the row of a new external run (status running, no worker) in the
 * caller's transaction and return its run_id; the arguments have been
 * validated.
 */
extern int64 PtExternalRunCreate(const char *space_json, const char *strategy,
								 const char *options_json, const char *label, int64 seed,
								 int budget);

/*
 * Cancel an external run (no worker to signal: its row is closed here);
 * false when it was not running.  Expects an SPI connection.
 */
extern bool PtExternalRunCancel(int64 run_id);

#endif							/* PTOPT_PT_ASKTELL_H */
