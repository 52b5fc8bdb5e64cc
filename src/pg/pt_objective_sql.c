/*
 * pt_objective_sql.c — built-in or user SQL objective, resolved by name.
 *
 * A user objective is called through fmgr inside a subtransaction, so an
 * error in it fails that iteration only; a cancel still stops the run.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/resowner.h"

#include "pt_alloc.h"
#include "pt_glue.h"
#include "pt_objective_sql.h"
#include "pt_settings.h"

typedef struct SqlObjective
{
	const PtSpace *space;		/* the evaluation space: points become jsonb over it */
	Oid			fn_oid;
	Oid			rettype;
	FmgrInfo	flinfo;
} SqlObjective;

/* Look up a user objective function by name; raises unless usable. */
static Oid
lookup_sql_objective(const char *name)
{
	List	   *names = stringToQualifiedNameList(name);
	Oid			argtypes[1] = {JSONBOID};
	Oid			fn;
	Oid			rettype;
	AclResult	aclresult;

	fn = LookupFuncName(names, 1, argtypes, true);
	if (!OidIsValid(fn))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("objective function %s(jsonb) does not exist", name),
				 errhint("An objective is clob_v2, branin, quadratic, or a function that takes jsonb and returns float8 or jsonb.")));
	rettype = get_func_rettype(fn);
	if (get_func_prokind(fn) != PROKIND_FUNCTION || get_func_retset(fn) ||
		(rettype != FLOAT8OID && rettype != JSONBOID))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("objective function %s must return float8 or jsonb", format_procedure(fn)),
				 errdetail("It returns %s%s.", format_type_be(rettype),
						   get_func_retset(fn) ? " (a set)" : "")));
	aclresult = pg_proc_aclcheck(fn, GetUserId(), ACL_EXECUTE);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FUNCTION, get_func_name(fn));
	return fn;
}

/* Check options.objective and return the canonical name to store. */
char *
PtObjectiveResolve(const PtRunPlan *plan)
{
	const PtObjectiveOps *ops = PtObjectiveLookup(plan->objective);
	PtObjective *objective;
	PtObjectiveInit init;
	PtError		err;

	if (ops == NULL)
		return format_procedure_qualified(lookup_sql_objective(plan->objective));
	/* Opening a built-in objective checks the evaluation space against it. */
	init = PtRunPlanObjectiveInit(plan, NULL);
	objective = PtObjectiveCreate(ops, &init, &err);
	if (objective == NULL)
		PtRaise(&err);
	PtObjectiveFree(objective);
	return pstrdup(plan->objective);
}

/* Copy a jsonb field that is a string into a PtMalloc'd string, or NULL. */
static char *
jsonb_string_field(Jsonb *jb, const char *key)
{
	JsonbValue	k;
	JsonbValue *v;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(&jb->root, JB_FOBJECT, &k);
	if (v == NULL || v->type != jbvString)
		return NULL;
	return PtStrdup(pnstrdup(v->val.string.val, v->val.string.len));
}

/* Read the score of a jsonb result: a numeric "score" field. */
static bool
jsonb_score(Jsonb *jb, double *score)
{
	JsonbValue	k;
	JsonbValue *v;

	if (!JB_ROOT_IS_OBJECT(jb))
		return false;
	k.type = jbvString;
	k.val.string.val = "score";
	k.val.string.len = 5;
	v = findJsonbValueFromContainer(&jb->root, JB_FOBJECT, &k);
	if (v == NULL || v->type != jbvNumeric)
		return false;
	*score = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
	return true;
}

/* Call the function once and fill out; raises on any error inside. */
static int
call_sql_objective(SqlObjective *so, const double *x, PtEvaluation *out, PtError *err)
{
	LOCAL_FCINFO(fcinfo, 1);
	Datum		result;
	char	   *params_json = PtTakeString(PtSpacePointToJson(so->space, x, err));

	if (params_json == NULL)
		return err->code;
	InitFunctionCallInfoData(*fcinfo, &so->flinfo, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = PtTextToJsonb(params_json);
	fcinfo->args[0].isnull = false;
	result = FunctionCallInvoke(fcinfo);
	if (fcinfo->isnull)
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "objective %s returned NULL",
						  format_procedure(so->fn_oid));
	if (so->rettype == FLOAT8OID)
		out->score = DatumGetFloat8(result);
	else
	{
		Jsonb	   *jb = DatumGetJsonbP(result);

		if (!jsonb_score(jb, &out->score))
			return PtErrorSet(err, PT_ERR_INVALID_PARAMETER,
							  "objective %s returned jsonb without a numeric \"score\" field",
							  format_procedure(so->fn_oid));
		out->report_json = PtStrdup(PtJsonbToText(jb));
		out->summary = jsonb_string_field(jb, "summary");
	}
	if (isnan(out->score) || isinf(out->score))
		return PtErrorSet(err, PT_ERR_INVALID_PARAMETER, "objective %s returned a score of %g",
						  format_procedure(so->fn_oid), out->score);
	return PT_OK;
}

/* One call of a SQL objective, as PtTrySubtransaction runs it. */
typedef struct SqlCall
{
	SqlObjective *so;
	const double *x;
	PtEvaluation *out;
	PtError    *err;
	int			rc;
} SqlCall;

/* Call the objective (inside the subtransaction). */
static void
sql_call(void *arg)
{
	SqlCall    *c = arg;

	c->rc = call_sql_objective(c->so, c->x, c->out, c->err);
}

/* Evaluate in a subtransaction: an error fails the iteration, a cancel is re-thrown. */
static int
sql_evaluate(void *state, const double *x, PtEvaluation *out, const PtStop *stop,
			 PtError *err)
{
	SqlCall		c = {state, x, out, err, PT_OK};
	ErrorData  *edata = PtTrySubtransaction(sql_call, &c);

	if (edata == NULL)
		return c.rc;
	PtEvaluationClear(out);
	PtErrorFromErrorData(edata, err);
	FreeErrorData(edata);
	return err->code;
}

/* Free the SQL objective's state. */
static void
sql_free(void *state)
{
	PtFree(state);
}

static const PtObjectiveOps sql_objective_ops = {
	.name = "sql",
	.init = NULL,
	.evaluate = sql_evaluate,
	.evaluate_holdout = NULL,
	.free = sql_free,
};

/* Open the objective of a canonical name. */
PtObjective *
PtObjectiveOpen(const char *canonical, const PtRunPlan *plan, const char *policy_json)
{
	const PtObjectiveOps *ops = PtObjectiveLookup(canonical);
	PtObjective *objective;
	SqlObjective *so;
	PtError		err;
	Oid			fn_oid;

	if (ops != NULL)
	{
		PtObjectiveInit init = PtRunPlanObjectiveInit(plan, policy_json);

		init.threads = PtBacktestObjectiveThreads();
		objective = PtObjectiveCreate(ops, &init, &err);
		if (objective == NULL)
			PtRaise(&err);
		return objective;
	}
	fn_oid = DatumGetObjectId(DirectFunctionCall1(regprocedurein, CStringGetDatum(canonical)));
	if (pg_proc_aclcheck(fn_oid, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_FUNCTION, canonical);
	so = PtCalloc(1, sizeof(SqlObjective));
	objective = PtCalloc(1, sizeof(PtObjective));
	if (so == NULL || objective == NULL)
	{
		PtFree(so);
		PtFree(objective);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	objective->ops = &sql_objective_ops;
	objective->state = so;
	so->space = plan->eval_space;
	so->fn_oid = fn_oid;
	so->rettype = get_func_rettype(fn_oid);
	fmgr_info_cxt(so->fn_oid, &so->flinfo, TopMemoryContext);
	return objective;
}
