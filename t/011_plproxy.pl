# PL/Proxy: a search whose trials are evaluated on the three nodes of a cluster, each node
# counting its own evaluations; then a node stopped mid-run fails its trials cleanly.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PtoptNode;

my $coord = PtoptNode::start('coordinator');

# Three nodes with ptopt and the objective counted(jsonb), which sleeps a little and
# records each evaluation in the node's own table.
my @nodes;
for my $i (1 .. 3)
{
	my $n = PtoptNode::start("node$i");
	$n->safe_psql('postgres', q{
		CREATE TABLE evals (x float8, at timestamptz DEFAULT clock_timestamp());
		CREATE FUNCTION counted(p jsonb) RETURNS float8 LANGUAGE plpgsql AS $$
		BEGIN
			PERFORM pg_sleep(0.05);
			INSERT INTO evals (x) VALUES ((p->>'x')::float8);
			RETURN -((p->>'x')::float8 - 0.3) ^ 2;
		END $$;
	});
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

done_testing();
