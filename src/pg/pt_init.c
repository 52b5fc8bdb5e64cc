/*
 * pt_init.c — the module's one _PG_init: settings of every module.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "clob.h"
#include "objective.h"
#include "objective_clob.h"
#include "pt_alloc_pg.h"
#include "pt_library.h"
#include "pt_llm.h"
#include "pt_settings.h"

PG_MODULE_MAGIC;

bool		ptopt_progress_notices = true;
int			ptopt_progress_lines = PTOPT_DEFAULT_PROGRESS_LINES;
int			ptopt_backtest_threads = CLOB_THREADS_AUTO;

void		_PG_init(void);

/* Note which library file was loaded, point core's allocator at memory contexts, register the backtest objective, define the ptopt.* settings and reserve the prefix. */
void
_PG_init(void)
{
	PtLibraryStampInit();
	PtPgAllocInit();
	PtObjectiveRegister(&PtClobObjective);
	DefineCustomBoolVariable("ptopt.progress_notices",
							 "Relays a search's progress to the client as NOTICE lines.",
							 NULL,
							 &ptopt_progress_notices,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("ptopt.progress_lines",
							"About how many progress lines one search prints.",
							"Every iteration that improves the best is also reported while the total stays near this number.",
							&ptopt_progress_lines,
							PTOPT_DEFAULT_PROGRESS_LINES, 1, 10000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("ptopt.backtest_threads",
							"Threads that play the worlds of one backtest trial at once (0: as many as cores are free).",
							"1 plays them one after another. A trial worker of a parallel run (options.workers) always uses 1.",
							&ptopt_backtest_threads,
							CLOB_THREADS_AUTO, 0, CLOB_MAX_THREADS,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	PtLlmDefineSettings();
	MarkGUCPrefixReserved("ptopt");
}

/* ptopt.backtest_threads as PtObjectiveInit.threads. */
int
PtBacktestObjectiveThreads(void)
{
	return ptopt_backtest_threads == CLOB_THREADS_AUTO ? PT_OBJECTIVE_THREADS_AUTO : ptopt_backtest_threads;
}
