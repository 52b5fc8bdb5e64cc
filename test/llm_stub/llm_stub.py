#!/usr/bin/env python3
"""llm_stub.py -- a TEST DOUBLE for an LLM endpoint. It is not a model.

It speaks the two protocols ptopt uses, over real HTTP on loopback:
  POST /v1/chat/completions   (openai: also what Ollama, llama.cpp and vLLM speak)
  POST /v1/messages           (anthropic)
It reads the search space, the history and any TPE candidates FROM THE PROMPT
it receives (it knows nothing in advance), and answers with sensible
parameters: a perturbation of the best point seen, or a uniform draw.

Faults are chosen per request by the model name: "stub" behaves, "stub-FAULT"
misbehaves on every request, "stub-FAULTxN" on the first N requests with that
model name only (then behaves). FAULT is one of:
  slow       wait --slow-seconds before answering
  429        HTTP 429 with Retry-After: 1
  500        HTTP 500
  badbody    HTTP 200 whose body is not JSON
  nonjson    the answer text holds no JSON at all
  fenced     the JSON answer wrapped in prose and a ```json code fence
  gated      the params also name a hard-gated key (risk.killswitch.max_loss_pusd)
  range      every numeric value far outside its bounds
  types      numbers written as strings ("2.5"), booleans as "true"
  unknown    an extra key that is not a parameter
  repeat     the best point of the history, exactly (an evaluated point)
  huge       a 4 MB body
  drop       close the connection without answering
  redirect   HTTP 302 to another address (must not be followed)
Every request (path, model, system and user text, whether the key matched)
is appended as one JSON line to --log, so tests can read the prompts.

Usage: llm_stub.py --port-file FILE [--log FILE] [--key-file FILE] [--slow-seconds S]
It binds 127.0.0.1 on a free port and writes the port number to --port-file.
"""
import argparse
import hashlib
import json
import math
import os
import random
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
LOG_LOCK = threading.Lock()
COUNTS = {}
GATED_KEY = "risk.killswitch.max_loss_pusd"
HISTORY_RE = re.compile(r"^Iteration (\d+): score (\S+); params (\{.*\})\s*$")
CANDIDATE_RE = re.compile(r"^Candidate (\d+): (\{.*\})\s*$")
K_RE = re.compile(r"exactly (\d+) candidate")


def parse_prompt(text):
    """The space (list of dicts), history [(score, params)] and TPE candidates found in the prompt."""
    space, history, cands = [], [], []
    in_space = False
    for line in text.splitlines():
        if line.startswith("SEARCH SPACE"):
            in_space = True
            continue
        if in_space:
            if not line.strip():
                in_space = False
                continue
            try:
                space.append(json.loads(line))
            except ValueError:
                pass
            continue
        m = HISTORY_RE.match(line)
        if m:
            try:
                history.append((float(m.group(2)), json.loads(m.group(3))))
            except ValueError:
                pass
            continue
        m = CANDIDATE_RE.match(line)
        if m:
            cands.append(json.loads(m.group(2)))
    m = K_RE.search(text)
    return space, history, cands, int(m.group(1)) if m else 1


def snap(p, v):
    """v clipped to p's bounds and put on its grid."""
    lo, hi = float(p["low"]), float(p["high"])
    v = min(max(v, lo), hi)
    step = p.get("step")
    if step:
        v = lo + round((v - lo) / step) * step
        v = min(max(v, lo), hi)
    if p["type"] == "int":
        return int(round(v))
    return round(v, 6) if not step else round(v, 10)


def draw(p, rng, around=None):
    """One value of parameter p: near `around` when given, else uniform."""
    if p["type"] in ("categorical", "bool"):
        choices = p.get("choices", [False, True])
        if around is not None and rng.random() < 0.7:
            return around
        return rng.choice(choices)
    lo, hi = float(p["low"]), float(p["high"])
    if p.get("log") and lo > 0:
        if around is not None:
            v = math.exp(math.log(max(float(around), lo)) + rng.gauss(0, 0.15) * (math.log(hi) - math.log(lo)))
        else:
            v = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    elif around is not None:
        v = float(around) + rng.gauss(0, 0.1) * (hi - lo)
    else:
        v = rng.uniform(lo, hi)
    return snap(p, v)


def propose(space, history, rng):
    """A sensible parameter set: the best point perturbed, or uniform while there is no history."""
    ok = [(s, pr) for s, pr in history if math.isfinite(s)]
    best = max(ok, key=lambda t: t[0])[1] if ok else None
    seen = [pr for _, pr in history]
    for _ in range(50):  # a sensible optimiser does not repeat an evaluated point
        params = {}
        for p in space:
            params[p["name"]] = draw(p, rng, best.get(p["name"]) if best else None)
        if params not in seen:
            break
    why = ("Perturbed the best point so far (score %.4f) by about a tenth of each range." % max(s for s, _ in ok)
           if ok else "No history yet: a uniform draw over the space.")
    return params, why


def fault_of(model, path):
    """The fault the model name selects for this request, or None (counts are per path and model)."""
    if not model.startswith("stub-"):
        return None
    spec = model[5:]
    m = re.match(r"^([a-z0-9]+)x(\d+)$", spec)
    with LOG_LOCK:
        COUNTS[(path, model)] = COUNTS.get((path, model), 0) + 1
        n = COUNTS[(path, model)]
    if m:
        return m.group(1) if n <= int(m.group(2)) else None
    return spec


def answer_text(fault, space, history, cands, k, rng):
    """The model's answer text for a request."""
    if fault == "nonjson":
        return "I think the spread should be wider, but I cannot say by how much."
    if cands and fault is None:
        return json.dumps({"choice": 1, "reasoning": "Stand-in: took TPE's top-ranked candidate."})
    proposals = []
    for _ in range(max(k, 1)):
        params, why = propose(space, history, rng)
        if fault == "gated":
            params[GATED_KEY] = 5
        elif fault == "range":
            for p in space:
                if p["type"] in ("float", "int"):
                    params[p["name"]] = float(p["high"]) * 10 + 100
        elif fault == "types":
            params = {n: (json.dumps(v) if isinstance(v, bool) else str(v) if isinstance(v, (int, float)) else v)
                      for n, v in params.items()}
        elif fault == "unknown":
            params["mm.not_a_parameter"] = 1
        elif fault == "repeat" and history:
            params = max(history, key=lambda t: t[0])[1]
            why = "Repeating the best point."
        proposals.append({"params": params, "reasoning": "Stand-in: " + why})
    body = proposals[0] if k <= 1 else {"candidates": proposals}
    text = json.dumps(body)
    if fault == "fenced":
        return "Here is my proposal.\n```json\n" + json.dumps(body, indent=2) + "\n```\nThat should help."
    return text


class Handler(BaseHTTPRequestHandler):
    """One request: record it, then answer or misbehave."""
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, status, obj=None, raw=None, headers=None):
        data = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a cap or a cancel): expected

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            req = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self.send(400, {"error": {"message": "body is not JSON"}})
            return
        anthropic = self.path.endswith("/messages")
        model = str(req.get("model", ""))
        msgs = req.get("messages") or []
        if anthropic:
            system = req.get("system", "")
        else:
            system = next((m.get("content", "") for m in msgs if m.get("role") == "system"), "")
        user = next((m.get("content", "") for m in msgs if m.get("role") == "user"), "")
        got_key = self.headers.get("x-api-key") if anthropic else (self.headers.get("Authorization") or "")[7:]
        auth = "none"
        if ARGS.key_file:
            with open(ARGS.key_file) as f:
                auth = "ok" if got_key and got_key == f.readline().strip() else "wrong"
        elif got_key:
            auth = "sent"
        fault = fault_of(model, self.path)
        with LOG_LOCK:
            if ARGS.log:
                with open(ARGS.log, "a") as f:
                    f.write(json.dumps({"path": self.path, "model": model, "fault": fault, "auth": auth,
                                        "system": system, "user": user,
                                        "temperature": req.get("temperature")}) + "\n")
        if fault == "drop":
            self.close_connection = True
            return
        if fault == "slow":
            time.sleep(ARGS.slow_seconds)
        if fault == "429":
            self.send(429, {"error": {"message": "rate limited (stand-in)"}}, headers={"Retry-After": "1"})
            return
        if fault == "redirect":
            self.send(302, {"error": "moved"}, headers={"Location": "http://127.0.0.1:1/elsewhere"})
            return
        if fault == "500":
            self.send(500, {"error": {"message": "internal error (stand-in)"}})
            return
        if fault == "badbody":
            self.send(200, raw=b"<html>this is not JSON</html>")
            return
        if fault == "huge":
            self.send(200, raw=b"{\"pad\": \"" + b"x" * (4 * 1024 * 1024) + b"\"}")
            return
        space, history, cands, k = parse_prompt(user)
        rng = random.Random(hashlib.sha256(user.encode()).hexdigest())
        if "EXPLAIN" in user.split("\n", 1)[0]:
            text = "Stand-in explanation: the best iteration scored highest; see the parameters listed."
        else:
            text = answer_text(fault, space, history, cands, k, rng)
        tin, tout = len(system.split()) + len(user.split()), len(text.split())
        if anthropic:
            self.send(200, {"id": "stub", "type": "message", "role": "assistant", "model": model,
                            "content": [{"type": "text", "text": text}],
                            "usage": {"input_tokens": tin, "output_tokens": tout}})
        else:
            self.send(200, {"id": "stub", "object": "chat.completion", "model": model,
                            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                         "finish_reason": "stop"}],
                            "usage": {"prompt_tokens": tin, "completion_tokens": tout}})


def main():
    """Bind a free loopback port, write it down, serve until killed."""
    global ARGS
    ap = argparse.ArgumentParser(description="A test double for an LLM endpoint (not a model).")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--key-file")
    ap.add_argument("--slow-seconds", type=float, default=30.0)
    ARGS = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, ARGS.port_file)
    print("llm_stub: a test double for an LLM endpoint (not a model) on 127.0.0.1:%d"
          % server.server_address[1], file=sys.stderr)
    server.serve_forever()


if __name__ == "__main__":
    main()
