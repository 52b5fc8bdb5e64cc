/*
 * llm_stub_run.h — start and stop the LLM stand-in (test/llm_stub/llm_stub.py)
 * from a C unit test, on a free loopback port.
 */
#ifndef PTOPT_LLM_STUB_RUN_H
#define PTOPT_LLM_STUB_RUN_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct StubServer
{
	pid_t		pid;
	int			port;
	char		dir[64];		/* a temporary folder: port, log, key files */
	char		log[128];		/* the request log (one JSON line per request) */
	char		key[128];		/* the key file the stub checks */
} StubServer;

/* Start the stub; false when it did not come up within 10 s. */
static bool __attribute__((unused))
stub_start(StubServer *s, double slow_seconds)
{
	char		port_file[128];
	char		slow[32];
	FILE	   *f;
	int			i;

	memset(s, 0, sizeof(*s));
	strcpy(s->dir, "/tmp/ptopt-stub.XXXXXX");
	if (mkdtemp(s->dir) == NULL)
		return false;
	snprintf(port_file, sizeof(port_file), "%s/port", s->dir);
	snprintf(s->log, sizeof(s->log), "%s/requests.jsonl", s->dir);
	snprintf(s->key, sizeof(s->key), "%s/key", s->dir);
	snprintf(slow, sizeof(slow), "%g", slow_seconds);
	f = fopen(s->key, "w");
	if (f == NULL)
		return false;
	fputs("sk-test-SECRET-0123456789\n", f);
	fclose(f);
	s->pid = fork();
	if (s->pid == 0)
	{
		const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
		char		out[128];
		int			fd;

		/* the stub dies with the test, and holds none of the test's pipes */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		snprintf(out, sizeof(out), "%s/stub.log", s->dir);
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0)
		{
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}

		execlp(py, py, "llm_stub/llm_stub.py", "--port-file", port_file, "--log", s->log,
			   "--key-file", s->key, "--slow-seconds", slow, (char *) NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++)
	{
		struct timespec ts = {0, 50000000L};

		f = fopen(port_file, "r");
		if (f != NULL)
		{
			bool		ok = fscanf(f, "%d", &s->port) == 1;

			fclose(f);
			return ok;
		}
		nanosleep(&ts, NULL);
	}
	return false;
}

/* Stop the stub and remove its files. */
static void __attribute__((unused))
stub_stop(StubServer *s)
{
	char		cmd[160];

	if (s->pid > 0)
	{
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", s->dir);
}

/* The whole request log as a malloc'd string ("" when none). */
static char * __attribute__((unused))
stub_read_log(const StubServer *s)
{
	FILE	   *f = fopen(s->log, "r");
	char	   *buf;
	long		n;

	if (f == NULL)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t) n + 1);
	n = (long) fread(buf, 1, (size_t) n, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Empty the request log. */
static void __attribute__((unused))
stub_clear_log(const StubServer *s)
{
	FILE	   *f = fopen(s->log, "w");

	if (f != NULL)
		fclose(f);
}

#endif							/* PTOPT_LLM_STUB_RUN_H */
