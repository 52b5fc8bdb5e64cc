/*
 * fuzz_common.h — helpers shared by the libFuzzer harnesses of src/core.
 *
 * A harness turns the fuzzer's bytes into NUL-terminated texts (parts are
 * separated by the byte 0x01, which JSON never contains unescaped), calls
 * core, and abort()s through FUZZ_ASSERT when an invariant fails, so that
 * libFuzzer records the input as a crash.  Every harness also checks that
 * core's allocation count is back where it started (no leak through PtFree).
 */
#ifndef PTOPT_FUZZ_COMMON_H
#define PTOPT_FUZZ_COMMON_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt_alloc.h"
#include "pt_error.h"
#include "space.h"

#define FUZZ_SEPARATOR '\x01'		/* splits one input into several texts */
#define FUZZ_MAX_PARTS 4
#define FUZZ_GRID_TOLERANCE 1e-9	/* as space.c's PT_STEP_TOLERANCE */

/* Report a failed invariant and abort, so the fuzzer keeps the input. */
#define FUZZ_ASSERT(cond, ...) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "fuzz invariant failed at %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fprintf(stderr, "\n"); \
			abort(); \
		} \
	} while (0)

/* A NUL-terminated copy of the input (plain malloc: not counted by PtAllocLive). */
static inline char *
fuzz_text(const uint8_t *data, size_t size)
{
	char	   *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * Split s in place at FUZZ_SEPARATOR into at most max parts; parts beyond
 * the last separator found are "".  Returns the number of separators + 1.
 */
static inline int
fuzz_split(char *s, char **parts, int max)
{
	int			n = 1;
	int			i;

	parts[0] = s;
	for (i = 1; i < max; i++)
		parts[i] = NULL;
	while (n < max)
	{
		char	   *sep = strchr(parts[n - 1], FUZZ_SEPARATOR);

		if (sep == NULL)
			break;
		*sep = '\0';
		parts[n++] = sep + 1;
	}
	return n;
}

/* True when s (len bytes) is well-formed UTF-8 (no overlongs, no surrogates). */
static inline bool
fuzz_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		i = 0;

	while (i < len)
	{
		unsigned char c = p[i];
		int			n;
		uint32_t	cp;
		int			k;

		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3, cp = c & 0x07;
		else
			return false;
		for (k = 1; k <= n; k++)
		{
			if (i + k >= len || (p[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
			(cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

/*
 * Check an error value core returned: a real code, NUL-terminated texts, a
 * message.  With FUZZ_STRICT_UTF8 defined, texts must also be UTF-8 when the
 * input was (a name cut in the middle of a character is caught).
 */
static inline void
fuzz_check_error(const PtError *err, int rc, bool input_utf8)
{
	FUZZ_ASSERT(rc == (int) err->code, "returned code %d but err->code is %d", rc, (int) err->code);
	FUZZ_ASSERT(err->code > PT_OK && err->code <= PT_ERR_INTERNAL, "code %d out of range", (int) err->code);
	FUZZ_ASSERT(memchr(err->message, '\0', sizeof(err->message)) != NULL, "message not terminated");
	FUZZ_ASSERT(memchr(err->detail, '\0', sizeof(err->detail)) != NULL, "detail not terminated");
	FUZZ_ASSERT(memchr(err->hint, '\0', sizeof(err->hint)) != NULL, "hint not terminated");
	FUZZ_ASSERT(err->message[0] != '\0', "empty message for code %s", PtErrorCodeName(err->code));
	FUZZ_ASSERT(err->code != PT_ERR_INTERNAL, "internal error: %s", err->message);
#ifdef FUZZ_STRICT_UTF8
	if (input_utf8)
	{
		FUZZ_ASSERT(fuzz_utf8_valid(err->message, strlen(err->message)), "message not UTF-8: %s", err->message);
		FUZZ_ASSERT(fuzz_utf8_valid(err->detail, strlen(err->detail)), "detail not UTF-8: %s", err->detail);
		FUZZ_ASSERT(fuzz_utf8_valid(err->hint, strlen(err->hint)), "hint not UTF-8: %s", err->hint);
	}
#else
	(void) input_utf8;
#endif
}

/* Check that every value of x lies within its parameter's bounds, grid or choices. */
static inline void
fuzz_check_point(const PtSpace *space, const double *x, const char *what)
{
	int			i;

	for (i = 0; i < space->n_params; i++)
	{
		const PtParam *p = &space->params[i];
		double		v = x[i];

		FUZZ_ASSERT(isfinite(v), "%s: parameter \"%s\" is %g", what, p->name, v);
		if (p->type == PT_PARAM_CATEGORICAL || p->type == PT_PARAM_BOOL)
		{
			FUZZ_ASSERT(v == floor(v) && v >= 0 && v < p->n_choices,
						"%s: parameter \"%s\": choice index %.17g of %d", what, p->name, v, p->n_choices);
			continue;
		}
		FUZZ_ASSERT(v >= p->low && v <= p->high, "%s: parameter \"%s\": %.17g outside [%.17g, %.17g]",
					what, p->name, v, p->low, p->high);
		if (p->type == PT_PARAM_INT)
			FUZZ_ASSERT(v == floor(v), "%s: int parameter \"%s\" is %.17g", what, p->name, v);
		if (p->step > 0)
		{
			double		r = (v - p->low) / p->step;

			FUZZ_ASSERT(fabs(r - round(r)) <= FUZZ_GRID_TOLERANCE * fmax(1.0, fabs(r)),
						"%s: parameter \"%s\": %.17g is off the grid low %.17g step %.17g",
						what, p->name, v, p->low, p->step);
		}
	}
}

/* Check a parsed space: names, bounds, steps, choices and defaults that core relies on. */
static inline void
fuzz_check_space(const PtSpace *space)
{
	int			i;

	FUZZ_ASSERT(space->n_params >= 1 && space->n_params <= PT_SPACE_MAX_PARAMS, "n_params %d",
				space->n_params);
	for (i = 0; i < space->n_params; i++)
	{
		const PtParam *p = &space->params[i];

		FUZZ_ASSERT(p->name != NULL && p->name[0] != '\0' && strlen(p->name) <= PT_PARAM_NAME_MAX,
					"parameter %d name", i);
		if (p->type == PT_PARAM_CATEGORICAL || p->type == PT_PARAM_BOOL)
		{
			FUZZ_ASSERT(p->n_choices >= 1 && p->n_choices <= PT_SPACE_MAX_CHOICES && p->choices != NULL,
						"parameter \"%s\": %d choices", p->name, p->n_choices);
		}
		else
		{
			FUZZ_ASSERT(isfinite(p->low) && isfinite(p->high) && p->low < p->high,
						"parameter \"%s\": bounds [%.17g, %.17g]", p->name, p->low, p->high);
			FUZZ_ASSERT(isfinite(p->high - p->low), "parameter \"%s\": range overflows", p->name);
			FUZZ_ASSERT(p->step >= 0 && isfinite(p->step), "parameter \"%s\": step %g", p->name, p->step);
			FUZZ_ASSERT(!p->log || p->low > 0, "parameter \"%s\": log with low %g", p->name, p->low);
			if (p->type == PT_PARAM_INT)
				FUZZ_ASSERT(p->step >= 1 && p->low == floor(p->low) && p->high == floor(p->high),
							"parameter \"%s\": int bounds or step", p->name);
		}
		if (p->has_default)
		{
			double		x[PT_SPACE_MAX_PARAMS] = {0};
			PtSpace		one = {1, (PtParam *) p};

			x[0] = p->default_value;
			fuzz_check_point(&one, x, "default");
		}
	}
}

/*
 * Write x as JSON, read it back, and require the same values: every point
 * core proposes must survive the trip through jsonb.
 */
static inline void
fuzz_round_trip(const PtSpace *space, const double *x, const char *what)
{
	PtError		err;
	double		y[PT_SPACE_MAX_PARAMS];
	char	   *json;
	int			rc;
	int			i;

	json = PtSpacePointToJson(space, x, &err);
	FUZZ_ASSERT(json != NULL, "%s: PtSpacePointToJson failed: %s", what, err.message);
	rc = PtSpacePointFromJson(space, json, what, 0, y, &err);
	FUZZ_ASSERT(rc == PT_OK, "%s: %s does not read back: %s", what, json, err.message);
	for (i = 0; i < space->n_params; i++)
		FUZZ_ASSERT(y[i] == x[i], "%s: parameter \"%s\": %.17g came back as %.17g from %s",
					what, space->params[i].name, x[i], y[i], json);
	PtFree(json);
}

#endif							/* PTOPT_FUZZ_COMMON_H */
