/*
 * pt_settings.h — the ptopt.* settings (GUCs).
 */
#ifndef PTOPT_PT_SETTINGS_H
#define PTOPT_PT_SETTINGS_H

#define PTOPT_DEFAULT_PROGRESS_LINES 20

extern bool ptopt_progress_notices;
extern int	ptopt_progress_lines;
extern int	ptopt_backtest_threads;	/* 0: automatic (CLOB_THREADS_AUTO) */

/* ptopt.backtest_threads for an objective (PtObjectiveInit.threads). */
extern int	PtBacktestObjectiveThreads(void);

#endif							/* PTOPT_PT_SETTINGS_H */
