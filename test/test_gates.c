/*
 * test_gates.c — unit tests of the hard safety gates (src/core/gates.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "gates.h"
#include "pt_json.h"
#include "pt_alloc.h"
#include "pt_error.h"
#include "unit.h"

/* Run PtGateCheckJson and return its code, leaving the error in *err. */
static int
check(const char *json, const char *prefix, PtError *err)
{
	return PtGateCheckJson(json, prefix, "the search space", err);
}

/* Assert that json is refused as gated, reporting key and family. */
static void
expect_gated(const char *json, const char *prefix, const char *key, const char *family)
{
	PtError		err;
	char		msg[PT_ERROR_MESSAGE_MAX];
	char		detail[PT_ERROR_DETAIL_MAX];
	char		hint[PT_ERROR_HINT_MAX];
	int			rc = check(json, prefix, &err);

	snprintf(msg, sizeof(msg), "OPT_REFUSED_HARD_GATE: \"%s\" is a hard safety gate", key);
	snprintf(detail, sizeof(detail),
			 "Key \"%s\" in the search space falls in the hard-gated family %s; gated settings are not search dimensions.",
			 key, family);
	snprintf(hint, sizeof(hint), "Change %s.* in ptopt.policy with a code review, not in a search.", family);
	CHECK(rc == PT_ERR_HARD_GATE && err.code == PT_ERR_HARD_GATE, "gated: %s (prefix %s)", json,
		  prefix ? prefix : "none");
	CHECK(strcmp(err.message, msg) == 0, "message for %s: %s", json, err.message);
	CHECK(strcmp(err.detail, detail) == 0, "detail for %s: %s", json, err.detail);
	CHECK(strcmp(err.hint, hint) == 0, "hint for %s: %s", json, err.hint);
}

/* Assert that json passes. */
static void
expect_clean(const char *json, const char *prefix)
{
	PtError		err;
	int			rc = check(json, prefix, &err);

	CHECK(rc == PT_OK && err.code == PT_OK && err.message[0] == '\0', "not gated: %s (prefix %s) %s",
		  json, prefix ? prefix : "none", err.message);
}

/*
 * Deep nesting and long keys (the paths test/fuzz/fuzz_gates walks): json-c
 * stops at JSON_TOKENER_DEFAULT_DEPTH (32) levels, which also bounds the
 * recursion of the gate walk, and reports it as malformed JSON; a key of any
 * length is matched whole and reported truncated to the message buffer.
 */
static void
test_limits(void)
{
	static char text[200000];
	PtError		err;
	int			wrappers;
	int			rc;
	int			i;

	/* Any depth jsonb takes: a gate 2,000 objects deep is found (json-c's default limit was 32). */
	for (wrappers = 29; wrappers <= 1998; wrappers += 1969)
	{
		char	   *p = text;

		for (i = 0; i < wrappers; i++)
			p += sprintf(p, "{\"a\": ");
		p += sprintf(p, "{\"risk\": {\"KillSwitch\": 1}}");
		for (i = 0; i < wrappers; i++)
			*p++ = '}';
		*p = '\0';
		rc = check(text, NULL, &err);
		CHECK(rc == PT_ERR_HARD_GATE &&
			  (wrappers > 100 ? strncmp(err.message, "OPT_REFUSED_HARD_GATE: \"a.a.a.", 28) == 0 :
			   strstr(err.message, "a.a.risk.KillSwitch\" is a hard safety gate") != NULL),
			  "gate found %d objects deep: %.60s", wrappers + 2, err.message);
	}
	memset(text, '[', 5000);
	memset(text + 5000, ']', 5000);
	text[10000] = '\0';
	rc = check(text, NULL, &err);
	CHECK(rc == PT_OK, "5000 nested arrays are fine: %s", err.message);
	memset(text, '[', PT_JSON_MAX_DEPTH + 1);
	memset(text + PT_JSON_MAX_DEPTH + 1, ']', PT_JSON_MAX_DEPTH + 1);
	text[2 * PT_JSON_MAX_DEPTH + 2] = '\0';
	rc = check(text, NULL, &err);
	CHECK(rc == PT_ERR_INVALID_PARAMETER && strstr(err.message, "is nested deeper than") != NULL,
		  "deeper than PT_JSON_MAX_DEPTH is a clean error: %s", err.message);

	strcpy(text, "{\"");
	memset(text + 2, 'k', 150000);
	strcpy(text + 150002, ".sec.signer\": 1}");
	rc = check(text, "options", &err);
	CHECK(rc == PT_ERR_HARD_GATE && strncmp(err.message, "OPT_REFUSED_HARD_GATE: \"kkkk", 28) == 0 &&
		  strlen(err.message) == PT_ERROR_MESSAGE_MAX - 1 && strlen(err.detail) == PT_ERROR_DETAIL_MAX - 1,
		  "a 150000-byte gated key is reported, truncated to the message buffer");
	text[150002] = '\0';
	strcat(text, "\": {\"sec.signerx\": 1}}");
	rc = check(text, "options", &err);
	CHECK(rc == PT_OK, "a 150000-byte key that is not gated passes: %s", err.message);
}

/* Run every check and print the TAP plan. */
int
main(void)
{
	long		live0 = PtAllocLive();
	int			n = 0;
	const PtGateFamily *fam = PtGateFamilies(&n);
	int			i;
	PtError		err;
	char		json[512];
	char		key[256];
	char		upper[256];

	{
		char		found[16];

		CHECK(PtGateFindKey("{\"a\": [{\"B\": {\"Risk.KillSwitch\": 1}}]}", key, sizeof(key), &err) == PT_ERR_HARD_GATE &&
			  strcmp(key, "a.B.Risk.KillSwitch") == 0, "PtGateFindKey reports the path as written (%s)", key);
		CHECK(PtGateFindKey("{\"risk.inventory.q_soft_frac\": 1}", key, sizeof(key), &err) == PT_OK && key[0] == '\0',
			  "PtGateFindKey leaves key empty when nothing is gated");
		CHECK(PtGateFindKey("{\"sec.signer.eip712_domain_version\": 1}", found, sizeof(found), &err) == PT_ERR_HARD_GATE &&
			  strlen(found) == sizeof(found) - 1, "PtGateFindKey truncates to the buffer (%s)", found);
		CHECK(PtGateFindKey("{\"x\": ", key, sizeof(key), &err) == PT_ERR_INVALID_TEXT, "PtGateFindKey: bad JSON is 22P02");
	}
	CHECK(n == 5, "five gate families (%d)", n);
	CHECK(strcmp(fam[0].family, "risk.killswitch") == 0, "first family is risk.killswitch");
	CHECK(strcmp(fam[0].covers, "trip thresholds, cooldown, force-trip flags") == 0, "killswitch covers");
	CHECK(strcmp(fam[4].family, "sec.signer") == 0, "last family is sec.signer");
	for (i = 0; i < n; i++)
	{
		const char *f = fam[i].family;
		const char *dot = strchr(f, '.');
		size_t		j;

		CHECK(fam[i].covers != NULL && strlen(fam[i].covers) > 5, "%s has a covers text", f);

		/* flat, exact family and a key under it */
		CHECK(PtGateMatchKey(f) != NULL && strcmp(PtGateMatchKey(f), f) == 0, "match %s", f);
		snprintf(key, sizeof(key), "%s.some_key", f);
		CHECK(PtGateMatchKey(key) == PtGateMatchKey(f), "match %s", key);
		snprintf(json, sizeof(json), "{\"%s\": {\"low\": 1, \"high\": 9}}", key);
		expect_gated(json, NULL, key, f);

		/* upper case and mixed case */
		for (j = 0; j <= strlen(key); j++)
			upper[j] = (char) toupper((unsigned char) key[j]);
		CHECK(PtGateMatchKey(upper) != NULL && strcmp(PtGateMatchKey(upper), f) == 0, "match %s", upper);
		snprintf(json, sizeof(json), "{\"%s\": 1}", upper);
		expect_gated(json, NULL, upper, f);
		upper[0] = (char) tolower((unsigned char) upper[0]);
		snprintf(json, sizeof(json), "{\"%s\": 1}", upper);
		expect_gated(json, NULL, upper, f);

		/* nested: {"risk": {"killswitch": {"x": 1}}} */
		snprintf(json, sizeof(json), "{\"a\": 1, \"%.*s\": {\"%s\": {\"x\": 1}}}",
				 (int) (dot - f), f, dot + 1);
		expect_gated(json, NULL, f, f);

		/* partly nested: {"risk.killswitch": {"x": 1}} and {"risk": {"killswitch.x": 1}} */
		snprintf(json, sizeof(json), "{\"%s\": {\"x\": 1}}", f);
		expect_gated(json, NULL, f, f);
		snprintf(key, sizeof(key), "%s.x", f);
		snprintf(json, sizeof(json), "{\"%.*s\": {\"%s.x\": 1}}", (int) (dot - f), f, dot + 1);
		expect_gated(json, NULL, key, f);

		/* empty object under the family still names it */
		snprintf(json, sizeof(json), "{\"%s\": {}}", f);
		expect_gated(json, NULL, f, f);

		/* inside arrays: no segment added */
		snprintf(json, sizeof(json), "[1, {\"ok\": [2, {\"%s.y\": true}]}]", f);
		snprintf(key, sizeof(key), "ok.%s.y", f);
		expect_gated(json, NULL, key, f);

		/* anywhere in the path */
		snprintf(key, sizeof(key), "fixed.%s.x", f);
		CHECK(PtGateMatchKey(key) != NULL, "match %s", key);

		/* a longer last segment is not the family */
		snprintf(key, sizeof(key), "%sx", f);
		CHECK(PtGateMatchKey(key) == NULL, "no match %s", key);
		snprintf(json, sizeof(json), "{\"%s\": 1}", key);
		expect_clean(json, NULL);
		snprintf(key, sizeof(key), "x%s", f);
		CHECK(PtGateMatchKey(key) == NULL, "no match %s", key);

		/* one segment alone is not the family */
		snprintf(key, sizeof(key), "%.*s", (int) (dot - f), f);
		CHECK(PtGateMatchKey(key) == NULL, "no match %s", key);
		CHECK(PtGateMatchKey(dot + 1) == NULL, "no match %s", dot + 1);
	}

	/* the brief's examples */
	CHECK(PtGateMatchKey("fixed.risk.killswitch.x") != NULL, "fixed.risk.killswitch.x is gated");
	CHECK(PtGateMatchKey("risk.killswitchx") == NULL, "risk.killswitchx is not gated");
	CHECK(PtGateMatchKey("risk.inventory.q_soft_frac") == NULL, "q_soft_frac is not gated");
	CHECK(PtGateMatchKey("risk.killswitch_x") == NULL, "risk.killswitch_x is not gated");
	CHECK(PtGateMatchKey("xrisk.killswitch") == NULL, "xrisk.killswitch is not gated");
	CHECK(PtGateMatchKey("risk..killswitch") == NULL, "risk..killswitch is not gated");
	CHECK(PtGateMatchKey("Risk.KillSwitch") != NULL, "Risk.KillSwitch is gated");
	CHECK(PtGateMatchKey("") == NULL && PtGateMatchKey(NULL) == NULL, "empty and NULL keys");
	expect_gated("{\"risk.killswitch.max_loss_pusd\": {\"low\": 1, \"high\": 9}}", NULL,
				 "risk.killswitch.max_loss_pusd", "risk.killswitch");
	expect_gated("{\"RISK\": {\"KillSwitch\": {\"Cooldown_S\": 5}}}", NULL,
				 "RISK.KillSwitch", "risk.killswitch");
	expect_gated("{\"RISK\": {\"KillSwitch.Cooldown_S\": 5}}", NULL,
				 "RISK.KillSwitch.Cooldown_S", "risk.killswitch");
	expect_clean("{\"risk.inventory.q_soft_frac\": {\"low\": 0.1, \"high\": 0.9}}", NULL);
	expect_clean("{\"risk\": {\"inventory\": {\"q_soft_frac\": 0.5}, \"killswitchx\": 1}}", NULL);
	expect_clean("{\"mm.c_vol\": {\"low\": 0, \"high\": 5}, \"note\": \"risk.killswitch\"}", NULL);
	expect_clean("[\"risk.killswitch\", \"sec.signer\"]", NULL);
	expect_clean("{}", NULL);
	expect_clean("[]", NULL);
	expect_clean("42", NULL);
	expect_clean("{\"a\": [[], {}, null]}", "");

	/* under a prefix: matched on the full path, reported relative to the prefix */
	expect_gated("{\"killswitch\": {\"x\": 1}}", "risk", "killswitch", "risk.killswitch");
	expect_gated("{\"killswitch.x\": 1}", "risk", "killswitch.x", "risk.killswitch");
	expect_gated("{\"x\": 1}", "risk.killswitch", "x", "risk.killswitch");
	expect_gated("{\"signer\": 1}", "fixed.sec", "signer", "sec.signer");
	expect_gated("7", "sec.signer.key_id", "sec.signer.key_id", "sec.signer");
	expect_clean("{\"killswitch\": 1}", "other");
	expect_clean("{\"q_soft_frac\": 1}", "risk.inventory");

	/* the first gated key in text order is the one reported */
	expect_gated("{\"ok\": 1, \"sec.signer.a\": 1, \"risk.killswitch.b\": 2}", NULL,
				 "sec.signer.a", "sec.signer");

	/* malformed JSON and where */
	CHECK(PtGateCheckJson("{\"a\": ", NULL, "options.fixed", &err) == PT_ERR_INVALID_TEXT,
		  "truncated JSON is PT_ERR_INVALID_TEXT");
	CHECK(strstr(err.message, "options.fixed is not valid JSON") != NULL, "message names where: %s",
		  err.message);
	CHECK(PtGateCheckJson("{\"a\": 1} x", NULL, "options.fixed", &err) == PT_ERR_INVALID_TEXT,
		  "trailing garbage is PT_ERR_INVALID_TEXT");
	CHECK(PtGateCheckJson("", NULL, "options.fixed", &err) == PT_ERR_INVALID_TEXT,
		  "empty text is PT_ERR_INVALID_TEXT");
	CHECK(PtGateCheckJson("{\"sec.signer\": 1}", NULL, "options.fixed", &err) == PT_ERR_HARD_GATE &&
		  strstr(err.detail, "in options.fixed falls") != NULL, "detail names where: %s", err.detail);
	CHECK(PtGateCheckJson("{\"a\": {\"b\": 1}, \"a\": {\"sec.signer\": 1}}", NULL, "x", &err) != PT_OK,
		  "a repeated key cannot hide a gate: %s", err.message);
	CHECK(PtGateCheckJson("{\"a\": 1}", NULL, NULL, NULL) == PT_OK, "NULL where and err are fine");
	CHECK(PtGateCheckJson(NULL, "options", "options", &err) == PT_OK && err.code == PT_OK,
		  "NULL text: nothing to check");

	/* deep nesting and long keys */
	{
		char		deep[4096];
		size_t		len = 0;

		for (i = 0; i < 10; i++)
			len += snprintf(deep + len, sizeof(deep) - len, "{\"level%02d_with_a_rather_long_name\": ", i);
		len += snprintf(deep + len, sizeof(deep) - len, "{\"sec\": {\"SIGNER\": 1}}");
		for (i = 0; i < 10; i++)
			len += snprintf(deep + len, sizeof(deep) - len, "}");
		CHECK(check(deep, NULL, &err) == PT_ERR_HARD_GATE, "deep gated key found");
		CHECK(strstr(err.message, "level09_with_a_rather_long_name.sec.SIGNER\" is a hard") != NULL &&
			  strncmp(err.message, "OPT_REFUSED_HARD_GATE: \"level00_", 32) == 0,
			  "deep key reported in full: %.60s...", err.message);
	}

	test_limits();

	CHECK(PtAllocLive() == live0, "no allocation left live (%ld)", PtAllocLive() - live0);
	return UnitDone();
}
