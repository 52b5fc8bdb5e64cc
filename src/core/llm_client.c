/*
 * llm_client.c — one chat request over HTTP with libcurl, for the openai
 * (chat completions) and anthropic (messages) protocols.
 *
 * Hygiene (pgsql-http's and pg_net's lessons): every option is re-applied on
 * each attempt after curl_easy_reset; CURLOPT_NOSIGNAL; http and https only;
 * no redirects; connect and total timeouts; the reply is capped; a progress
 * callback aborts the transfer when the PtStop fires, and retry waits sleep
 * in short slices that poll it too, so a cancel ends a call within about a
 * second.  Every curl and json-c object is freed on every path.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llm_client.h"
#include "pt_alloc.h"

#define LLM_SLEEP_SLICE_MS 50		/* retry waits poll the stop this often */
#define LLM_RETRY_AFTER_MAX_S 3600	/* a larger Retry-After is read as this */
#define LLM_ERROR_SNIPPET 200		/* bytes of an error body quoted in a detail */
#define LLM_HEADER_MAX (PT_LLM_KEY_MAX + 64)

/* What one attempt collects. */
typedef struct LlmTransfer
{
	char	   *body;
	size_t		len;
	size_t		cap;
	size_t		limit;
	bool		too_big;
	long		retry_after_s;	/* -1 when the header was absent */
	const PtStop *stop;
	bool		stopped;
} LlmTransfer;

/* How one attempt ended. */
typedef enum LlmOutcome
{
	LLM_DONE,					/* a usable answer */
	LLM_RETRY,					/* 429, 5xx, a dropped connection: try again */
	LLM_FAIL					/* err is set; stop */
} LlmOutcome;

static CURL *llm_curl = NULL;	/* reused across calls, reset on each */
static bool llm_curl_ready = false;

/* Release the process's reusable curl handle. */
void
PtLlmClientShutdown(void)
{
	if (llm_curl != NULL)
		curl_easy_cleanup(llm_curl);
	llm_curl = NULL;
	if (llm_curl_ready)
		curl_global_cleanup();
	llm_curl_ready = false;
}

/* Release what a response holds. */
void
PtLlmResponseFree(PtLlmResponse *resp)
{
	if (resp == NULL)
		return;
	PtFree(resp->text);
	resp->text = NULL;
}

/* Overwrite a key with zeros and free it. */
void
PtLlmKeyFree(char *key)
{
	if (key == NULL)
		return;
	explicit_bzero(key, strlen(key));
	PtFree(key);
}

/* Read an API key file: the first line, trimmed. */
int
PtLlmReadKey(const char *path, char **key_out, PtError *err)
{
	char		buf[PT_LLM_KEY_MAX + 2];
	FILE	   *f;
	size_t		n;
	size_t		start = 0;
	char	   *nl;

	*key_out = NULL;
	f = fopen(path, "r");
	if (f == NULL)
	{
		int			e = errno;

		PtErrorSet(err, PT_ERR_LLM_CONFIG, "could not read the LLM API key file");
		PtErrorDetail(err, "Opening the file named by ptopt.llm_api_key_file failed: %s.", strerror(e));
		PtErrorHint(err, "A superuser sets ptopt.llm_api_key_file to a file the server can read.");
		return PT_ERR_LLM_CONFIG;
	}
	n = fread(buf, 1, PT_LLM_KEY_MAX + 1, f);
	fclose(f);
	buf[n] = '\0';
	nl = strpbrk(buf, "\r\n");
	if (nl != NULL)
		*nl = '\0';
	else if (n > PT_LLM_KEY_MAX)
		n = 0;					/* too long: treated as unusable below */
	n = nl != NULL ? (size_t) (nl - buf) : (n > PT_LLM_KEY_MAX ? 0 : n);
	while (start < n && isspace((unsigned char) buf[start]))
		start++;
	while (n > start && isspace((unsigned char) buf[n - 1]))
		n--;
	buf[n] = '\0';
	if (n == start)
	{
		explicit_bzero(buf, sizeof(buf));
		PtErrorSet(err, PT_ERR_LLM_CONFIG, "the LLM API key file holds no usable key");
		PtErrorDetail(err, "The key is the file's first line, at most %d bytes.", PT_LLM_KEY_MAX);
		return PT_ERR_LLM_CONFIG;
	}
	*key_out = PtStrdup(buf + start);
	explicit_bzero(buf, sizeof(buf));
	if (*key_out == NULL)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory reading the LLM API key");
	return PT_OK;
}

/* curl write callback: append to the body, refusing past the cap. */
static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	LlmTransfer *t = arg;
	size_t		n = size * nmemb;

	if (t->len + n > t->limit)
	{
		t->too_big = true;
		return 0;
	}
	if (t->len + n + 1 > t->cap)
	{
		size_t		cap = t->cap ? t->cap : 4096;
		char	   *p;

		while (cap < t->len + n + 1)
			cap *= 2;
		p = PtRealloc(t->body, cap);
		if (p == NULL)
			return 0;
		t->body = p;
		t->cap = cap;
	}
	memcpy(t->body + t->len, data, n);
	t->len += n;
	t->body[t->len] = '\0';
	return n;
}

/* curl header callback: note Retry-After (delta seconds). */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	LlmTransfer *t = arg;
	size_t		n = size * nmemb;
	static const char name[] = "retry-after:";
	size_t		k = sizeof(name) - 1;

	if (n > k && strncasecmp(data, name, k) == 0)
	{
		char		num[32];
		size_t		m = n - k < sizeof(num) - 1 ? n - k : sizeof(num) - 1;
		char	   *end;
		long		v;

		memcpy(num, data + k, m);
		num[m] = '\0';
		errno = 0;
		v = strtol(num, &end, 10);
		if (end != num && errno == 0 && v >= 0)
			t->retry_after_s = v > LLM_RETRY_AFTER_MAX_S ? LLM_RETRY_AFTER_MAX_S : v;
	}
	return n;
}

/* curl progress callback: abort when a stop is pending. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	LlmTransfer *t = arg;

	if (PtStopRequested(t->stop))
	{
		t->stopped = true;
		return 1;
	}
	return 0;
}

/* Sleep ms milliseconds in slices, returning false as soon as a stop is pending. */
static bool
sleep_polling(long ms, const PtStop *stop)
{
	while (ms > 0)
	{
		long		slice = ms < LLM_SLEEP_SLICE_MS ? ms : LLM_SLEEP_SLICE_MS;
		struct timespec ts = {slice / 1000, (slice % 1000) * 1000000L};

		if (PtStopRequested(stop))
			return false;
		nanosleep(&ts, NULL);
		ms -= slice;
	}
	return !PtStopRequested(stop);
}

/* The request body as JSON text (PtMalloc'd), or NULL when out of memory. */
static char *
request_body(const PtLlmSettings *s, const PtLlmRequest *req, const char *model)
{
	json_object *root = json_object_new_object();
	json_object *messages = json_object_new_array();
	json_object *msg;
	char	   *text;

	json_object_object_add(root, "model", json_object_new_string(model));
	if (s->provider == PT_LLM_ANTHROPIC)
	{
		json_object_object_add(root, "max_tokens",
							   json_object_new_int(s->max_tokens > 0 ? s->max_tokens : PT_LLM_DEFAULT_MAX_TOKENS));
		json_object_object_add(root, "system", json_object_new_string(req->system ? req->system : ""));
	}
	else
	{
		msg = json_object_new_object();
		json_object_object_add(msg, "role", json_object_new_string("system"));
		json_object_object_add(msg, "content", json_object_new_string(req->system ? req->system : ""));
		json_object_array_add(messages, msg);
		if (req->json_mode)
		{
			json_object *fmt = json_object_new_object();

			json_object_object_add(fmt, "type", json_object_new_string("json_object"));
			json_object_object_add(root, "response_format", fmt);
		}
	}
	msg = json_object_new_object();
	json_object_object_add(msg, "role", json_object_new_string("user"));
	json_object_object_add(msg, "content", json_object_new_string(req->user ? req->user : ""));
	json_object_array_add(messages, msg);
	json_object_object_add(root, "messages", messages);
	if (req->temperature >= 0)
		json_object_object_add(root, "temperature", json_object_new_double(req->temperature));
	text = PtStrdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return text;
}

/* An integer member of usage, or 0. */
static long
usage_value(json_object *usage, const char *name)
{
	json_object *v;

	if (usage != NULL && json_object_object_get_ex(usage, name, &v) && json_object_is_type(v, json_type_int))
		return (long) json_object_get_int64(v);
	return 0;
}

/* Copy body with every occurrence of key blanked out, cut to LLM_ERROR_SNIPPET bytes of printable text. */
static void
redacted_snippet(const char *body, size_t len, const char *key, char *out, size_t size)
{
	size_t		i = 0;
	size_t		o = 0;
	size_t		klen = key ? strlen(key) : 0;

	while (i < len && o + 1 < size && o < LLM_ERROR_SNIPPET)
	{
		if (klen > 0 && i + klen <= len && memcmp(body + i, key, klen) == 0)
		{
			const char *mask = "[redacted]";

			while (*mask && o + 1 < size)
				out[o++] = *mask++;
			i += klen;
			continue;
		}
		out[o++] = isprint((unsigned char) body[i]) ? body[i] : ' ';
		i++;
	}
	out[o] = '\0';
}

/* Read the answer text and token counts out of a 200 reply. */
static LlmOutcome
read_reply(const PtLlmSettings *s, LlmTransfer *t, PtLlmResponse *out, PtError *err)
{
	json_tokener *tok;
	json_object *root;
	json_object *usage = NULL;
	json_object *node = NULL;
	json_object *text = NULL;
	enum json_tokener_error jerr;

	if (t->body == NULL)
	{
		PtErrorSet(err, PT_ERR_LLM_REPLY, "the LLM endpoint returned an empty reply");
		return LLM_FAIL;
	}
	tok = json_tokener_new();
	if (tok == NULL)
	{
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory reading the LLM reply");
		return LLM_FAIL;
	}
	root = json_tokener_parse_ex(tok, t->body, (int) t->len);
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (root == NULL || jerr != json_tokener_success)
	{
		if (root != NULL)
			json_object_put(root);
		PtErrorSet(err, PT_ERR_LLM_REPLY, "the LLM endpoint's reply is not JSON");
		PtErrorDetail(err, "The %s protocol answers with a JSON object; %zu bytes of something else came back.",
					  PtLlmProviderName(s->provider), t->len);
		return LLM_FAIL;
	}
	if (json_object_object_get_ex(root, "usage", &usage))
	{
		out->tokens_in += usage_value(usage, s->provider == PT_LLM_ANTHROPIC ? "input_tokens" : "prompt_tokens");
		out->tokens_out += usage_value(usage, s->provider == PT_LLM_ANTHROPIC ? "output_tokens" : "completion_tokens");
	}
	if (s->provider == PT_LLM_ANTHROPIC)
	{
		if (json_object_object_get_ex(root, "content", &node) && json_object_is_type(node, json_type_array))
		{
			size_t		i;

			for (i = 0; i < json_object_array_length(node) && text == NULL; i++)
			{
				json_object *part = json_object_array_get_idx(node, i);
				json_object *v;

				if (json_object_is_type(part, json_type_object) &&
					json_object_object_get_ex(part, "text", &v) && json_object_is_type(v, json_type_string))
					text = v;
			}
		}
	}
	else if (json_object_object_get_ex(root, "choices", &node) && json_object_is_type(node, json_type_array) &&
			 json_object_array_length(node) > 0)
	{
		json_object *choice = json_object_array_get_idx(node, 0);
		json_object *msg;
		json_object *v;

		if (json_object_is_type(choice, json_type_object) &&
			json_object_object_get_ex(choice, "message", &msg) && json_object_is_type(msg, json_type_object) &&
			json_object_object_get_ex(msg, "content", &v) && json_object_is_type(v, json_type_string))
			text = v;
	}
	if (text == NULL)
	{
		json_object_put(root);
		PtErrorSet(err, PT_ERR_LLM_REPLY, "the LLM endpoint's reply holds no answer text");
		PtErrorDetail(err, "The %s protocol puts it in %s.", PtLlmProviderName(s->provider),
					  s->provider == PT_LLM_ANTHROPIC ? "content[0].text" : "choices[0].message.content");
		return LLM_FAIL;
	}
	out->text = PtStrdup(json_object_get_string(text));
	json_object_put(root);
	if (out->text == NULL)
	{
		PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory reading the LLM reply");
		return LLM_FAIL;
	}
	return LLM_DONE;
}

/* Make one HTTP request; classify how it ended. */
static LlmOutcome
attempt(const PtLlmSettings *s, const char *body, const char *key, const PtStop *stop,
		LlmTransfer *t, PtLlmResponse *out, PtError *err)
{
	struct curl_slist *headers = NULL;
	struct curl_slist *h;
	char		line[LLM_HEADER_MAX];
	CURLcode	rc;
	long		status = 0;
	LlmOutcome	outcome;
	char		snippet[LLM_ERROR_SNIPPET + 16];

	curl_easy_reset(llm_curl);
	h = curl_slist_append(headers, "Content-Type: application/json");
	headers = h ? h : headers;
	h = curl_slist_append(headers, "Expect:");
	headers = h ? h : headers;
	if (s->provider == PT_LLM_ANTHROPIC)
	{
		h = curl_slist_append(headers, "anthropic-version: 2023-06-01");
		headers = h ? h : headers;
	}
	if (key != NULL)
	{
		if (s->provider == PT_LLM_ANTHROPIC)
			snprintf(line, sizeof(line), "x-api-key: %s", key);
		else
			snprintf(line, sizeof(line), "Authorization: Bearer %s", key);
		h = curl_slist_append(headers, line);
		explicit_bzero(line, sizeof(line));
		if (h == NULL)
		{
			curl_slist_free_all(headers);
			PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory building the LLM request");
			return LLM_FAIL;
		}
		headers = h;
	}
	curl_easy_setopt(llm_curl, CURLOPT_URL, s->endpoint);
	curl_easy_setopt(llm_curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(llm_curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(llm_curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(llm_curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(llm_curl, CURLOPT_CONNECTTIMEOUT_MS,
					 (long) (s->connect_timeout_ms > 0 ? s->connect_timeout_ms : PT_LLM_DEFAULT_CONNECT_TIMEOUT_MS));
	curl_easy_setopt(llm_curl, CURLOPT_TIMEOUT_MS,
					 (long) (s->timeout_ms > 0 ? s->timeout_ms : PT_LLM_DEFAULT_TIMEOUT_MS));
	curl_easy_setopt(llm_curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(llm_curl, CURLOPT_POST, 1L);
	curl_easy_setopt(llm_curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(llm_curl, CURLOPT_POSTFIELDSIZE, (long) strlen(body));
	curl_easy_setopt(llm_curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(llm_curl, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(llm_curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(llm_curl, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(llm_curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(llm_curl, CURLOPT_XFERINFODATA, t);
	curl_easy_setopt(llm_curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(llm_curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) t->limit);
	curl_easy_setopt(llm_curl, CURLOPT_USERAGENT, "ptopt");

	rc = curl_easy_perform(llm_curl);
	curl_easy_getinfo(llm_curl, CURLINFO_RESPONSE_CODE, &status);
	/* Drop the header list (it holds the key) before anything else can fail. */
	curl_easy_setopt(llm_curl, CURLOPT_HTTPHEADER, NULL);
	for (h = headers; h != NULL; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(headers);
	out->attempts++;
	out->http_status = (int) status;

	if (t->stopped || (rc == CURLE_ABORTED_BY_CALLBACK && PtStopRequested(stop)))
	{
		PtErrorSet(err, PT_ERR_CANCELLED, "canceling the LLM request");
		return LLM_FAIL;
	}
	if (t->too_big || rc == CURLE_FILESIZE_EXCEEDED)
	{
		PtErrorSet(err, PT_ERR_LLM_REPLY, "the LLM endpoint's reply is larger than %zu bytes", t->limit);
		PtErrorDetail(err, "Replies are capped so that a misbehaving endpoint cannot exhaust memory.");
		return LLM_FAIL;
	}
	switch (rc)
	{
		case CURLE_OK:
			break;
		case CURLE_OPERATION_TIMEDOUT:
			PtErrorSet(err, PT_ERR_LLM_TIMEOUT, "the LLM request timed out");
			PtErrorDetail(err, "No complete reply came within %d ms (connect limit %d ms).",
						  s->timeout_ms, s->connect_timeout_ms);
			PtErrorHint(err, "Raise ptopt.llm_timeout_ms, or use a faster model.");
			return LLM_FAIL;
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
			PtErrorSet(err, PT_ERR_LLM_CONFIG, "the LLM endpoint cannot be used: %s", curl_easy_strerror(rc));
			PtErrorHint(err, "A superuser sets ptopt.llm_endpoint to an http or https URL of a reachable host.");
			return LLM_FAIL;
		case CURLE_OUT_OF_MEMORY:
			PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory in the LLM request");
			return LLM_FAIL;
		default:
			/* refused, reset or dropped connections, TLS trouble: retried */
			PtErrorSet(err, PT_ERR_LLM_HTTP, "the LLM request failed: %s", curl_easy_strerror(rc));
			return LLM_RETRY;
	}
	if (status == 200)
	{
		outcome = read_reply(s, t, out, err);
		return outcome;
	}
	redacted_snippet(t->body ? t->body : "", t->len, key, snippet, sizeof(snippet));
	PtErrorSet(err, PT_ERR_LLM_HTTP, "the LLM endpoint answered HTTP status %ld", status);
	if (status >= 300 && status < 400)
		PtErrorDetail(err, "Redirects are not followed.");
	else if (snippet[0] != '\0')
		PtErrorDetail(err, "The reply began: %s", snippet);
	if (status == 401 || status == 403)
		PtErrorHint(err, "Check the key in the file named by ptopt.llm_api_key_file.");
	return (status == 429 || status >= 500) ? LLM_RETRY : LLM_FAIL;
}

/* The wait before retry number n (1-based): Retry-After when given, else doubling backoff. */
static long
retry_delay_ms(const PtLlmSettings *s, int n, long retry_after_s)
{
	long		base = s->backoff_ms > 0 ? s->backoff_ms : PT_LLM_DEFAULT_BACKOFF_MS;
	long		ms = base;
	int			i;

	if (retry_after_s >= 0)
		ms = retry_after_s * 1000;
	else
		for (i = 1; i < n && ms < PT_LLM_MAX_BACKOFF_MS; i++)
			ms *= 2;
	return ms > PT_LLM_MAX_BACKOFF_MS ? PT_LLM_MAX_BACKOFF_MS : ms;
}

/* Send one request and wait for the answer, with retries. */
int
PtLlmCall(const PtLlmSettings *s, const PtLlmRequest *req, const PtStop *stop,
		  PtLlmResponse *out, PtError *err)
{
	const char *model = req->model != NULL && req->model[0] != '\0' ? req->model : s->model;
	char	   *key = NULL;
	char	   *body = NULL;
	int			n;
	int			rc = PT_OK;

	memset(out, 0, sizeof(*out));
	PtErrorClear(err);
	if (s->endpoint == NULL || s->endpoint[0] == '\0')
	{
		PtErrorSet(err, PT_ERR_LLM_CONFIG, "no LLM endpoint is configured");
		PtErrorHint(err, "A superuser sets ptopt.llm_endpoint (and ptopt.llm_provider, ptopt.llm_model).");
		return PT_ERR_LLM_CONFIG;
	}
	if (model == NULL || model[0] == '\0')
	{
		PtErrorSet(err, PT_ERR_LLM_CONFIG, "no LLM model is configured");
		PtErrorHint(err, "Set ptopt.llm_model, or options.llm.model for one run.");
		return PT_ERR_LLM_CONFIG;
	}
	if (!llm_curl_ready)
	{
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return PtErrorSet(err, PT_ERR_LLM_CONFIG, "libcurl could not be initialised");
		llm_curl_ready = true;
	}
	if (llm_curl == NULL && (llm_curl = curl_easy_init()) == NULL)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory creating the HTTP client");
	body = request_body(s, req, model);
	if (body == NULL)
		return PtErrorSet(err, PT_ERR_OUT_OF_MEMORY, "out of memory building the LLM request");

	for (n = 0;; n++)
	{
		LlmTransfer t = {0};
		LlmOutcome	outcome;

		t.limit = s->max_reply_bytes > 0 ? s->max_reply_bytes : PT_LLM_DEFAULT_MAX_REPLY_BYTES;
		t.retry_after_s = -1;
		t.stop = stop;
		if (PtStopRequested(stop))
		{
			rc = PtErrorSet(err, PT_ERR_CANCELLED, "canceling the LLM request");
			break;
		}
		/* the key is read anew for each attempt and wiped right after it */
		if (s->api_key_file != NULL && s->api_key_file[0] != '\0' &&
			PtLlmReadKey(s->api_key_file, &key, err) != PT_OK)
		{
			rc = err->code;
			break;
		}
		PtErrorClear(err);
		outcome = attempt(s, body, key, stop, &t, out, err);
		PtLlmKeyFree(key);
		key = NULL;
		PtFree(t.body);
		if (outcome == LLM_DONE)
		{
			rc = PT_OK;
			break;
		}
		if (outcome == LLM_FAIL || n >= s->max_retries)
		{
			rc = err->code;
			if (outcome == LLM_RETRY && s->max_retries > 0)
				PtErrorHint(err, "Gave up after %d attempts.", n + 1);
			break;
		}
		if (!sleep_polling(retry_delay_ms(s, n + 1, t.retry_after_s), stop))
		{
			rc = PtErrorSet(err, PT_ERR_CANCELLED, "canceling the LLM request");
			break;
		}
	}
	PtFree(body);
	return rc;
}
