/*
 * pt_glue.h — what the src/pg files share: error mapping, the stop callback,
 * and jsonb <-> text helpers.
 */
#ifndef PTOPT_PT_GLUE_H
#define PTOPT_PT_GLUE_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"

#include "pt_error.h"
#include "pt_stop.h"

/* SQLSTATE of the hard gate: OPT_REFUSED_HARD_GATE. */
#define ERRCODE_PTOPT_HARD_GATE MAKE_SQLSTATE('P','T','0','0','1')

/* Raise a core error as a PostgreSQL ERROR with its SQLSTATE; PT_ERR_CANCELLED runs CHECK_FOR_INTERRUPTS. */
extern void PtRaise(const PtError *error) pg_attribute_noreturn();

/* Replace bytes that are not valid characters of the database encoding with '?', in place. */
extern void PtMakeValidText(char *s);

/* The SQLSTATE a core error code maps to. */
extern int	PtSqlState(PtErrorCode code);

/* The SQLSTATE of a core error: the one it carries (from a SQL objective), or its code's. */
extern int	PtErrorSqlState(const PtError *err);

/* Keep a caught PostgreSQL error whole in a core error: SQLSTATE, message, detail and hint. */
extern void PtErrorFromErrorData(const ErrorData *edata, PtError *err);

/* A stop callback that reports a pending cancel or termination without raising. */
extern const PtStop *PtPgStop(void);

/*
 * A stop callback for work done after a cancel, with interrupts held: it
 * ignores further cancels, and stops at a termination or once ms have passed.
 */
extern const PtStop *PtPgGraceStop(int ms);

/* A jsonb datum as compact text (palloc'd). */
extern char *PtJsonbToText(Jsonb *jb);

/* Text JSON (from core) as a jsonb datum; raises 22P02 on malformed text. */
extern Datum PtTextToJsonb(const char *text);

/* Raise 22004 naming the first NULL argument, except those whose bit is set in nullable. */
extern void PtRequireArgs(FunctionCallInfo fcinfo, uint32 nullable);

/* An interval given as text (an option), in seconds; raises 22023 naming what when it is not positive. */
extern double PtIntervalSeconds(const char *text, const char *what);

/*
 * Run fn(arg) in a subtransaction: NULL when it succeeded, else the error it
 * raised (the subtransaction rolled back); a cancel or worse is re-thrown.
 */
extern ErrorData *PtTrySubtransaction(void (*fn) (void *arg), void *arg);

/* Copy a PtMalloc'd string into the current memory context and PtFree it. */
extern char *PtTakeString(char *s);

#endif							/* PTOPT_PT_GLUE_H */
