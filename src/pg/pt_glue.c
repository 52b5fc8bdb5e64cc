/*
 * pt_glue.c — mapping core errors to SQLSTATEs, the stop callback, jsonb text helpers.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "datatype/timestamp.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "pt_alloc.h"
#include "pt_glue.h"

/* The SQLSTATE a core error code maps to. */
int
PtSqlState(PtErrorCode code)
{
	switch (code)
	{
		case PT_ERR_INVALID_PARAMETER:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case PT_ERR_INVALID_TEXT:
			return ERRCODE_INVALID_TEXT_REPRESENTATION;
		case PT_ERR_HARD_GATE:
			return ERRCODE_PTOPT_HARD_GATE;
		case PT_ERR_LLM_TIMEOUT:
			return MAKE_SQLSTATE('P', 'T', '0', '0', '2');
		case PT_ERR_LLM_HTTP:
			return MAKE_SQLSTATE('P', 'T', '0', '0', '3');
		case PT_ERR_LLM_REPLY:
			return MAKE_SQLSTATE('P', 'T', '0', '0', '4');
		case PT_ERR_LLM_CONFIG:
			return MAKE_SQLSTATE('P', 'T', '0', '0', '5');
		case PT_ERR_CANCELLED:
			return ERRCODE_QUERY_CANCELED;
		case PT_ERR_OUT_OF_MEMORY:
			return ERRCODE_OUT_OF_MEMORY;
		case PT_OK:
		case PT_ERR_INTERNAL:
			break;
	}
	return ERRCODE_INTERNAL_ERROR;
}

/* Replace every byte that does not start a valid character of the database encoding with '?'. */
void
PtMakeValidText(char *s)
{
	int			encoding = GetDatabaseEncoding();
	int			left = (int) strlen(s);

	while (left > 0)
	{
		int			len = pg_encoding_verifymbchar(encoding, s, left);

		if (len <= 0)
		{
			*s = '?';
			len = 1;
		}
		s += len;
		left -= len;
	}
}

/* Keep a caught PostgreSQL error whole in a core error: SQLSTATE, message, detail and hint. */
void
PtErrorFromErrorData(const ErrorData *edata, PtError *err)
{
	PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "%s", edata->message ? edata->message : "");
	if (edata->detail)
		PtErrorDetail(err, "%s", edata->detail);
	if (edata->hint)
		PtErrorHint(err, "%s", edata->hint);
	strlcpy(err->sqlstate, unpack_sql_state(edata->sqlerrcode), sizeof(err->sqlstate));
}

/* The SQLSTATE of a core error: the one it carries, or its code's. */
int
PtErrorSqlState(const PtError *err)
{
	if (err->sqlstate[0] != '\0')
		return MAKE_SQLSTATE(err->sqlstate[0], err->sqlstate[1], err->sqlstate[2],
							 err->sqlstate[3], err->sqlstate[4]);
	return PtSqlState(err->code);
}

/* Raise a core error as an ERROR (a cancel goes through CHECK_FOR_INTERRUPTS). */
void
PtRaise(const PtError *error)
{
	PtError		copy = *error;
	PtError    *err = &copy;

	/* Core cuts long names at a byte count, which can split a character. */
	PtMakeValidText(err->message);
	PtMakeValidText(err->detail);
	PtMakeValidText(err->hint);
	if (err->code == PT_ERR_CANCELLED)
	{
		CHECK_FOR_INTERRUPTS();
		/* Cannot happen: core stops only when an interrupt is pending. */
		elog(ERROR, "core reported a stop with no interrupt pending");
	}
	ereport(ERROR,
			(errcode(PtErrorSqlState(err)),
			 errmsg("%s", err->message),
			 err->detail[0] ? errdetail("%s", err->detail) : 0,
			 err->hint[0] ? errhint("%s", err->hint) : 0));
	pg_unreachable();
}

/* True when a cancel or termination is pending; never raises. */
static bool
pg_should_stop(void *arg)
{
	return InterruptPending && (QueryCancelPending || ProcDiePending);
}

static const PtStop pg_stop = {pg_should_stop, NULL};

/* When the grace of PtPgGraceStop ends, in microseconds of the monotonic clock. */
static uint64 grace_end_us;

/* True when a termination is pending or the grace has run out; never raises. */
static bool
grace_should_stop(void *arg)
{
	instr_time	now;

	if (ProcDiePending)
		return true;
	INSTR_TIME_SET_CURRENT(now);
	return (uint64) INSTR_TIME_GET_MICROSEC(now) >= grace_end_us;
}

static const PtStop grace_stop = {grace_should_stop, NULL};

/* A stop callback that ignores cancels and stops at a termination or after ms. */
const PtStop *
PtPgGraceStop(int ms)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	grace_end_us = (uint64) INSTR_TIME_GET_MICROSEC(now) + (uint64) ms * 1000;
	return &grace_stop;
}

/* The stop callback for core loops. */
const PtStop *
PtPgStop(void)
{
	return &pg_stop;
}

/* A jsonb datum as compact text. */
char *
PtJsonbToText(Jsonb *jb)
{
	return JsonbToCString(NULL, &jb->root, VARSIZE(jb));
}

/* Text JSON as a jsonb datum. */
Datum
PtTextToJsonb(const char *text)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(text));
}

/* Copy a PtMalloc'd string into palloc memory and free the original. */
char *
PtTakeString(char *s)
{
	char	   *copy;

	if (s == NULL)
		return NULL;
	copy = pstrdup(s);
	PtFree(s);
	return copy;
}

/* The declared name of argument i of the called function, or "$n" when it has none. */
static char *
argument_name(FunctionCallInfo fcinfo, int i)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	Oid		   *types;
	char	  **names;
	char	   *modes;
	char	   *name = NULL;
	int			n;

	if (!HeapTupleIsValid(tuple))
		return psprintf("$%d", i + 1);
	n = get_func_arg_info(tuple, &types, &names, &modes);
	if (names != NULL && i < n && names[i] != NULL && names[i][0] != '\0')
		name = pstrdup(names[i]);
	ReleaseSysCache(tuple);
	return name != NULL ? name : psprintf("$%d", i + 1);
}

/* Raise 22004 naming the first NULL argument, except those whose bit is set in nullable. */
void
PtRequireArgs(FunctionCallInfo fcinfo, uint32 nullable)
{
	int			i;

	for (i = 0; i < PG_NARGS(); i++)
		if (PG_ARGISNULL(i) && (i >= 32 || !(nullable & (UINT32_C(1) << i))))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument \"%s\" of %s must not be NULL",
							argument_name(fcinfo, i), get_func_name(fcinfo->flinfo->fn_oid)),
					 errhint("Leave the argument out to take its default.")));
}

/* An interval given as text (an option), in seconds; raises 22023 naming what when it is not a positive interval. */
double
PtIntervalSeconds(const char *text, const char *what)
{
	MemoryContext cxt = CurrentMemoryContext;
	Interval   *volatile span = NULL;
	double		seconds;

	PG_TRY();
	{
		span = DatumGetIntervalP(DirectFunctionCall3(interval_in, CStringGetDatum(text),
													 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
	}
	PG_END_TRY();
	seconds = span == NULL ? 0 :
		span->time / 1e6 + span->day * (double) SECS_PER_DAY +
		span->month * (double) DAYS_PER_MONTH * SECS_PER_DAY;
	if (span == NULL || !(seconds > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a positive interval, not \"%s\"", what, text),
				 errhint("Write it as PostgreSQL reads an interval, such as \"90 seconds\" or \"2 hours\".")));
	return seconds;
}

/*
 * Run fn(arg) in a subtransaction.  NULL when it succeeded; when it raised an
 * error, that error (copied into the caller's context, the subtransaction
 * rolled back) for the caller to record.  A cancel or anything worse than an
 * ERROR is re-thrown.
 */
ErrorData *
PtTrySubtransaction(void (*fn) (void *arg), void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED || edata->elevel > ERROR)
			ReThrowError(edata);
	}
	PG_END_TRY();
	return edata;
}
