/*
 * pt_policy.c — the policy snapshot every run and backtest takes.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"

#include "pt_policy.h"

/* The policy as a flat JSON object text, copied into the given context. */
char *
PtPolicySnapshot(MemoryContext into)
{
	int			rc;
	bool		isnull;
	Datum		value;
	char	   *snapshot;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute("SELECT coalesce(jsonb_object_agg(key, value ORDER BY key), '{}')::text"
					 " FROM ptopt.policy", true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read ptopt.policy: %s", SPI_result_code_string(rc));
	value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	snapshot = MemoryContextStrdup(into, isnull ? "{}" : TextDatumGetCString(value));
	SPI_finish();
	return snapshot;
}
