/*
 * fuzz_gates.c — PtGateCheckJson and PtGateMatchKey (src/core/gates.c).
 *
 * Input: json [0x01 prefix].  The check must end in a clean result; a gated
 * prefix, or a top-level key that PtGateMatchKey calls gated, must give
 * PT_ERR_HARD_GATE whenever the text is valid JSON.
 */
#include <json-c/json.h>

#include "fuzz_common.h"
#include "gates.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fuzz one input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long		live = PtAllocLive();
	char	   *text = fuzz_text(data, size);
	bool		utf8 = fuzz_utf8_valid(text, size);
	char	   *parts[FUZZ_MAX_PARTS];
	int			n_parts = fuzz_split(text, parts, 2);
	const char *prefix = n_parts > 1 ? parts[1] : NULL;
	PtError		err;
	int			rc;

	/* The raw text as a dotted key: any bytes at all. */
	(void) PtGateMatchKey(parts[0]);

	rc = PtGateCheckJson(parts[0], prefix, "the argument", &err);
	if (rc == PT_OK)
		FUZZ_ASSERT(err.code == PT_OK, "PT_OK with an error set");
	else
	{
		fuzz_check_error(&err, rc, utf8);
		FUZZ_ASSERT(rc == PT_ERR_HARD_GATE || rc == PT_ERR_INVALID_TEXT ||
					rc == PT_ERR_INVALID_PARAMETER || rc == PT_ERR_OUT_OF_MEMORY,
					"unexpected code %s", PtErrorCodeName(err.code));
		if (rc == PT_ERR_HARD_GATE)
			FUZZ_ASSERT(strncmp(err.message, "OPT_REFUSED_HARD_GATE: \"", 24) == 0, "message %s", err.message);
	}
	if (rc != PT_ERR_INVALID_TEXT && rc != PT_ERR_INVALID_PARAMETER)
	{
		struct json_object *root;

		if (prefix != NULL && PtGateMatchKey(prefix) != NULL)
			FUZZ_ASSERT(rc == PT_ERR_HARD_GATE, "gated prefix \"%s\" passed", prefix);
		root = json_tokener_parse(parts[0]);
		if (root != NULL && json_object_get_type(root) == json_type_object)
		{
			json_object_object_foreach(root, key, val)
			{
				(void) val;
				if (PtGateMatchKey(key) != NULL)
					FUZZ_ASSERT(rc == PT_ERR_HARD_GATE, "gated key \"%s\" passed", key);
			}
		}
		json_object_put(root);
	}
	FUZZ_ASSERT(PtAllocLive() == live, "%ld allocations leaked", PtAllocLive() - live);
	free(text);
	return 0;
}
