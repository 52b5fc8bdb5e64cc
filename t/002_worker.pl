# Worker death and server restarts: iterations already committed survive, and the
# run is marked failed rather than left running.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PtoptNode;

my $node = PtoptNode::start('worker', "restart_after_crash = on\n");
my $space = PtoptNode::space();

# 1. The worker is terminated under a waiting ptopt_run.
my $bg = $node->background_psql('postgres', on_error_stop => 0);
$bg->query_until(qr/started/, qq{\\echo started
SELECT * FROM ptopt_run($space, 'random', 100000, 0, '{"objective": "slow", "label": "killed"}');
});
$node->poll_query_until('postgres',
	q{SELECT count(*) >= 3 FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id) WHERE r.label = 'killed'})
  or die "no iterations";
is($node->safe_psql('postgres',
	q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'ptopt worker'}),
	't', 'worker terminated');
$bg->query_until(qr/after/, "\\echo after\n");
like($bg->{stderr}, qr/ERROR:  the ptopt worker was terminated \(pg_terminate_backend or a server shutdown\)/,
	'caller told why the worker stopped, not an internal error');
$bg->quit;
my $id = $node->safe_psql('postgres', q{SELECT run_id FROM ptopt.runs WHERE label = 'killed'});
is($node->safe_psql('postgres', "SELECT status FROM ptopt_wait($id)"), 'failed',
	'the terminated run is marked failed');
like($node->safe_psql('postgres', "SELECT error FROM ptopt.runs WHERE run_id = $id"),
	qr/terminated/, 'with the reason in runs.error');
cmp_ok($node->safe_psql('postgres', "SELECT count(*) FROM ptopt.trajectory WHERE run_id = $id"),
	'>=', 3, 'its iterations survive');

# 2. A server restart in the middle of a background run.
$id = $node->safe_psql('postgres',
	qq{SELECT ptopt_start($space, 'random', 100000, 0, '{"objective": "slow", "label": "restarted"}')});
$node->poll_query_until('postgres', "SELECT count(*) >= 3 FROM ptopt.trajectory WHERE run_id = $id")
  or die "no iterations";
$node->restart;
my $kept = $node->safe_psql('postgres', "SELECT count(*) FROM ptopt.trajectory WHERE run_id = $id");
cmp_ok($kept, '>=', 3, 'iterations survive a restart');
is($node->safe_psql('postgres', "SELECT status FROM ptopt_wait($id)"), 'failed',
	'the interrupted run is marked failed');
like($node->safe_psql('postgres', "SELECT error FROM ptopt.runs WHERE run_id = $id"),
	qr/terminated|server restarted/, 'with the reason');
is($node->safe_psql('postgres', "SELECT iterations = $kept FROM ptopt.runs WHERE run_id = $id"), 't',
	'the run row agrees with the surviving rows');

# 3. A crash: the worker is killed with SIGKILL, so the postmaster resets every backend.
$id = $node->safe_psql('postgres',
	qq{SELECT ptopt_start($space, 'random', 100000, 0, '{"objective": "slow", "label": "crashed"}')});
$node->poll_query_until('postgres', "SELECT count(*) >= 3 FROM ptopt.trajectory WHERE run_id = $id")
  or die "no iterations";
my $pid = $node->safe_psql('postgres', q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'ptopt worker'});
ok(kill('KILL', $pid), 'worker killed with SIGKILL');
$node->poll_query_until('postgres', 'SELECT 1', '1') or die "server did not come back";
cmp_ok($node->safe_psql('postgres', "SELECT count(*) FROM ptopt.trajectory WHERE run_id = $id"),
	'>=', 3, 'committed iterations survive a crash');
is($node->safe_psql('postgres', "SELECT status FROM ptopt_wait($id)"), 'failed', 'crashed run marked failed');
like($node->safe_psql('postgres', "SELECT error FROM ptopt.runs WHERE run_id = $id"),
	qr/reset every backend after a crash/, 'the crash is the reason given');

# 4. After all that, searches still work.
is($node->safe_psql('postgres', qq{
	SELECT status || ' ' || iterations FROM ptopt_run($space, 'random', 5, 0, '{"objective": "quadratic"}')}),
	'done 5', 'a new search runs to the end');

$node->stop;
done_testing();
