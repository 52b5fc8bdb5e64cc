#!/usr/bin/env bash
# The LLM part of make demo: the llm strategy against PTOPT_LLM_ENDPOINT when set
# (with PTOPT_LLM_MODEL, PTOPT_LLM_PROVIDER, PTOPT_LLM_API_KEY_FILE), else against
# the stand-in test/llm_stub/llm_stub.py, which is a test double, not a model.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/ptopt-demo-llm.XXXXXX)
chmod 755 "$dir"
stub_pid=
trap '[ -n "$stub_pid" ] && kill "$stub_pid" 2>/dev/null; rm -rf "$dir"' EXIT
if [ -n "${PTOPT_LLM_ENDPOINT:-}" ]; then
	endpoint=$PTOPT_LLM_ENDPOINT
	model=${PTOPT_LLM_MODEL:-}
	provider=${PTOPT_LLM_PROVIDER:-openai}
	key_file=${PTOPT_LLM_API_KEY_FILE:-}
	label="Against the configured endpoint (a real model)."
else
	py=/usr/bin/python3
	[ -x "$py" ] || py=python3
	"$py" test/llm_stub/llm_stub.py --port-file "$dir/port" >"$dir/stub.log" 2>&1 &
	stub_pid=$!
	for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.05; done
	endpoint="http://127.0.0.1:$(cat "$dir/port")/v1/chat/completions"
	model=stub
	provider=openai
	key_file=
	label="No endpoint configured (PTOPT_LLM_ENDPOINT): this is the STAND-IN, a test double that proposes by rule, NOT a model."
fi
pg_virtualenv -t -o max_worker_processes=16 psql -X -v ON_ERROR_STOP=1 -v endpoint="$endpoint" -v model="$model" \
	-v provider="$provider" -v key_file="$key_file" -v label="$label" \
	-c 'CREATE EXTENSION IF NOT EXISTS ptopt' -f test/demo_llm.sql
