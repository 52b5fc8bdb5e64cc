/*
 * space.h — search spaces: parsing, limits (space.c), and points to and from JSON (space_point.c).
 *
 * A point is a double per parameter in space order: the value for float and
 * int parameters, the choice index for categorical and bool parameters, NaN
 * for an unset dimension.  A run's evaluation space is its search space
 * followed by extra dimensions (run_plan.h).
 */
#ifndef PTOPT_SPACE_H
#define PTOPT_SPACE_H

#include <stdbool.h>
#include <stddef.h>

#include "pt_error.h"
#include "pt_json.h"

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
	bool		extra;			/* an evaluation-space dimension outside the search space */
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

#define PT_EVAL_MAX_PARAMS 1024		/* dimensions of an evaluation space (search + extras) */

/* Parse a space from JSON text; NULL and err set (22023/22P02 codes) when malformed. */
extern PtSpace *PtSpaceParse(const char *json_text, PtError *err);

/* Build a space from a parsed JSON value (not consumed); NULL and err set when malformed. */
struct json_object;
extern PtSpace *PtSpaceFromJson(struct json_object *root, PtError *err);

/* Free a space (NULL is fine). */
extern void PtSpaceFree(PtSpace *space);

/* Index of a parameter by exact name, or -1. */
extern int	PtSpaceFind(const PtSpace *space, const char *name);

/* The lower-case name of a type ("float", "int", "categorical", "bool"). */
extern const char *PtParamTypeName(PtParamType type);

/* Index of a choice by canonical JSON text, or -1. */
extern int	PtParamFindChoice(const PtParam *param, const char *text);

/* True when v lies on the grid of a stepped parameter (always for an unstepped one). */
extern bool PtParamOnGrid(const PtParam *param, double v);

/*
 * The grid value low + k*step of a stepped float or int parameter, written
 * with as few significant digits as stay within a rounding error of it
 * (0.3, not 0.30000000000000004); k = K gives high exactly.
 */
extern double PtParamGridValue(const PtParam *param, double k);

/* Number of steps K of a stepped parameter: its grid is low + k*step, k = 0..K. */
extern double PtParamGridSteps(const PtParam *param);

/* A deep copy of a space (the start of a run's evaluation space). */
extern PtSpace *PtSpaceCopy(const PtSpace *space, PtError *err);

/*
 * Append an extra dimension named name to space: a categorical whose choices
 * are the JSON texts it takes (PtParamAddChoice), origin recorded in its
 * description ("options.fixed", "options.warm_start[2]").  Its index, or -1
 * with err set.
 */
extern int	PtSpaceAddExtra(PtSpace *space, const char *name, const char *origin, PtError *err);

/* Add a choice (canonical JSON text) to a categorical; its index, or -1 when out of memory. */
extern int	PtParamAddChoice(PtParam *param, const char *text);


/* Points (space_point.c). */
struct json_object;

#define PT_POINT_IGNORE_UNKNOWN 1	/* PtSpacePointFromJson: skip keys outside the space */

/*
 * A JSON object text (PtMalloc'd) of point x: each parameter whose value is
 * not NaN (NaN means unset: the objective's default).  Floats are written in
 * their shortest round-trip form, ints as integers, choices as their JSON
 * text.
 */
extern char *PtSpacePointToJson(const PtSpace *space, const double *x, PtError *err);

/*
 * Read one parameter's JSON value into *x, checked against the spec (bounds,
 * integrality, step, choices).  what names the source in messages
 * ("options.warm_start[3]").
 */
extern int	PtParamReadValue(const PtParam *param, struct json_object *v, const char *what,
							 double *x, PtError *err);

/*
 * Read a parameter set (JSON object text) into x.  Parameters it leaves out
 * take their default (an error when there is none); other keys are an error
 * unless flags has PT_POINT_IGNORE_UNKNOWN (a stored row, which also holds
 * fixed values).  what names the source in messages.
 */
extern int	PtSpacePointFromJson(const PtSpace *space, const char *json_text, const char *what,
								 int flags, double *x, PtError *err);

#endif							/* PTOPT_SPACE_H */
