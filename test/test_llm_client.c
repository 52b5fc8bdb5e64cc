/*
 * test_llm_client.c — the LLM HTTP client against the stand-in over real
 * HTTP on loopback: both protocols, retries, Retry-After, timeouts, cancel,
 * reply cap, redirects, configuration errors, and the key kept out of errors.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llm_client.h"
#include "pt_alloc.h"
#include "llm_stub_run.h"
#include "unit.h"

#define SECRET_MARK "SECRET"

/* Seconds since an arbitrary start. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A stop that fires once the clock passes the deadline in arg. */
static bool
stop_after(void *arg)
{
	return now_s() >= *(double *) arg;
}

/* True when no text of err carries the key. */
static bool
key_free(const PtError *err)
{
	return strstr(err->message, SECRET_MARK) == NULL && strstr(err->detail, SECRET_MARK) == NULL &&
		strstr(err->hint, SECRET_MARK) == NULL;
}

/* One call with a model name; returns the code and fills resp. */
static int
call(const PtLlmSettings *s, const char *model, const PtStop *stop, PtLlmResponse *resp, PtError *err)
{
	PtLlmRequest req = {"You propose parameters.", "SEARCH SPACE (one JSON object per parameter):\n"
		"{\"name\": \"x\", \"type\": \"float\", \"low\": 0, \"high\": 1}\n\nAnswer with JSON.",
	model, 0.2, true};

	return PtLlmCall(s, &req, stop, resp, err);
}

/* Settings pointing at the stub with a given provider. */
static void
settings_for(PtLlmSettings *s, const StubServer *stub, PtLlmProvider provider, char *url, size_t size)
{
	PtLlmSettingsDefault(s);
	s->provider = provider;
	snprintf(url, size, "http://127.0.0.1:%d/v1/%s", stub->port,
			 provider == PT_LLM_ANTHROPIC ? "messages" : "chat/completions");
	s->endpoint = url;
	s->model = "stub";
	s->api_key_file = stub->key;
	s->timeout_ms = 5000;
	s->max_retries = 2;
	s->backoff_ms = 50;
}

/* The fault cases for one provider. */
static void
test_provider(const StubServer *stub, PtLlmProvider provider)
{
	const char *pn = PtLlmProviderName(provider);
	PtLlmSettings s;
	char		url[128];
	PtLlmResponse r;
	PtError		err;
	int			rc;
	double		t0;
	char	   *log;
	bool		all_key_free = true;

	settings_for(&s, stub, provider, url, sizeof(url));

	stub_clear_log(stub);
	rc = call(&s, NULL, NULL, &r, &err);
	CHECK(rc == PT_OK && r.text != NULL && strstr(r.text, "\"params\"") != NULL,
		  "%s: a normal call answers with params (%s)", pn, err.message);
	CHECK(r.tokens_in > 0 && r.tokens_out > 0 && r.attempts == 1, "%s: tokens counted (%ld in, %ld out)",
		  pn, r.tokens_in, r.tokens_out);
	PtLlmResponseFree(&r);
	log = stub_read_log(stub);
	CHECK(strstr(log, "\"auth\": \"ok\"") != NULL, "%s: the key reached the stub in the right header", pn);
	CHECK(strstr(log, "You propose parameters.") != NULL, "%s: the system text was sent", pn);
	free(log);

	t0 = now_s();
	rc = call(&s, "stub-429x1", NULL, &r, &err);
	CHECK(rc == PT_OK && r.attempts == 2, "%s: a 429 is retried and then succeeds (%d attempts)", pn, r.attempts);
	CHECK(now_s() - t0 >= 0.9, "%s: Retry-After: 1 was honoured (%.2f s)", pn, now_s() - t0);
	PtLlmResponseFree(&r);

	rc = call(&s, "stub-500", NULL, &r, &err);
	CHECK(rc == PT_ERR_LLM_HTTP && r.attempts == 3 && r.text == NULL,
		  "%s: 500 every time gives PT_ERR_LLM_HTTP after 1 + 2 retries (%d)", pn, r.attempts);
	CHECK(strstr(err.message, "500") != NULL, "%s: the status is named: %s", pn, err.message);
	all_key_free &= key_free(&err);
	PtLlmResponseFree(&r);

	stub_clear_log(stub);
	rc = call(&s, "stub-dropx1", NULL, &r, &err);
	log = stub_read_log(stub);
	/* libcurl itself retries a reused connection that answers nothing, so count requests at the stub */
	CHECK(rc == PT_OK && strstr(log, "\"fault\": \"drop\"") != NULL && strstr(log, "\"fault\": null") != NULL,
		  "%s: a dropped connection is retried (%d attempts)", pn, r.attempts);
	free(log);
	PtLlmResponseFree(&r);

	rc = call(&s, "stub-drop", NULL, &r, &err);
	CHECK(rc == PT_ERR_LLM_HTTP, "%s: always dropped gives PT_ERR_LLM_HTTP (%s)", pn, err.message);
	all_key_free &= key_free(&err);
	PtLlmResponseFree(&r);

	rc = call(&s, "stub-badbody", NULL, &r, &err);
	CHECK(rc == PT_ERR_LLM_REPLY && r.attempts == 1, "%s: a body that is not JSON gives PT_ERR_LLM_REPLY", pn);
	all_key_free &= key_free(&err);
	PtLlmResponseFree(&r);

	rc = call(&s, "stub-huge", NULL, &r, &err);
	CHECK(rc == PT_ERR_LLM_REPLY && strstr(err.message, "larger than") != NULL,
		  "%s: a 4 MB body is cut at the cap: %s", pn, err.message);
	PtLlmResponseFree(&r);

	rc = call(&s, "stub-redirect", NULL, &r, &err);
	CHECK(rc == PT_ERR_LLM_HTTP && r.attempts == 1 && strstr(err.detail, "Redirects") != NULL,
		  "%s: a redirect is not followed: %s", pn, err.message);
	all_key_free &= key_free(&err);
	PtLlmResponseFree(&r);

	s.timeout_ms = 700;
	t0 = now_s();
	rc = call(&s, "stub-slow", NULL, &r, &err);
	CHECK(rc == PT_ERR_LLM_TIMEOUT && now_s() - t0 < 3.0, "%s: a slow reply times out (%.2f s, %s)", pn,
		  now_s() - t0, err.message);
	PtLlmResponseFree(&r);
	s.timeout_ms = 60000;

	{
		double		deadline = now_s() + 0.3;
		PtStop		stop = {stop_after, &deadline};

		t0 = now_s();
		rc = call(&s, "stub-slow", &stop, &r, &err);
		CHECK(rc == PT_ERR_CANCELLED && now_s() - t0 < 1.5,
			  "%s: a stop during a slow reply cancels within about a second (%.2f s)", pn, now_s() - t0);
		PtLlmResponseFree(&r);

		s.backoff_ms = 20000;
		deadline = now_s() + 0.3;
		t0 = now_s();
		rc = call(&s, "stub-500", &stop, &r, &err);
		CHECK(rc == PT_ERR_CANCELLED && now_s() - t0 < 1.5,
			  "%s: a stop during a retry wait cancels at once (%.2f s)", pn, now_s() - t0);
		PtLlmResponseFree(&r);
		s.backoff_ms = 50;
	}
	CHECK(all_key_free, "%s: no error text carries the key", pn);
}

/* Configuration errors need no server. */
static void
test_config(const StubServer *stub)
{
	PtLlmSettings s;
	PtLlmResponse r;
	PtError		err;
	char	   *key = NULL;
	char		url[128];
	int			rc;

	PtLlmSettingsDefault(&s);
	rc = call(&s, "m", NULL, &r, &err);
	CHECK(rc == PT_ERR_LLM_CONFIG && r.attempts == 0, "no endpoint gives PT_ERR_LLM_CONFIG: %s", err.message);
	PtLlmResponseFree(&r);

	s.endpoint = "ftp://127.0.0.1/x";
	s.model = "m";
	rc = call(&s, NULL, NULL, &r, &err);
	CHECK(rc == PT_ERR_LLM_CONFIG, "an ftp endpoint is refused: %s", err.message);
	PtLlmResponseFree(&r);

	s.endpoint = "file:///etc/passwd";
	rc = call(&s, NULL, NULL, &r, &err);
	CHECK(rc == PT_ERR_LLM_CONFIG && r.text == NULL, "a file: endpoint is refused: %s", err.message);
	PtLlmResponseFree(&r);

	settings_for(&s, stub, PT_LLM_OPENAI, url, sizeof(url));
	s.api_key_file = "/nonexistent/ptopt-key";
	rc = call(&s, NULL, NULL, &r, &err);
	CHECK(rc == PT_ERR_LLM_CONFIG && r.attempts == 0, "an unreadable key file gives PT_ERR_LLM_CONFIG: %s",
		  err.detail);
	PtLlmResponseFree(&r);

	s.api_key_file = NULL;
	s.model = "";
	rc = call(&s, NULL, NULL, &r, &err);
	CHECK(rc == PT_ERR_LLM_CONFIG, "no model gives PT_ERR_LLM_CONFIG: %s", err.message);
	PtLlmResponseFree(&r);

	s.model = "stub";
	snprintf(url, sizeof(url), "http://127.0.0.1:1/v1/chat/completions");
	s.max_retries = 0;
	rc = call(&s, NULL, NULL, &r, &err);
	CHECK(rc == PT_ERR_LLM_HTTP && key_free(&err), "a closed port gives PT_ERR_LLM_HTTP: %s", err.message);
	PtLlmResponseFree(&r);

	rc = PtLlmReadKey(stub->key, &key, &err);
	CHECK(rc == PT_OK && key != NULL && strcmp(key, "sk-test-SECRET-0123456789") == 0,
		  "the key file's first line is the key, trimmed");
	PtLlmKeyFree(key);
}

/* Run the client tests against a stub started here. */
int
main(void)
{
	StubServer	stub;
	long		live = PtAllocLive();

	if (!stub_start(&stub, 30.0))
	{
		CHECK(false, "the LLM stand-in started (python3 test/llm_stub/llm_stub.py)");
		stub_stop(&stub);
		return UnitDone();
	}
	test_provider(&stub, PT_LLM_OPENAI);
	test_provider(&stub, PT_LLM_ANTHROPIC);
	test_config(&stub);
	PtLlmClientShutdown();
	CHECK(PtAllocLive() == live, "no allocation left behind (%ld live)", PtAllocLive() - live);
	stub_stop(&stub);
	return UnitDone();
}
