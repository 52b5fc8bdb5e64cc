/*
 * gates.c — the hard safety gates: families that no search may touch.
 *
 * A key path is gated when it contains a family's dot-separated segments,
 * whole and consecutive, compared case-insensitively, anywhere in the path.
 * JSON is walked recursively: nested object keys join with ".", arrays are
 * walked element by element without adding a segment.  The key reported is
 * the first path, in text order, at which a family is reached: the key
 * "risk.killswitch.max_loss_pusd" as written, or "risk.killswitch" for
 * {"risk": {"killswitch": {...}}}.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "gates.h"
#include "pt_alloc.h"
#include "pt_error.h"
#include "pt_json.h"

#define PT_GATE_PATH_INITIAL 128	/* first size of the path buffer */

static const PtGateFamily gate_families[] = {
	{"risk.killswitch", "trip thresholds, cooldown, force-trip flags"},
	{"risk.exposureguard", "maxNotionalPusd, per-market caps"},
	{"risk.compliancegate", "jurisdiction allowlists, builder allowlists"},
	{"risk.markethaltguard", "halt sources, halt-on-stale window"},
	{"sec.signer", "signer policy, EIP-712 v2 fields"},
};

#define PT_GATE_N_FAMILIES ((int) (sizeof(gate_families) / sizeof(gate_families[0])))

/* A growing path buffer for the recursive walk. */
typedef struct GatePath
{
	char	   *buf;
	size_t		len;
	size_t		cap;
} GatePath;

/* State of one PtGateCheckJson walk. */
typedef struct GateWalk
{
	GatePath	path;			/* full path: prefix, then keys */
	size_t		rel_start;		/* where the path relative to the prefix begins */
	const char *where;
	char	   *key_out;		/* where to copy the gated key path, or NULL */
	size_t		key_size;
	PtError    *err;
} GateWalk;

/* The gate families; *n receives their count. */
const PtGateFamily *
PtGateFamilies(int *n)
{
	if (n != NULL)
		*n = PT_GATE_N_FAMILIES;
	return gate_families;
}

/* True when family matches key at offset pos, ending on a segment boundary. */
static bool
family_at(const char *key, size_t pos, const char *family)
{
	size_t		flen = strlen(family);
	size_t		i;

	for (i = 0; i < flen; i++)
	{
		if (key[pos + i] == '\0' ||
			tolower((unsigned char) key[pos + i]) != (unsigned char) family[i])
			return false;
	}
	return key[pos + flen] == '\0' || key[pos + flen] == '.';
}

/* The family a dotted key falls in, or NULL. */
const char *
PtGateMatchKey(const char *dotted_key)
{
	size_t		pos = 0;

	if (dotted_key == NULL)
		return NULL;
	for (;;)
	{
		int			f;
		const char *dot;

		for (f = 0; f < PT_GATE_N_FAMILIES; f++)
		{
			if (family_at(dotted_key, pos, gate_families[f].family))
				return gate_families[f].family;
		}
		dot = strchr(dotted_key + pos, '.');
		if (dot == NULL)
			return NULL;
		pos = (size_t) (dot - dotted_key) + 1;
	}
}

/* Append ".segment" (or "segment" to an empty path); false when out of memory. */
static bool
path_push(GatePath *path, const char *segment)
{
	size_t		slen = strlen(segment);
	size_t		need = path->len + slen + 2;

	if (need > path->cap)
	{
		size_t		newcap = path->cap == 0 ? PT_GATE_PATH_INITIAL : path->cap;
		char	   *nb;

		while (newcap < need)
			newcap *= 2;
		nb = PtRealloc(path->buf, newcap);
		if (nb == NULL)
			return false;
		path->buf = nb;
		path->cap = newcap;
	}
	if (path->len > 0)
		path->buf[path->len++] = '.';
	memcpy(path->buf + path->len, segment, slen + 1);
	path->len += slen;
	return true;
}

/* Check one key path (see gates.h). */
int
PtGateCheckPath(const char *path, size_t rel_start, const char *where,
				char *key_out, size_t key_size, PtError *err)
{
	const char *family;
	const char *shown;

	if (path[0] == '\0')
		return PT_OK;
	family = PtGateMatchKey(path);
	if (family == NULL)
		return PT_OK;
	if (rel_start < strlen(path))
		shown = path + rel_start;
	else
		shown = path;			/* the prefix itself is gated */
	if (key_out != NULL && key_size > 0)
		snprintf(key_out, key_size, "%s", shown);
	PtErrorSet(err, PT_ERR_HARD_GATE,
			   "OPT_REFUSED_HARD_GATE: \"%.*s\" is a hard safety gate",
			   PT_GATE_KEY_MAX, shown);
	PtErrorDetail(err,
				  "Key \"%.*s\" in %s falls in the hard-gated family %s; gated settings are not search dimensions.",
				  PT_GATE_KEY_MAX, shown, where, family);
	PtErrorHint(err, "Change %s.* in ptopt.policy with a code review, not in a search.", family);
	return PT_ERR_HARD_GATE;
}

/* Check the current path of a walk. */
static int
check_path(GateWalk *w)
{
	if (w->path.len == 0)
		return PT_OK;
	return PtGateCheckPath(w->path.buf, w->rel_start, w->where, w->key_out, w->key_size, w->err);
}

/* Walk one JSON value under the current path. */
static int
walk_value(GateWalk *w, struct json_object *v)
{
	enum json_type t = json_object_get_type(v);

	if (t == json_type_object && json_object_object_length(v) > 0)
	{
		json_object_object_foreach(v, key, val)
		{
			size_t		saved = w->path.len;
			int			rc;

			if (!path_push(&w->path, key))
				return PtErrorSet(w->err, PT_ERR_OUT_OF_MEMORY, "out of memory checking hard gates");
			/* Report the shortest gated path: the key where a family is reached. */
			rc = check_path(w);
			if (rc == PT_OK)
				rc = walk_value(w, val);
			w->path.len = saved;
			w->path.buf[saved] = '\0';
			if (rc != PT_OK)
				return rc;
		}
		return PT_OK;
	}
	if (t == json_type_array && json_object_array_length(v) > 0)
	{
		size_t		n = json_object_array_length(v);
		size_t		i;

		for (i = 0; i < n; i++)
		{
			int			rc = walk_value(w, json_object_array_get_idx(v, i));

			if (rc != PT_OK)
				return rc;
		}
		return PT_OK;
	}
	/* A leaf: a scalar, an empty object or an empty array. */
	return check_path(w);
}

/* Walk a parsed JSON value for a gated key; on a hit fill err and, when asked, key_out. */
static int
gate_walk(struct json_object *root, const char *prefix, const char *where,
		  char *key_out, size_t key_size, PtError *err)
{
	GateWalk	w;
	int			rc;

	memset(&w, 0, sizeof(w));
	w.where = where;
	w.key_out = key_out;
	w.key_size = key_size;
	w.err = err;
	if (prefix != NULL && prefix[0] != '\0')
	{
		if (!path_push(&w.path, prefix))
			return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory checking hard gates");
		w.rel_start = w.path.len + 1;
	}
	rc = walk_value(&w, root);
	PtFree(w.path.buf);
	return rc;
}

/* Walk JSON text for a gated key; on a hit fill err and, when asked, key_out. */
static int
gate_check(const char *json_text, const char *prefix, const char *where,
		   char *key_out, size_t key_size, PtError *err)
{
	struct json_object *root;
	PtError		local;
	int			rc;

	if (err == NULL)
		err = &local;
	PtErrorClear(err);
	if (json_text == NULL)
		return PT_OK;			/* nothing given, nothing gated */
	if (where == NULL)
		where = "the argument";
	root = PtJsonParse(json_text, where, err);
	if (root == NULL)
		return err->code;
	rc = gate_walk(root, prefix, where, key_out, key_size, err);
	json_object_put(root);
	return rc;
}

/* Scan a parsed JSON value for a gated key (see gates.h). */
int
PtGateCheckObject(struct json_object *value, const char *prefix, const char *where, PtError *err)
{
	PtError		local;

	if (err == NULL)
		err = &local;
	PtErrorClear(err);
	return gate_walk(value, prefix, where != NULL ? where : "the argument", NULL, 0, err);
}

/* Scan JSON text for a gated key (see gates.h). */
int
PtGateCheckJson(const char *json_text, const char *prefix, const char *where, PtError *err)
{
	return gate_check(json_text, prefix, where, NULL, 0, err);
}

/* Scan JSON text for a gated key and copy its path into key_out (see gates.h). */
int
PtGateFindKey(const char *json_text, char *key_out, size_t key_size, PtError *err)
{
	if (key_out != NULL && key_size > 0)
		key_out[0] = '\0';
	return gate_check(json_text, NULL, "the value", key_out, key_size, err);
}
