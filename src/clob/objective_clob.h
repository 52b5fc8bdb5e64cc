/*
 * objective_clob.h — the "clob_v2" objective (the backtest) for core's objective registry.
 */
#ifndef PTOPT_OBJECTIVE_CLOB_H
#define PTOPT_OBJECTIVE_CLOB_H

#include "objective.h"

/* Register it with PtObjectiveRegister before looking objectives up by name. */
extern const PtObjectiveOps PtClobObjective;

#endif							/* PTOPT_OBJECTIVE_CLOB_H */
