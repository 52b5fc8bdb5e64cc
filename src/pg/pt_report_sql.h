/*
 * pt_report_sql.h — what the report glue shares with other SQL functions (ptopt_explain).
 */
#ifndef PTOPT_PT_REPORT_SQL_H
#define PTOPT_PT_REPORT_SQL_H

#include "postgres.h"

#include "pt_error.h"

/*
 * The fANOVA importance of each searched parameter of a run, most important
 * first; the count, or -1 with err set when the iterations do not allow it.
 */
extern int	PtRunImportance(int64 run_id, char ***names, double **importance, PtError *err);

#endif							/* PTOPT_PT_REPORT_SQL_H */
