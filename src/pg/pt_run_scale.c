/*
 * pt_run_scale.c — external runs, options.cluster and options.warm_start_from when a run is checked.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "objective.h"
#include "pt_asktell.h"
#include "pt_cluster.h"
#include "pt_glue.h"
#include "pt_objective_sql.h"
#include "pt_run_scale.h"
#include "pt_warm_start.h"

/* The member key of an options object, or NULL. */
static JsonbValue *
options_member(const char *options_json, const char *key)
{
	Jsonb	   *jb = DatumGetJsonbP(PtTextToJsonb(options_json));
	JsonbValue	k;

	if (!JB_ROOT_IS_OBJECT(jb))
		return NULL;
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	return findJsonbValueFromContainer(&jb->root, JB_FOBJECT, &k);
}

/* A string member of an options object text, or NULL. */
char *
PtOptionsString(const char *options_json, const char *key)
{
	JsonbValue *v = options_member(options_json, key);

	if (v == NULL || v->type != jbvString)
		return NULL;
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* Raise 22023 unless options.cluster is absent or a non-empty string. */
static char *
options_cluster(const char *options_json)
{
	JsonbValue *v = options_member(options_json, "cluster");

	if (v == NULL)
		return NULL;
	if (v->type != jbvString || v->val.string.len == 0 || v->val.string.len >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options.cluster must be the name of a PL/Proxy cluster"),
				 errdetail("It must be a non-empty string of at most %d bytes.", NAMEDATALEN - 1)));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* The canonical objective name to store for a plan. */
char *
PtRunResolveObjective(const PtRunPlan *plan)
{
	char	   *cluster = options_cluster(plan->options_json);

	if (strcmp(plan->objective, PT_EXTERNAL_OBJECTIVE) == 0)
	{
		if (cluster != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("an external run cannot have options.cluster"),
					 errdetail("Its iterations are evaluated by the clients that call ptopt_ask and ptopt_tell.")));
		if (plan->workers > 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("an external run cannot have options.workers"),
					 errdetail("Its clients evaluate; each may ask for several iterations at once with ptopt_ask(run_id, n).")));
		return pstrdup(PT_EXTERNAL_OBJECTIVE);
	}
	/* A SQL objective of a clustered run lives on the nodes; they resolve it. */
	if (cluster != NULL && PtObjectiveLookup(plan->objective) == NULL)
		return pstrdup(plan->objective);
	return PtObjectiveResolve(plan);
}

/* The checks that read the database. */
void
PtRunCheckScaleOptions(const char *space_json, const char *options_json, const char *objective)
{
	char	   *cluster = options_cluster(options_json);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (cluster != NULL)
		PtClusterCheck(cluster);
	PtWarmStartCheck(space_json, options_json, objective);
	SPI_finish();
}

/* True when a visible run's objective is 'external'. */
bool
PtStoreRunIsExternal(int64 run_id)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	int			rc;
	bool		external;
	bool		isnull;

	values[0] = Int64GetDatum(run_id);
	rc = SPI_execute_with_args("SELECT objective = 'external' FROM ptopt.runs WHERE run_id = $1",
							   1, types, values, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read ptopt.runs: %s", SPI_result_code_string(rc));
	external = SPI_processed == 1 &&
		DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_freetuptable(SPI_tuptable);
	return external;
}
