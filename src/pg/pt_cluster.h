/*
 * pt_cluster.h — evaluating trials on the nodes of a PL/Proxy cluster (options.cluster).
 *
 * A cluster is defined the PL/Proxy way (CREATE SERVER ... FOREIGN DATA
 * WRAPPER plproxy with partitions p0, p1, ..., and user mappings).  Each node
 * has ptopt installed and runs ptopt_evaluate(space, params, options); the
 * coordinating run reaches it through ptopt.cluster_evaluate, the PL/Proxy
 * function ptopt_cluster_enable() creates.  PL/Proxy is optional: nothing
 * here is needed unless a run names a cluster.
 */
#ifndef PTOPT_PT_CLUSTER_H
#define PTOPT_PT_CLUSTER_H

#include "postgres.h"

#include "objective.h"
#include "pt_error.h"

/* The result of one trial evaluated on a node. */
typedef struct PtClusterResult
{
	bool		ok;				/* false: err holds why (the node's error, or the connection's) */
	double		score;
	char	   *report_json;	/* the node's ReportEnvelope (palloc'd), or NULL for a bare score */
	char	   *summary;		/* report ->> 'summary' (palloc'd), or NULL */
	int			node;			/* 0-based index of the node that evaluated it */
	double		elapsed_ms;		/* the evaluation's wall time (the node's, in a batch) */
	PtError		err;
} PtClusterResult;

typedef struct PtCluster PtCluster;

/*
 * Check that a cluster can be used by this role: PL/Proxy installed (else an
 * error naming the package postgresql-15-plproxy), ptopt.cluster_evaluate
 * created, the server defined with the plproxy wrapper and at least one
 * partition.  Expects an SPI connection.
 */
extern void PtClusterCheck(const char *name);

/*
 * Open a cluster for a run: check it, read its nodes (partitions with distinct
 * connection strings, in partition order) and keep what every call sends:
 * the space and the objective's options (objective, fixed, backtest).  The
 * result is allocated in TopMemoryContext.  Expects an SPI connection.
 */
extern PtCluster *PtClusterOpen(const char *name, const char *space_json, const char *options_json);

/* Number of distinct nodes of an open cluster. */
extern int	PtClusterNodes(const PtCluster *cluster);

/*
 * Evaluate n parameter sets: trial i goes to node (iters[i] - 1) mod nodes.
 * Each call runs in a subtransaction of its own, so an error on a node (its
 * objective failing, the node down) fails that trial only, with the reason in
 * results[i].err; a cancel is re-thrown.  Every trial is sent exactly once.
 * Expects an SPI connection and a transaction.
 */
extern void PtClusterEvaluate(PtCluster *cluster, int n, const int *iters,
							  const char *const *params_json, PtClusterResult *results);

/*
 * Evaluate n parameter sets at once, trial i on node (iters[i] - 1) mod
 * nodes: one call of ptopt.cluster_evaluate_batch, which sends each node its
 * share and lets the nodes evaluate concurrently (each node its share in
 * order).  An objective's error fails that trial only.  When the call fails
 * as a whole (a node down, a connection lost), the batch is evaluated again
 * with PtClusterEvaluate, so each trial ends with the result of exactly one
 * call (the healthy nodes' trials are evaluated twice, the first results
 * dropped).  A node whose every trial failed in that second pass is marked
 * down: later batches leave it out of the call and send its trials one at a
 * time after it, until one succeeds.  A cancel is re-thrown.  Expects an SPI
 * connection and a transaction.
 */
extern void PtClusterEvaluateBatch(PtCluster *cluster, int n, const int *iters,
								   const char *const *params_json, PtClusterResult *results);

/*
 * One trial on the cluster, as an objective evaluates one: PT_OK with eval
 * filled (report and summary PtMalloc'd, freed by PtEvaluationClear), or the
 * node's error in err.  A cancel is re-thrown.
 */
extern int	PtClusterEvaluateOne(PtCluster *cluster, int iter, const char *params_json,
								 PtEvaluation *eval, PtError *err);

#endif							/* PTOPT_PT_CLUSTER_H */
