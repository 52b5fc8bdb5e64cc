/*
 * space.h — search spaces: parsing, limits, and converting points to and from JSON.
 *
 * A point is a double per parameter in space order: the value for float and
 * int parameters, the choice index for categorical and bool parameters.
 */
#ifndef PTOPT_SPACE_H
#define PTOPT_SPACE_H

#include <stdbool.h>
#include <stddef.h>

#include "pt_error.h"

#define PT_SPACE_MAX_PARAMS 64		/* parameters in one space */
#define PT_PARAM_NAME_MAX 128		/* bytes in a parameter name */
#define PT_SPACE_MAX_CHOICES 256	/* choices of one categorical parameter */
#define PT_CHOICE_TEXT_MAX 256		/* bytes of one choice, as JSON text */

typedef enum PtParamType
{
	PT_PARAM_FLOAT,
	PT_PARAM_INT,
	PT_PARAM_CATEGORICAL,
	PT_PARAM_BOOL				/* a categorical with choices [false, true] */
} PtParamType;

typedef struct PtParam
{
	char	   *name;
	PtParamType type;
	double		low;			/* float, int: inclusive bounds */
	double		high;			/* after step adjustment (high = low + k*step) */
	bool		log;
	double		step;			/* 0 = continuous float; int: 1 unless given */
	bool		has_default;
	double		default_value;	/* a value, or a choice index */
	int			n_choices;		/* categorical and bool */
	char	  **choices;		/* canonical JSON text of each choice */
	char	   *description;	/* optional, NULL when absent */
} PtParam;

typedef struct PtSpace
{
	int			n_params;
	PtParam    *params;
} PtSpace;

/* Parse a space from JSON text; NULL and err set (22023/22P02 codes) when malformed. */
extern PtSpace *PtSpaceParse(const char *json_text, PtError *err);

/* Free a space (NULL is fine). */
extern void PtSpaceFree(PtSpace *space);

/* Index of a parameter by exact name, or -1. */
extern int	PtSpaceFind(const PtSpace *space, const char *name);

/* The lower-case name of a type ("float", "int", "categorical", "bool"). */
extern const char *PtParamTypeName(PtParamType type);

/*
 * A JSON object text (PtMalloc'd) with every parameter of x and every key of
 * fixed_json (a JSON object text, or NULL).  Floats are written in their
 * shortest round-trip form, ints as integers, choices as their JSON text.
 */
extern char *PtSpacePointToJson(const PtSpace *space, const double *x,
								const char *fixed_json, PtError *err);

/*
 * Read a parameter set (JSON object text) into x.  Parameters it leaves out
 * take their default (an error when there is none); keys that are neither in
 * the space nor in fixed_json are an error; values are checked against the
 * bounds, the step and the choices.  what names the source in messages
 * ("warm_start[3]").
 */
extern int	PtSpacePointFromJson(const PtSpace *space, const char *json_text,
								 const char *fixed_json, const char *what,
								 double *x, PtError *err);

/* Check options.fixed: a JSON object whose keys are not in the space. */
extern int	PtSpaceCheckFixed(const PtSpace *space, const char *fixed_json, PtError *err);


/* Helpers shared by the JSON readers of core (space.c). */
struct json_object;

#define PT_DOUBLE_TEXT_MAX 32		/* bytes of a double in shortest round-trip form */

/*
 * Parse JSON text: one value, nothing but white space after it, no key twice
 * in one object.  what names the text in messages ("the search space").
 * NULL with err set when it is malformed (PT_ERR_INVALID_TEXT) or repeats a
 * key (PT_ERR_INVALID_PARAMETER).  Release the result with json_object_put.
 */
extern struct json_object *PtJsonParse(const char *json_text, const char *what, PtError *err);

/* Write v in its shortest round-trip form (%.15g, %.16g or %.17g) into buf. */
extern void PtFormatDouble(double v, char *buf, size_t size);

/*
 * The grid value low + k*step of a stepped float or int parameter, written
 * with as few significant digits as stay within a rounding error of it
 * (0.3, not 0.30000000000000004); k = K gives high exactly.
 */
extern double PtParamGridValue(const PtParam *param, double k);

/* Number of steps K of a stepped parameter: its grid is low + k*step, k = 0..K. */
extern double PtParamGridSteps(const PtParam *param);

#endif							/* PTOPT_SPACE_H */
