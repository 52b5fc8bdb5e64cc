/*
 * llm_reply.c — the reader of a model's answer: find the JSON, map it onto
 * the space, coerce what is unambiguous, clip, note, refuse gated keys.
 */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gates.h"
#include "llm_reply.h"
#include "llm_text.h"
#include "pt_alloc.h"

#define GRID_TOLERANCE 1e-9

/* The state of reading one proposal. */
typedef struct ReadState
{
	const PtSpace *space;
	bool		seen[PT_SPACE_MAX_PARAMS];
	PtBuf		notes;
	PtBuf		gated;
	char		reject[PT_ERROR_DETAIL_MAX];	/* why the proposal is unusable, or "" */
	int			n_unknown;
} ReadState;

/* Free what a parsed reply holds. */
void
PtLlmParsedFree(PtLlmParsed *parsed)
{
	int			i;

	for (i = 0; i < parsed->n; i++)
	{
		PtFree(parsed->c[i].reasoning);
		PtFree(parsed->c[i].notes);
		PtFree(parsed->c[i].gated_keys);
	}
	memset(parsed, 0, sizeof(*parsed));
}

/* The first JSON object in text (prose, fences around it), or NULL. */
static json_object *
first_object(const char *text)
{
	const char *p = text;
	int			tries = 0;

	while ((p = strchr(p, '{')) != NULL && tries++ < PT_LLM_JSON_STARTS_MAX)
	{
		json_tokener *tok = json_tokener_new();
		json_object *obj;

		if (tok == NULL)
			return NULL;
		obj = json_tokener_parse_ex(tok, p, (int) strnlen(p, 1 << 30));
		json_tokener_free(tok);
		if (obj != NULL && json_object_is_type(obj, json_type_object))
			return obj;
		if (obj != NULL)
			json_object_put(obj);
		p++;
	}
	return NULL;
}

/* A number read from a whole string ("2.5", " 3 "); false when it is not one. */
static bool
number_from_string(const char *s, double *v)
{
	char	   *end;

	while (isspace((unsigned char) *s))
		s++;
	if (*s == '\0')
		return false;
	errno = 0;
	*v = strtod(s, &end);
	while (isspace((unsigned char) *end))
		end++;
	return *end == '\0' && errno == 0 && isfinite(*v);
}

/* Note a change (bounded). */
static void
note(ReadState *st, const char *fmt, const char *name, const char *what)
{
	if (st->notes.len > PT_LLM_NOTES_MAX)
		return;
	if (st->notes.len > 0)
		PtBufAppend(&st->notes, "; ");
	PtBufPrintf(&st->notes, fmt, PT_PARAM_NAME_MAX, name, what);
}

/* Read a numeric parameter's value. */
static void
read_number(ReadState *st, const PtParam *p, json_object *v, double *out)
{
	enum json_type t = json_object_get_type(v);
	double		d;
	char		txt[PT_DOUBLE_TEXT_MAX];

	if (t == json_type_int || t == json_type_double)
		d = json_object_get_double(v);
	else if (t == json_type_string && number_from_string(json_object_get_string(v), &d))
		note(st, "\"%.*s\": the number was written as a string%s", p->name, "");
	else
	{
		snprintf(st->reject, sizeof(st->reject), "Parameter \"%.*s\" needs a number, and the answer gave %s.",
				 PT_PARAM_NAME_MAX, p->name, json_type_to_name(t));
		return;
	}
	if (!isfinite(d))
	{
		snprintf(st->reject, sizeof(st->reject), "Parameter \"%.*s\" is not a finite number.",
				 PT_PARAM_NAME_MAX, p->name);
		return;
	}
	if (d < p->low || d > p->high)
	{
		PtFormatDouble(d, txt, sizeof(txt));
		note(st, "\"%.*s\": %s was out of range and was clipped", p->name, txt);
		d = fmin(fmax(d, p->low), p->high);
	}
	if (p->step > 0)
	{
		double		k = round((d - p->low) / p->step);
		double		g = PtParamGridValue(p, fmin(fmax(k, 0), PtParamGridSteps(p)));

		if (fabs(g - d) > GRID_TOLERANCE * fmax(1.0, fabs(d)))
		{
			PtFormatDouble(d, txt, sizeof(txt));
			note(st, p->type == PT_PARAM_INT && p->step == 1 ?
				 "\"%.*s\": %s was rounded to an integer" : "\"%.*s\": %s was put on the step grid",
				 p->name, txt);
		}
		d = g;
	}
	else if (p->type == PT_PARAM_INT && d != floor(d))
	{
		PtFormatDouble(d, txt, sizeof(txt));
		note(st, "\"%.*s\": %s was rounded to an integer", p->name, txt);
		d = fmin(fmax(round(d), p->low), p->high);
	}
	*out = d;
}

/* Index of the choice equal to v (text, or number value), or -1. */
static int
match_choice(const PtParam *p, json_object *v)
{
	const char *text = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	enum json_type t = json_object_get_type(v);
	int			c;

	for (c = 0; c < p->n_choices; c++)
		if (strcmp(p->choices[c], text) == 0)
			return c;
	if (t == json_type_int || t == json_type_double)
	{
		double		d = json_object_get_double(v);

		for (c = 0; c < p->n_choices; c++)
		{
			double		cd;

			if (number_from_string(p->choices[c], &cd) && cd == d)
				return c;
		}
	}
	return -1;
}

/* Read a categorical or bool parameter's choice. */
static void
read_choice(ReadState *st, const PtParam *p, json_object *v, double *out)
{
	int			c = match_choice(p, v);

	if (c < 0 && json_object_is_type(v, json_type_string))
	{
		const char *s = json_object_get_string(v);
		json_object *inner = json_tokener_parse(s);
		int			found = -1;
		int			i;

		/* "true" for true, "3" for 3: the choice written as a string */
		if (inner != NULL)
		{
			c = match_choice(p, inner);
			json_object_put(inner);
		}
		/* a string choice in another case, when only one matches */
		for (i = 0; c < 0 && i < p->n_choices; i++)
		{
			size_t		n = strlen(p->choices[i]);

			if (n >= 2 && p->choices[i][0] == '"' && strlen(s) == n - 2 &&
				strncasecmp(p->choices[i] + 1, s, n - 2) == 0)
			{
				if (found >= 0)
				{
					found = -2;
					break;
				}
				found = i;
			}
		}
		if (c < 0 && found >= 0)
			c = found;
		if (c >= 0)
			note(st, "\"%.*s\": the choice %s was read from its text", p->name, p->choices[c]);
	}
	if (c < 0)
	{
		snprintf(st->reject, sizeof(st->reject), "Parameter \"%.*s\" must be one of its %d choices.",
				 PT_PARAM_NAME_MAX, p->name, p->n_choices);
		return;
	}
	*out = c;
}

/* Walk a params object; prefix is the dotted path above it. */
static void
read_params(ReadState *st, json_object *obj, const char *prefix, double *x, int depth)
{
	json_object_object_foreach(obj, key, val)
	{
		char		path[PT_GATE_KEY_MAX];
		int			idx;

		if (prefix[0] != '\0')
			snprintf(path, sizeof(path), "%s.%s", prefix, key);
		else
			snprintf(path, sizeof(path), "%s", key);
		if (PtGateMatchKey(path) != NULL)
		{
			if (st->gated.len < PT_LLM_GATED_KEYS_MAX)
				PtBufPrintf(&st->gated, "%s\"%.*s\"", st->gated.len ? ", " : "", PT_PARAM_NAME_MAX, path);
			continue;
		}
		idx = PtSpaceFind(st->space, path);
		if (idx < 0 && json_object_is_type(val, json_type_object) && depth < 8)
		{
			read_params(st, val, path, x, depth + 1);
			continue;
		}
		if (idx < 0)
		{
			st->n_unknown++;
			note(st, "\"%.*s\" is not a parameter of the space and was dropped%s", path, "");
			continue;
		}
		st->seen[idx] = true;
		if (st->space->params[idx].type == PT_PARAM_FLOAT || st->space->params[idx].type == PT_PARAM_INT)
			read_number(st, &st->space->params[idx], val, &x[idx]);
		else
			read_choice(st, &st->space->params[idx], val, &x[idx]);
		if (st->reject[0] != '\0')
			return;
	}
}

/* The value of a parameter left out: base, default, middle or first choice. */
static double
fill_value(const PtParam *p, const double *base, int i)
{
	if (base != NULL)
		return base[i];
	if (p->has_default)
		return p->default_value;
	if (p->type == PT_PARAM_CATEGORICAL || p->type == PT_PARAM_BOOL)
		return 0;
	if (p->step > 0)
		return PtParamGridValue(p, floor(PtParamGridSteps(p) / 2));
	if (p->type == PT_PARAM_INT)
		return floor((p->low + p->high) / 2);
	return p->log ? sqrt(p->low * p->high) : (p->low + p->high) / 2;
}

/* A PtMalloc'd copy of a string member, cut to max bytes; NULL when absent. */
static char *
string_member(json_object *obj, const char *name, size_t max)
{
	json_object *v;
	PtBuf		b = {0};

	if (!json_object_object_get_ex(obj, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	PtBufAppendTraining(&b, json_object_get_string(v), max);
	return PtBufTake(&b);
}

/* Read one proposal object ({"params": ...} or a bare params object) into a candidate. */
static bool
read_proposal(const PtSpace *space, json_object *prop, const double *base, bool bare,
			  PtLlmCandidate *cand, char *why, size_t why_size)
{
	ReadState	st;
	json_object *params = prop;
	int			n_filled = 0;
	int			i;

	memset(&st, 0, sizeof(st));
	st.space = space;
	memset(cand, 0, sizeof(*cand));
	cand->choice = -1;
	if (!bare)
	{
		if (!json_object_object_get_ex(prop, "params", &params) || !json_object_is_type(params, json_type_object))
		{
			snprintf(why, why_size, "A proposal has no \"params\" object.");
			return false;
		}
	}
	read_params(&st, params, "", cand->x, 0);
	if (st.reject[0] != '\0')
	{
		snprintf(why, why_size, "%s", st.reject);
		PtBufFree(&st.notes);
		PtBufFree(&st.gated);
		return false;
	}
	for (i = 0; i < space->n_params; i++)
	{
		if (st.seen[i])
			continue;
		cand->x[i] = fill_value(&space->params[i], base, i);
		n_filled++;
	}
	if (n_filled > 0 && st.notes.len < PT_LLM_NOTES_MAX)
		PtBufPrintf(&st.notes, "%s%d parameter%s left out took %s", st.notes.len ? "; " : "", n_filled,
					n_filled == 1 ? "" : "s", base != NULL ? "the best point's values" : "their defaults");
	if (bare && st.notes.len < PT_LLM_NOTES_MAX)
		PtBufPrintf(&st.notes, "%sthe answer had no \"params\" member and was read as one", st.notes.len ? "; " : "");
	cand->reasoning = string_member(prop, "reasoning", PT_LLM_REPLY_REASONING_MAX);
	cand->notes = st.notes.len > 0 ? PtBufTake(&st.notes) : NULL;
	cand->gated_keys = st.gated.len > 0 ? PtBufTake(&st.gated) : NULL;
	PtBufFree(&st.notes);
	PtBufFree(&st.gated);
	return true;
}

/* True when obj names at least one parameter or gated key at its top level (a bare params object). */
static bool
looks_like_params(const PtSpace *space, json_object *obj)
{
	json_object_object_foreach(obj, key, val)
	{
		(void) val;
		if (PtSpaceFind(space, key) >= 0 || PtGateMatchKey(key) != NULL)
			return true;
	}
	return false;
}

/* Read text into out. */
int
PtLlmReplyRead(const PtSpace *space, const char *text, const double *base,
			   const double *tpe_points, int n_tpe, PtLlmParsed *out, PtError *err)
{
	json_object *root;
	json_object *v;
	char		why[PT_ERROR_DETAIL_MAX] = "";

	memset(out, 0, sizeof(*out));
	PtErrorClear(err);
	root = text != NULL ? first_object(text) : NULL;
	if (root == NULL)
	{
		PtErrorSet(err, PT_ERR_LLM_REPLY, "the model's answer holds no JSON object");
		PtErrorDetail(err, "The answer must contain {\"params\": {...}, \"reasoning\": \"...\"}.");
		return PT_ERR_LLM_REPLY;
	}
	if (json_object_object_get_ex(root, "candidates", &v) && json_object_is_type(v, json_type_array))
	{
		size_t		i;

		for (i = 0; i < json_object_array_length(v) && out->n < PT_LLM_MAX_CANDIDATES; i++)
		{
			json_object *prop = json_object_array_get_idx(v, i);

			if (prop != NULL && json_object_is_type(prop, json_type_object) &&
				read_proposal(space, prop, base, false, &out->c[out->n], why, sizeof(why)))
				out->n++;
			else
			{
				if (why[0] == '\0')
					snprintf(why, sizeof(why), "candidates[%zu] is not an object.", i);
				out->n_rejected++;
			}
		}
	}
	else if (n_tpe > 0 && tpe_points != NULL && json_object_object_get_ex(root, "choice", &v) &&
			 !json_object_object_get_ex(root, "params", NULL))
	{
		double		d = -1;

		if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
			d = json_object_get_double(v);
		else if (json_object_is_type(v, json_type_string))
			number_from_string(json_object_get_string(v), &d);
		if (d == floor(d) && d >= 1 && d <= n_tpe)
		{
			PtLlmCandidate *c = &out->c[0];

			memset(c, 0, sizeof(*c));
			c->choice = (int) d - 1;
			memcpy(c->x, tpe_points + (size_t) c->choice * space->n_params,
				   sizeof(double) * (size_t) space->n_params);
			c->reasoning = string_member(root, "reasoning", PT_LLM_REPLY_REASONING_MAX);
			out->n = 1;
		}
		else
		{
			snprintf(why, sizeof(why), "\"choice\" must be a candidate number from 1 to %d.", n_tpe);
			out->n_rejected++;
		}
	}
	else if (json_object_object_get_ex(root, "params", NULL))
	{
		if (read_proposal(space, root, base, false, &out->c[0], why, sizeof(why)))
			out->n = 1;
		else
			out->n_rejected++;
	}
	else if (looks_like_params(space, root))
	{
		if (read_proposal(space, root, base, true, &out->c[0], why, sizeof(why)))
			out->n = 1;
		else
			out->n_rejected++;
	}
	else
		snprintf(why, sizeof(why), "The JSON object has neither \"params\", \"candidates\" nor \"choice\".");
	json_object_put(root);
	if (out->n == 0)
	{
		PtErrorSet(err, PT_ERR_LLM_REPLY, "the model's answer proposes no usable point");
		PtErrorDetail(err, "%s", why[0] != '\0' ? why : "No proposal could be read.");
		return PT_ERR_LLM_REPLY;
	}
	return PT_OK;
}

/* The iteration of a trial in history with exactly this point, or 0. */
int
PtLlmFindRepeat(const PtHistory *history, const double *x)
{
	int			i;

	if (history == NULL)
		return 0;
	for (i = 0; i < history->n; i++)
	{
		const PtTrial *t = &history->trials[i];
		int			j;

		for (j = 0; j < history->space->n_params && t->x[j] == x[j]; j++)
			;
		if (j == history->space->n_params)
			return t->iter;
	}
	return 0;
}
