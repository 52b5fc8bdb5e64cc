# Runs a user can leave overnight: they stop when their caller goes, never touch another
# database's run, survive pg_dump/pg_restore and a postmaster crash, and can be resumed.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PtoptNode;
use Time::HiRes qw(time usleep);

my $node = PtoptNode::start('runs', "restart_after_crash = on\n");
my $space = PtoptNode::space();

# Poll a query until it returns 't' or the seconds pass; returns the seconds it took, or undef.
sub seconds_until
{
	my ($db, $sql, $limit) = @_;
	my $t0 = time;
	while (time - $t0 < $limit)
	{
		return time - $t0 if $node->safe_psql($db, $sql) eq 't';
		usleep(50_000);
	}
	return undef;
}

# Start a million-iteration run in a background psql; returns the psql and the caller's PID.
sub start_long_run
{
	my ($db, $label) = @_;
	my $bg = $node->background_psql($db, on_error_stop => 0);
	my $pid = $bg->query_safe('SELECT pg_backend_pid()');
	$bg->query_until(qr/started/, qq{\\echo started
SELECT * FROM ptopt_run($space, 'random', 1000000, 0, '{"objective": "slow", "label": "$label"}');
});
	$node->poll_query_until($db,
		"SELECT count(*) >= 3 FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id) WHERE r.label = '$label'")
	  or die "run $label wrote no iterations";
	return ($bg, $pid);
}

# 1. pg_terminate_backend of the caller: the worker is gone within 2 s, the run cancelled.
my ($bg, $caller) = start_long_run('postgres', 'orphan');
is($node->safe_psql('postgres', "SELECT pg_terminate_backend($caller)"), 't', 'caller terminated');
my $took = seconds_until('postgres',
	q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'ptopt worker'}, 2);
ok(defined $took, 'worker gone within 2 s of its caller');
note(sprintf('worker gone %.2f s after the caller was terminated', $took // -1));
is($node->safe_psql('postgres', q{SELECT status FROM ptopt.runs WHERE label = 'orphan'}), 'cancelled',
	'the orphaned run is cancelled');
eval { $bg->quit };

# 2. The client process is killed: the caller notices within about a second and stops the worker.
($bg, $caller) = start_long_run('postgres', 'client killed');
$bg->{run}->kill_kill;
$took = seconds_until('postgres',
	q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'ptopt worker'}, 5);
ok(defined $took, 'worker gone after its client was killed');
note(sprintf('worker gone %.2f s after the client was killed', $took // -1));
is($node->safe_psql('postgres', q{SELECT status FROM ptopt.runs WHERE label = 'client killed'}),
	'cancelled', 'that run is cancelled too');

# 3. Two databases, each with a run 1: a cancel in one leaves the other running.
for my $db ('db1', 'db2')
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, q{
		CREATE EXTENSION ptopt;
		CREATE FUNCTION slow(p jsonb) RETURNS float8 LANGUAGE sql AS $$
			SELECT pg_sleep(0.05); SELECT (p->>'x')::float8 $$;
	});
	is($node->safe_psql($db,
		qq{SELECT ptopt_start($space, 'random', 1000000, 0, '{"objective": "slow", "label": "$db run"}')}),
		'1', "$db has a run 1");
}
is($node->safe_psql('db2', 'SELECT ptopt_cancel(1)'), 't', 'cancel run 1 in db2');
is($node->safe_psql('db2', q{SELECT status FROM ptopt_wait(1, '10 s')}), 'cancelled', 'db2 run 1 cancelled');
usleep(300_000);
is($node->safe_psql('db1', 'SELECT status FROM ptopt.runs WHERE run_id = 1'), 'running',
	'run 1 of db1 still running');
is($node->safe_psql('db1', 'SELECT ptopt_cancel(1)'), 't', 'and cancellable from its own database');
is($node->safe_psql('db1', q{SELECT status FROM ptopt_wait(1, '10 s')}), 'cancelled', 'then it ends');

# 4. pg_dump -Fc and pg_restore into a new database: reviewed policy kept, new runs work.
$node->safe_psql('db2', q{
	UPDATE ptopt.policy SET value = '120', review_ref = 'CR-42' WHERE key = 'risk.killswitch.max_loss_pusd'});
$node->safe_psql('db2', qq{SELECT status FROM ptopt_run($space, 'random', 3, 0, '{"objective": "quadratic"}')});
my $dump = $node->basedir . '/db2.dump';
$node->command_ok(['pg_dump', '-Fc', '-d', $node->connstr('db2'), '-f', $dump], 'pg_dump -Fc');
$node->safe_psql('postgres', 'CREATE DATABASE db3');
$node->command_ok(['pg_restore', '--exit-on-error', '-d', $node->connstr('db3'), $dump],
	'pg_restore into a new database');
is($node->safe_psql('db3', q{
	SELECT value::text || ' ' || review_ref FROM ptopt.policy WHERE key = 'risk.killswitch.max_loss_pusd'}),
	'120 CR-42', 'the reviewed policy value survives the restore');
is($node->safe_psql('db3', q{SELECT count(*) FROM ptopt.policy}),
	$node->safe_psql('db2', q{SELECT count(*) FROM ptopt.policy}), 'every policy row is there once');
is($node->safe_psql('db3', q{SELECT count(*) FROM ptopt.runs}),
	$node->safe_psql('db2', q{SELECT count(*) FROM ptopt.runs}), 'the runs are restored');
is($node->safe_psql('db3', qq{
	SELECT s.status || ' ' || (s.run_id > (SELECT max(run_id) FROM ptopt.runs WHERE run_id <> s.run_id))
	  FROM ptopt_run($space, 'random', 3, 0, '{"objective": "quadratic"}') s}),
	'done true', 'a new run after the restore succeeds with a fresh run_id');

# 5. kill -9 of the postmaster mid-run; after the restart the run is failed with a reason, then resumed.
my $id = $node->safe_psql('postgres',
	qq{SELECT ptopt_start($space, 'random', 60, 4, '{"objective": "slow", "label": "crash"}')});
$node->poll_query_until('postgres', "SELECT count(*) >= 5 FROM ptopt.trajectory WHERE run_id = $id")
  or die "no iterations";
my @children = split /\n/, $node->safe_psql('postgres', q{SELECT pid FROM pg_stat_activity});
my $postmaster = $node->{_pid};
ok(kill('KILL', $postmaster), 'postmaster killed with SIGKILL');
# Its children notice it is gone and exit; then a new postmaster starts on the same data.
for (1 .. 100)
{
	last unless grep { kill(0, $_) } ($postmaster, @children);
	usleep(100_000);
}
unlink $node->data_dir . '/postmaster.pid';
$node->_update_pid(0);
$node->start;
my $kept = $node->safe_psql('postgres', "SELECT count(*) FROM ptopt.trajectory WHERE run_id = $id");
cmp_ok($kept, '>=', 5, 'committed iterations survive the crash');
is($node->safe_psql('postgres', "SELECT status FROM ptopt_wait($id)"), 'failed', 'the run is marked failed');
like($node->safe_psql('postgres', "SELECT error FROM ptopt.runs WHERE run_id = $id"),
	qr/server restarted|reset every backend/, 'with the reason');
is($node->safe_psql('postgres', "SELECT status || ' ' || iterations FROM ptopt_resume($id)"), 'done 60',
	'resumed to its budget');
my $ref = $node->safe_psql('postgres',
	qq{SELECT run_id FROM ptopt_run($space, 'random', 60, 4, '{"objective": "slow", "label": "crash ref"}')});
is($node->safe_psql('postgres', qq{
	SELECT count(*) FILTER (WHERE a.params IS DISTINCT FROM b.params OR a.score IS DISTINCT FROM b.score)
	  FROM ptopt.trajectory a JOIN ptopt.trajectory b ON b.iter = a.iter AND b.run_id = $ref
	 WHERE a.run_id = $id}), '0', 'the resumed run equals the uninterrupted one');

# 6. Any function works as the first call of a fresh session, also for a non-superuser.
$node->safe_psql('postgres', 'CREATE ROLE ptopt_fresh LOGIN');
for my $call (
	qq{SELECT count(*) > 0 FROM ptopt_compare($space, '{random}', 3, 1, '{"objective": "quadratic"}')},
	qq{SELECT status = 'done' FROM ptopt_run($space, 'random', 3, 0, '{"objective": "quadratic"}')},
	q{SELECT ptopt_plot(max(run_id)) <> '' FROM ptopt.runs},
	q{SELECT count(*) > 0 FROM ptopt_params()},
	q{SELECT ptopt_default_space() IS NOT NULL})
{
	my ($ret, $out, $err) = $node->psql('postgres', $call,
		connstr => $node->connstr('postgres') . ' user=ptopt_fresh');
	is($ret . ' ' . $out, '0 t', "first call of a session: $call");
	unlike($err, qr/ERROR|WARNING/, 'no error or warning');
}

# 7. ptopt_wait does not grow while it polls: its memory early and late in a 3 s wait.
$id = $node->safe_psql('postgres',
	qq{SELECT ptopt_start($space, 'random', 1000000, 0, '{"objective": "slow", "label": "waited on"}')});
my $w = $node->background_psql('postgres', on_error_stop => 0);
my $wpid = $w->query_safe('SELECT pg_backend_pid()');
$w->query_until(qr/waiting/, qq{\\echo waiting\nSELECT status FROM ptopt_wait($id, '4 s');\n});
my @totals;
for my $at (0.7, 3.2)
{
	usleep(($at - ($at > 1 ? 0.7 : 0)) * 1_000_000);
	my $log_from = -s $node->logfile;
	$node->safe_psql('postgres', "SELECT pg_log_backend_memory_contexts($wpid)");
	my $total;
	for (1 .. 50)
	{
		my $log = slurp_file($node->logfile, $log_from);
		if ($log =~ /Grand total: (\d+) bytes in (\d+) blocks/) { $total = $1; last; }
		usleep(100_000);
	}
	push @totals, $total // 0;
}
note("ptopt_wait memory: @totals bytes");
cmp_ok($totals[1], '<=', $totals[0] + 64 * 1024, 'ptopt_wait memory does not grow while polling');
$node->safe_psql('postgres', "SELECT ptopt_cancel($id)");
eval { $w->quit };

$node->stop;
done_testing();
