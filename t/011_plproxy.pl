# PL/Proxy: a search whose trials are evaluated on the three nodes of a cluster, each node
# counting its own evaluations; then a node stopped mid-run fails its trials cleanly; then
# the same with options.workers = 3, each batch split across the nodes at once.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PtoptNode;

my $coord = PtoptNode::start('coordinator');

# Three nodes with ptopt and the objective counted(jsonb), which sleeps a little and
# records each evaluation in the node's own table.
my $counted = q{
	CREATE TABLE evals (x float8, at timestamptz DEFAULT clock_timestamp());
	CREATE FUNCTION counted(p jsonb) RETURNS float8 LANGUAGE plpgsql AS $$
	BEGIN
		PERFORM pg_sleep(0.05);
		INSERT INTO evals (x) VALUES ((p->>'x')::float8);
		RETURN -((p->>'x')::float8 - 0.3) ^ 2;
	END $$;
};
my @nodes;
for my $i (1 .. 3)
{
	my $n = PtoptNode::start("node$i");
	$n->safe_psql('postgres', $counted);
	push @nodes, $n;
}

# Without PL/Proxy a cluster is refused with the package named.
my ($rc, $out, $err) = $coord->psql('postgres', q{
	SELECT ptopt_start('{"x": {"low": 0, "high": 1}}', 'random', 3, 0, '{"objective": "counted", "cluster": "trials"}')});
like($err, qr/needs PL\/Proxy.*\n.*\n.*postgresql-15-plproxy/s, 'a cluster without PL/Proxy names the package');

# The cluster, the PL/Proxy way: three partitions (modular_mapping: not a power of 2).
my $parts = join(', ',
	map { sprintf("p%d 'host=%s port=%d dbname=postgres'", $_, $nodes[$_]->host, $nodes[$_]->port) } 0 .. 2);
$coord->safe_psql('postgres', qq{
	CREATE EXTENSION plproxy;
	SELECT ptopt_cluster_enable();
	CREATE SERVER trials FOREIGN DATA WRAPPER plproxy OPTIONS (modular_mapping '1', $parts);
	CREATE USER MAPPING FOR PUBLIC SERVER trials;
});

# 1. Thirty trials, ten on each node; the objective exists on the nodes only.
my $summary = $coord->safe_psql('postgres', q{
	SET ptopt.progress_notices = off;
	SELECT status, iterations FROM ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 30, 0,
	                                         '{"objective": "counted", "cluster": "trials", "label": "spread"}')});
is($summary, 'done|30', 'the clustered run is done with 30 iterations');
is($coord->safe_psql('postgres', q{
	SELECT count(*) FILTER (WHERE t.status = 'ok'), count(DISTINCT t.iter)
	  FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id) WHERE r.label = 'spread'}),
	'30|30', 'every trial scored once');
for my $i (0 .. 2)
{
	is($nodes[$i]->safe_psql('postgres', 'SELECT count(*) FROM evals'), '10',
		'node ' . ($i + 1) . ' evaluated its ten trials');
}
is($coord->safe_psql('postgres', q{
	SELECT count(*) FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id)
	 WHERE r.label = 'spread' AND t.score = -((t.params->>'x')::float8 - 0.3) ^ 2}),
	'30', 'each stored score is the one its node computed');

# 2. A node stops mid-run: its trials fail with the reason, the others go on.
$_->safe_psql('postgres', 'TRUNCATE evals') for @nodes;
my $run = $coord->safe_psql('postgres', q{
	SELECT ptopt_start('{"x": {"low": 0, "high": 1}}', 'random', 45, 1,
	                   '{"objective": "counted", "cluster": "trials", "label": "node down"}')});
$coord->poll_query_until('postgres', "SELECT count(*) >= 9 FROM ptopt.trajectory WHERE run_id = $run")
  or die 'the clustered run wrote no iterations';
$nodes[2]->stop('fast');
is($coord->safe_psql('postgres', "SELECT status, iterations FROM ptopt_wait($run, '120 s')"),
	'done|45', 'the run goes on to its budget');
my $failed = $coord->safe_psql('postgres', qq{
	SELECT count(*) FROM ptopt.trajectory WHERE run_id = $run AND status = 'failed'});
cmp_ok($failed, '>=', 5, "the stopped node's trials failed ($failed of them)");
is($coord->safe_psql('postgres', qq{
	SELECT count(*) FROM ptopt.trajectory
	 WHERE run_id = $run AND status = 'failed' AND (iter % 3 <> 0 OR report -> 'error' ->> 'message' = '')}),
	'0', 'only the third node\'s trials failed, each with a message');
note($coord->safe_psql('postgres', qq{
	SELECT report -> 'error' ->> 'message' FROM ptopt.trajectory
	 WHERE run_id = $run AND status = 'failed' ORDER BY iter LIMIT 2}));
$nodes[2]->start;
my $evaluated = 0;
$evaluated += $_->safe_psql('postgres', 'SELECT count(*) FROM evals') for @nodes;
is($coord->safe_psql('postgres', qq{
	SELECT count(*) FROM ptopt.trajectory WHERE run_id = $run AND status = 'ok'}), $evaluated,
	'nothing lost, nothing duplicated: ok rows = evaluations counted on the nodes');
is($coord->safe_psql('postgres', qq{
	SELECT count(*) = 45 AND count(DISTINCT iter) = 45 FROM ptopt.trajectory WHERE run_id = $run}),
	't', '45 distinct iterations stored');

# 3. workers = 3: each batch of three goes to the three nodes at once, ten trials each,
# and gives the trajectory of a local run with three trial workers and the same seed.
$_->safe_psql('postgres', 'TRUNCATE evals') for @nodes;
$coord->safe_psql('postgres', $counted);
for my $run (['batched', ', "cluster": "trials"'], ['local', ''])
{
	my ($label, $cluster) = @$run;
	is($coord->safe_psql('postgres', qq{
		SET ptopt.progress_notices = off;
		SELECT status, iterations FROM ptopt_run('{"x": {"low": 0, "high": 1}}', 'tpe', 30, 5,
		       '{"objective": "counted", "workers": 3, "label": "$label"$cluster}')}),
		'done|30', "the $label run with three workers is done with 30 iterations");
}
for my $i (0 .. 2)
{
	is($nodes[$i]->safe_psql('postgres', qq{
		SELECT count(*), count(*) FILTER (WHERE x IS NULL) FROM evals}), '10|0',
		'node ' . ($i + 1) . ' evaluated its ten trials of the batched run');
}
is($coord->safe_psql('postgres', 'SELECT count(*) FROM evals'), '30',
	'the local run evaluated on the coordinator, the batched one did not');
is($coord->safe_psql('postgres', q{
	SELECT count(*) FROM ptopt.trajectory b JOIN ptopt.runs rb ON rb.run_id = b.run_id AND rb.label = 'batched'
	  JOIN ptopt.trajectory l ON l.iter = b.iter
	  JOIN ptopt.runs rl ON rl.run_id = l.run_id AND rl.label = 'local'
	 WHERE b.params = l.params AND b.score = l.score AND b.status = 'ok'}),
	'30', 'the batched run has the trajectory of the local run with three workers');
# Each batch ran on the three nodes at once: the evaluations of iterations 3k+1..3k+3 started
# within the sleep of each other.
my @at = map {
	[ split /\n/, $_->safe_psql('postgres',
		q{SELECT extract(epoch FROM at) FROM evals ORDER BY at}) ]
} @nodes;
my $overlapping = 0;
for my $k (0 .. 9)
{
	my @t = map { $at[$_][$k] } 0 .. 2;
	my ($lo, $hi) = (sort { $a <=> $b } @t)[ 0, -1 ];
	$overlapping++ if $hi - $lo < 0.05;
}
cmp_ok($overlapping, '>=', 8, "the nodes evaluated a batch at once ($overlapping of 10 batches)");
cmp_ok($coord->safe_psql('postgres', q{
	SELECT extract(epoch FROM elapsed) FROM ptopt.runs WHERE label = 'batched'}), '<',
	$coord->safe_psql('postgres', q{SELECT extract(epoch FROM elapsed) FROM ptopt.runs WHERE label = 'spread'}),
	'the batched run took less time than the serial one');

# An objective's error in a batch fails that trial only, with the node's SQLSTATE, message and
# hint, and is caught on the node: nothing is evaluated twice (the sequence counts the calls).
for my $n (@nodes)
{
	$n->safe_psql('postgres', q{
		CREATE SEQUENCE calls;
		CREATE FUNCTION picky(p jsonb) RETURNS float8 LANGUAGE plpgsql AS $$
		BEGIN
			PERFORM nextval('calls');
			IF (p->>'x')::float8 > 0.5 THEN
				RAISE EXCEPTION 'x is too big' USING ERRCODE = 'numeric_value_out_of_range', HINT = 'Keep x small.';
			END IF;
			RETURN (p->>'x')::float8;
		END $$;
	});
}
is($coord->safe_psql('postgres', q{
	SET ptopt.progress_notices = off;
	SELECT status, iterations FROM ptopt_run('{"x": {"low": 0, "high": 1}}', 'random', 12, 3,
	       '{"objective": "picky", "cluster": "trials", "workers": 3, "label": "picky"}')}),
	'done|12', 'a batched run whose objective fails on some points is done');
is($coord->safe_psql('postgres', q{
	SELECT count(*) FILTER (WHERE (t.params->>'x')::float8 > 0.5) =
	         count(*) FILTER (WHERE t.status = 'failed' AND t.report->'error'->>'sqlstate' = '22003'
	                            AND t.report->'error'->>'message' = 'x is too big'
	                            AND t.report->'error'->>'hint' = 'Keep x small.'),
	       count(*) FILTER (WHERE t.status = 'ok') = count(*) FILTER (WHERE (t.params->>'x')::float8 <= 0.5),
	       count(*) FILTER (WHERE t.status = 'failed') > 0
	  FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id) WHERE r.label = 'picky'}),
	't|t|t', 'the points above 0.5 failed with the node\'s error, the others scored');
my $calls = 0;
$calls += $_->safe_psql('postgres', "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM calls") for @nodes;
is($calls, 12, 'each trial was evaluated once: the batch call did not fail as a whole');

# 4. A node stops mid-run with workers = 3: its trials fail with the reason, the others go on.
$_->safe_psql('postgres', 'TRUNCATE evals') for @nodes;
my $log_offset = -s $coord->logfile;
$run = $coord->safe_psql('postgres', q{
	SELECT ptopt_start('{"x": {"low": 0, "high": 1}}', 'random', 45, 1,
	                   '{"objective": "counted", "cluster": "trials", "workers": 3, "label": "batched node down"}')});
$coord->poll_query_until('postgres', "SELECT count(*) >= 9 FROM ptopt.trajectory WHERE run_id = $run")
  or die 'the batched clustered run wrote no iterations';
$nodes[2]->stop('fast');
is($coord->safe_psql('postgres', "SELECT status, iterations FROM ptopt_wait($run, '120 s')"),
	'done|45', 'the batched run goes on to its budget');
$failed = $coord->safe_psql('postgres', qq{
	SELECT count(*) FROM ptopt.trajectory WHERE run_id = $run AND status = 'failed'});
cmp_ok($failed, '>=', 5, "the stopped node's trials failed ($failed of them)");
is($coord->safe_psql('postgres', qq{
	SELECT count(*) FROM ptopt.trajectory
	 WHERE run_id = $run AND status = 'failed' AND (iter % 3 <> 0 OR report -> 'error' ->> 'message' = '')}),
	'0', 'only the third node\'s trials of each batch failed, each with a message');
$nodes[2]->start;
# A batch call that fails is evaluated again trial by trial, so a healthy node may have
# evaluated a trial twice; the trajectory keeps each once, and every ok row was evaluated.
my %on_nodes;
for my $n (@nodes)
{
	$on_nodes{$_} = 1 for split /\n/, $n->safe_psql('postgres', 'SELECT DISTINCT x::text FROM evals');
}
my @ok = split /\n/, $coord->safe_psql('postgres', qq{
	SELECT (params ->> 'x')::float8::text FROM ptopt.trajectory WHERE run_id = $run AND status = 'ok'});
is(scalar(grep { !$on_nodes{$_} } @ok), 0, 'every ok row was evaluated on a node');
is(scalar(keys %on_nodes), scalar(@ok), 'nothing lost: each point a node evaluated is an ok row');
my $evaluations = 0;
$evaluations += $_->safe_psql('postgres', 'SELECT count(*) FROM evals') for @nodes;
cmp_ok($evaluations - scalar(@ok), '<=', 2,
	'the outage cost the healthy nodes one batch evaluated twice at most (' . ($evaluations - scalar(@ok)) . ' here)');
my $fallbacks = () = substr(slurp_file($coord->logfile), $log_offset) =~ /a batch call on cluster "trials" failed/g;
cmp_ok($fallbacks, '<=', 2, "the down node was left out of the next batch calls ($fallbacks batch calls failed)");
is($coord->safe_psql('postgres', qq{
	SELECT count(*) = 45 AND count(DISTINCT iter) = 45 FROM ptopt.trajectory WHERE run_id = $run}),
	't', '45 distinct iterations stored, none twice');

# 5. The built-in backtest on the nodes: the coordinator scores each new best on the held-out worlds
# (the nodes have no held-out call), so a clustered run stores what a local run with the same seed does.
my $clob_opts = '"backtest": {"train_seeds": 1, "holdout_seeds": 1}';
$coord->safe_psql('postgres', qq{
	SET ptopt.progress_notices = off;
	SELECT status FROM ptopt_run('{"mm.c_vol": {"low": 0, "high": 2}}', 'random', 6, 11,
	                             '{$clob_opts, "cluster": "trials", "workers": 3, "label": "clob clustered"}');
	SELECT status FROM ptopt_run('{"mm.c_vol": {"low": 0, "high": 2}}', 'random', 6, 11,
	                             '{$clob_opts, "workers": 3, "label": "clob local"}');
});
like($coord->safe_psql('postgres', q{
	SELECT count(*) FILTER (WHERE c.score = l.score),
	       count(*) FILTER (WHERE c.holdout_score IS NOT DISTINCT FROM l.holdout_score),
	       count(*) FILTER (WHERE c.holdout_score IS NOT NULL)
	  FROM ptopt.trajectory c JOIN ptopt.runs rc ON rc.run_id = c.run_id AND rc.label = 'clob clustered'
	  JOIN ptopt.runs rl ON rl.label = 'clob local'
	  JOIN ptopt.trajectory l ON l.run_id = rl.run_id AND l.iter = c.iter}),
	qr/^6\|6\|[1-6]$/, 'a clustered backtest run has the scores and held-out scores of the local run, new bests scored');
is($coord->safe_psql('postgres', q{
	SELECT c.holdout_score IS NOT NULL AND c.holdout_score = l.holdout_score
	  FROM ptopt.runs c, ptopt.runs l WHERE c.label = 'clob clustered' AND l.label = 'clob local'}),
	't', "the clustered run's held-out score is the local run's");

done_testing();
