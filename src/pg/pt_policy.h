/*
 * pt_policy.h — reading the hard-gated policy snapshot from ptopt.policy.
 */
#ifndef PTOPT_PT_POLICY_H
#define PTOPT_PT_POLICY_H

#include "utils/palloc.h"

/* The policy as a flat JSON object text, copied into the given context; connects to SPI itself. */
extern char *PtPolicySnapshot(MemoryContext into);

#endif							/* PTOPT_PT_POLICY_H */
