/*
 * unit.h — a minimal TAP producer for the C unit tests.
 *
 * Each CHECK prints "ok N - what" or "not ok N - what"; UnitDone prints the
 * plan and returns the exit status.  The test runner counts these lines.
 */
#ifndef PTOPT_UNIT_H
#define PTOPT_UNIT_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static int	unit_count = 0;
static int	unit_failed = 0;

/* Record one assertion with a printf-style description. */
static void __attribute__((format(printf, 4, 5), unused))
unit_check(int ok, const char *file, int line, const char *fmt,...)
{
	va_list		ap;

	unit_count++;
	printf("%s %d - ", ok ? "ok" : "not ok", unit_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
	{
		printf("#   failed at %s:%d\n", file, line);
		unit_failed++;
	}
	fflush(stdout);
}

#define CHECK(cond, ...) unit_check((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_NEAR(a, b, tol, ...) \
	unit_check(fabs((double) (a) - (double) (b)) <= (tol), __FILE__, __LINE__, __VA_ARGS__)

/* Print the TAP plan and return the process exit status. */
static int __attribute__((unused))
UnitDone(void)
{
	printf("1..%d\n", unit_count);
	return unit_failed == 0 ? 0 : 1;
}

#endif							/* PTOPT_UNIT_H */
