# The llm and llm_tpe strategies end to end over real HTTP on loopback, against the
# stand-in (test/llm_stub/llm_stub.py, a test double, not a model), for both protocols:
# normal runs, every fault, a cancel during a slow reply, the key kept secret,
# held-out figures kept out of every prompt, ptopt_explain with the model.
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Spec;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PtoptNode;
use Time::HiRes qw(time sleep);

my $secret = 'sk-tap-SECRET-4242424242';
my $dir = PostgreSQL::Test::Utils::tempdir();
my $stub_py = File::Spec->rel2abs(dirname(__FILE__) . '/../test/llm_stub/llm_stub.py');
my $python = -x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3';
open(my $kf, '>', "$dir/key") or die "key file: $!";
print $kf "$secret\n";
close($kf);

# Start the stand-in on a free port; it dies with this test.
my $stub_pid = fork();
die "fork: $!" unless defined $stub_pid;
if ($stub_pid == 0)
{
	open(STDOUT, '>', "$dir/stub.out");
	open(STDERR, '>&', \*STDOUT);
	exec($python, $stub_py, '--port-file', "$dir/port", '--log', "$dir/requests.jsonl",
		'--key-file', "$dir/key", '--slow-seconds', '30') or exit(127);
}
END { kill('TERM', $stub_pid) if $stub_pid; }
for (my $i = 0; $i < 200 && !-e "$dir/port"; $i++) { sleep(0.05); }
my $port = slurp_file("$dir/port");
like($port, qr/^\d+$/, 'the stand-in listens on a free loopback port');

my $node = PtoptNode::start('llm', qq{
ptopt.llm_provider = 'openai'
ptopt.llm_endpoint = 'http://127.0.0.1:$port/v1/chat/completions'
ptopt.llm_model = 'stub'
ptopt.llm_api_key_file = '$dir/key'
ptopt.llm_timeout_ms = 3000
ptopt.llm_max_retries = 1
shared_preload_libraries = 'ptopt'
log_min_messages = debug1
log_statement = 'all'
});
$node->safe_psql('postgres', q{
	CREATE ROLE llm_member LOGIN IN ROLE ptopt_llm_user;
	CREATE ROLE llm_outsider LOGIN;
	SET ptopt.progress_notices = off;
});

my $space = q{'{"x": {"low": -1, "high": 1}, "n": {"type": "int", "low": 1, "high": 5}}'};

# Run a search as llm_member; returns (psql exit code, stdout, stderr).
sub run_llm
{
	my ($strategy, $budget, $label, $llm) = @_;
	my $options = qq{{"objective": "quadratic", "label": "$label", "llm": {$llm}}};
	return $node->psql('postgres', qq{
		SET ptopt.progress_notices = off;
		SET ROLE llm_member;
		SELECT iterations, status FROM ptopt_run($space, '$strategy', $budget, 3, '$options');
	});
}

# One value of a labelled run's trajectory.
sub q_run
{
	my ($label, $sql) = @_;
	return $node->safe_psql('postgres', qq{
		SELECT $sql FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id) WHERE r.label = '$label'});
}

# Every stored point of a labelled run is valid, and every iteration says why.
sub check_valid
{
	my ($label, $budget) = @_;
	is(q_run($label, q{count(*) || '/' || count(*) FILTER (WHERE (t.params->>'x')::float8 BETWEEN -1 AND 1
		AND (t.params->>'n')::numeric IN (1, 2, 3, 4, 5) AND t.params - 'x' - 'n' = '{}'
		AND coalesce(t.reasoning, '') <> '')}), "$budget/$budget",
		"$label: $budget iterations, every point valid, every one with a reason");
}

for my $provider ('openai', 'anthropic')
{
	if ($provider eq 'anthropic')
	{
		$node->safe_psql('postgres', qq{
			ALTER SYSTEM SET ptopt.llm_provider = 'anthropic';
			ALTER SYSTEM SET ptopt.llm_endpoint = 'http://127.0.0.1:$port/v1/messages';
			SELECT pg_reload_conf();
		});
		sleep(0.5);
	}
	my $p = $provider;

	# A normal run logs the model's reasoning on every iteration, with tokens.
	my ($rc, $out, $err) = run_llm('llm', 6, "$p normal", q{"temperature": 0.3});
	is($out, '6|done', "$p: a normal llm run completes") or diag($err);
	check_valid("$p normal", 6);
	is(q_run("$p normal", q{string_agg(DISTINCT t.source, ',')}), 'llm', "$p: every point came from the model")
	  or diag(q_run("$p normal", q{string_agg(t.reasoning, E'\n' ORDER BY t.iter)}));
	is(q_run("$p normal", q{bool_and(t.tokens_in > 0 AND t.tokens_out > 0)}), 't', "$p: tokens on every iteration");

	($rc, $out, $err) = run_llm('llm', 6, "$p k3", q{"candidates": 3});
	is($out, '6|done', "$p: k candidates per call") or diag($err);
	is(q_run("$p k3", q{count(*) FILTER (WHERE t.tokens_in > 0)}), '2', "$p: 6 iterations from 2 calls");

	($rc, $out, $err) = run_llm('llm_tpe', 14, "$p hybrid", q{"tpe_candidates": 3});
	is($out, '14|done', "$p: an llm_tpe run completes") or diag($err);
	check_valid("$p hybrid", 14);
	like(q_run("$p hybrid", q{max(t.reasoning) FILTER (WHERE t.iter = 14)}), qr/Picked TPE candidate 1/,
		"$p: llm_tpe's model picks among TPE's candidates");

	# Each fault: the run completes, every stored point is valid, the trajectory says what happened.
	my %faults = (
		'429x1'   => qr/Stand-in/,
		'500'     => qr/TPE proposed this point instead.*PT_ERR_LLM_HTTP|PT_ERR_LLM_HTTP.*TPE proposed/,
		'nonjson' => qr/no JSON object/,
		'badbody' => qr/not JSON/,
		'fenced'  => qr/Stand-in/,
		'range'   => qr/clipped/,
		'types'   => qr/written as a string/,
		'unknown' => qr/mm\.not_a_parameter/,
		'repeat'  => qr/already evaluated/,
		'huge'    => qr/larger than/,
		'drop'    => qr/PT_ERR_LLM_HTTP/,
		'gated'   => qr/Refused: .*risk\.killswitch\.max_loss_pusd/,
	);
	for my $fault (sort keys %faults)
	{
		my $label = "$p $fault";
		($rc, $out, $err) = run_llm('llm', 4, $label, qq{"model": "stub-$fault"});
		is($out, '4|done', "$label: the run completes") or diag($err);
		check_valid($label, 4);
		like(q_run($label, q{string_agg(t.reasoning, ' | ' ORDER BY t.iter)}), $faults{$fault},
			"$label: the trajectory says what happened");
	}
	is(q_run("$p gated", q{count(*) FILTER (WHERE t.params::text ILIKE '%killswitch%')}), '0',
		"$p: a gated key never reaches a stored point");
	is(q_run("$p gated", q{string_agg(DISTINCT t.status, ',') || ' ' || count(t.score)}), 'refused 0',
		"$p: gated proposals are refused iterations with no score");
	is(q_run("$p 500", q{string_agg(DISTINCT t.source, ',')}), 'llm_fallback',
		"$p: a failing model gives llm_fallback iterations");

	# A cancel during a slow reply ends within about a second with 57014.
	$node->safe_psql('postgres', q{ALTER SYSTEM SET ptopt.llm_timeout_ms = 60000; SELECT pg_reload_conf();});
	sleep(0.3);
	my $t0 = time;
	($rc, $out, $err) = $node->psql('postgres', qq{
		SET ROLE llm_member;
		SET statement_timeout = '1500ms';
		SELECT * FROM ptopt_run($space, 'llm', 5, 0, '{"objective": "quadratic", "label": "$p slow", "llm": {"model": "stub-slow"}}');
	});
	my $elapsed = time - $t0;
	like($err, qr/canceling statement due to statement timeout/, "$p: statement_timeout during a slow reply gives 57014");
	cmp_ok($elapsed, '<', 4.0, sprintf("$p: the call in flight ended soon after the timeout (%.2f s for a 1.5 s timeout)", $elapsed));
	ok($node->poll_query_until('postgres', qq{SELECT status <> 'running' FROM ptopt.runs WHERE label = '$p slow'}),
		"$p: the slow run stopped");
	ok($node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'ptopt worker'}),
		"$p: its worker is gone");
	$node->safe_psql('postgres', q{ALTER SYSTEM SET ptopt.llm_timeout_ms = 3000; SELECT pg_reload_conf();});
	sleep(0.3);
}

# ptopt_explain with a model configured: the answer is stored on the run.
my $explained = $node->safe_psql('postgres', q{
	SET ROLE llm_member;
	SELECT ptopt_explain(run_id) FROM ptopt.runs WHERE label = 'anthropic normal'});
like($explained, qr/^The LLM endpoint.s answer \(model name "stub"\):\nStand-in explanation.*From the data: In this llm search/s,
	'ptopt_explain: the model\'s answer, then the data');
is($node->safe_psql('postgres', q{SELECT explanation LIKE 'The LLM endpoint''s answer (model name "stub")%' FROM ptopt.runs WHERE label = 'anthropic normal'}),
	't', 'ptopt_explain stored the answer in runs.explanation');
my $outsider = $node->safe_psql('postgres', q{
	SET ROLE llm_outsider;
	SELECT r.iterations FROM ptopt_run('{"x": {"low": -1, "high": 1}}', 'random', 12, 1, '{"objective": "quadratic", "label": "outsider"}') r;
	SELECT ptopt_explain(run_id) FROM ptopt.runs WHERE label = 'outsider'});
like($outsider, qr/In this random search/, 'an outsider gets the explanation from the data');

# Prompts: the space was read from them, and no held-out figure reached one, even
# with the CLOB backtest, whose new bests get a held-out score (in its own column).
my ($rc, $out, $err) = $node->psql('postgres', q{
	SET ptopt.progress_notices = off;
	SET ROLE llm_member;
	SELECT iterations, status FROM ptopt_run('{"mm.c_vol": {"low": 0, "high": 2}}', 'llm', 3, 1, '{"label": "clob"}');
});
is($out, '3|done', 'an llm run on the CLOB backtest completes') or diag($err);
my $holdouts = q_run('clob', q{string_agg(t.holdout_score::text, ' ') FILTER (WHERE t.holdout_score IS NOT NULL)});
like($holdouts, qr/\d/, 'the run measured held-out scores (so the next checks mean something)');
my $prompts = slurp_file("$dir/requests.jsonl");
unlike($prompts, qr/held.out|holdout/i, 'no held-out text in any prompt the stand-in received');
for my $h (split / /, $holdouts // '')
{
	my $figure = sprintf('%.4f', $h);
	unlike($prompts, qr/\Q$figure\E/, "the held-out score $figure is in no prompt");
}
like($prompts, qr/\\"name\\": \\"mm\.c_vol\\"/, 'the space was in the prompt');
like($prompts, qr/"auth": "ok"/, 'the key reached the stand-in in its header');
unlike($prompts, qr/"auth": "wrong"/, 'and never a wrong one');

# ptopt_compare takes the LLM strategies like any other.
is($node->safe_psql('postgres', qq{
	SET ptopt.progress_notices = off;
	SET ROLE llm_member;
	SELECT string_agg(strategy || ':' || runs, ',' ORDER BY strategy)
	  FROM ptopt_compare($space, ARRAY['llm', 'llm_tpe', 'tpe'], 4, 2, '{"objective": "quadratic", "label": "cmp"}')}),
	'llm:2,llm_tpe:2,tpe:2', 'ptopt_compare runs llm and llm_tpe beside tpe');

# The key appears in no table, no log line, no error.
is($node->safe_psql('postgres', qq{
	SELECT count(*) FROM (SELECT r::text AS s FROM ptopt.runs r UNION ALL SELECT t::text FROM ptopt.trajectory t) a
	 WHERE s LIKE '%' || upper('secret') || '%'}), '0', 'the API key is in no table');
unlike(slurp_file($node->logfile), qr/SECRET/, 'the API key is in no server log line');
my ($rc2, $out2, $err2) = $node->psql('postgres', q{SET ROLE llm_member; SHOW ptopt.llm_api_key_file;});
like($err2, qr/must be superuser/, 'SHOW of the key file is refused to a member');
($rc2, $out2, $err2) = $node->psql('postgres', q{SET ROLE llm_member; SET ptopt.llm_endpoint = 'http://10.0.0.1/';});
like($err2, qr/permission denied to set parameter/, 'a non-superuser cannot set the endpoint');
($rc2, $out2, $err2) = $node->psql('postgres', qq{SET ROLE llm_outsider; SELECT * FROM ptopt_run($space, 'llm', 2, 0, '{"objective": "quadratic"}');});
like($err2, qr/permission denied to use the LLM strategies/, 'an outsider gets 42501');

$node->stop;
done_testing();
