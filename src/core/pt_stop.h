/*
 * pt_stop.h — the should-stop callback every long loop in core and clob polls.
 *
 * The glue passes a callback that looks at PostgreSQL's pending interrupts
 * without raising; core returns PT_ERR_CANCELLED and the glue then calls
 * CHECK_FOR_INTERRUPTS() so the user sees 57014.
 */
#ifndef PTOPT_PT_STOP_H
#define PTOPT_PT_STOP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct PtStop
{
	bool		(*should_stop) (void *arg);
	void	   *arg;
} PtStop;

/* True when a stop has been requested; a NULL PtStop never stops. */
static inline bool
PtStopRequested(const PtStop *stop)
{
	return stop != NULL && stop->should_stop != NULL && stop->should_stop(stop->arg);
}

#endif							/* PTOPT_PT_STOP_H */
