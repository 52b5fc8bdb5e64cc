# Parallel runs (options.workers) stop as serial ones do: a cancel keeps every finished
# trial and no half-written one, the caller's exit stops the run and its trial workers.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PtoptNode;
use Time::HiRes qw(time usleep);

my $node = PtoptNode::start('parallel', "max_worker_processes = 24\n");
my $space = PtoptNode::space();

# Poll until a query returns 't' or the seconds pass; the seconds it took, or undef.
sub seconds_until
{
	my ($sql, $limit) = @_;
	my $t0 = time;
	while (time - $t0 < $limit)
	{
		return time - $t0 if $node->safe_psql('postgres', $sql) eq 't';
		usleep(50_000);
	}
	return undef;
}

my $no_workers = q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type IN ('ptopt worker', 'ptopt trial worker')};

# 1. ptopt_cancel of a parallel run: finished trials stay whole, in-flight ones are dropped.
my $id = $node->safe_psql('postgres',
	qq{SELECT ptopt_start($space, 'random', 100000, 0, '{"objective": "slow", "workers": 3, "label": "par cancel"}')});
$node->poll_query_until('postgres', "SELECT count(*) >= 9 FROM ptopt.trajectory WHERE run_id = $id")
  or die "no iterations";
is($node->safe_psql('postgres',
	q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'ptopt trial worker'}), '2',
	'two trial workers and the run worker evaluate the run (workers = 3)');
is($node->safe_psql('postgres', "SELECT ptopt_cancel($id)"), 't', 'cancel the parallel run');
is($node->safe_psql('postgres', "SELECT status FROM ptopt_wait($id, '10 s')"), 'cancelled', 'it ends cancelled');
ok(defined seconds_until($no_workers, 5), 'its worker and trial workers are gone');
is($node->safe_psql('postgres', qq{
	SELECT count(*) FILTER (WHERE status <> 'ok' OR score IS NULL OR report IS NOT NULL AND report ? 'error')
	  FROM ptopt.trajectory WHERE run_id = $id}), '0', 'every stored trial is whole (ok, scored)');
is($node->safe_psql('postgres', qq{
	SELECT max(iter) = count(*) OR max(iter) - count(*) < 3 FROM ptopt.trajectory WHERE run_id = $id}), 't',
	'at most the last batch is incomplete');
is($node->safe_psql('postgres', qq{
	SELECT r.iterations = (SELECT count(*) FROM ptopt.trajectory t WHERE t.run_id = r.run_id)
	  FROM ptopt.runs r WHERE r.run_id = $id}), 't', 'the run row counts what was kept');

# 1b. A parallel run writes a batch's rows while the next batch is evaluated: a cancel still
# writes every trial the run had evaluated. An objective notes each point it finishes, in the
# evaluating process's own transaction; it takes longer in a trial worker than in the run
# worker, so the run worker mostly waits holding a finished trial when the cancel comes. Every
# point the run worker finished must be in the trajectory, and every stored point was evaluated.
$node->safe_psql('postgres', q{
	CREATE TABLE noted (x float8, backend_type text);
	CREATE FUNCTION noted_slow(p jsonb) RETURNS float8 LANGUAGE sql AS $$
		SELECT pg_sleep(CASE WHEN backend_type = 'ptopt trial worker' THEN 0.15 ELSE 0.01 END)
		  FROM pg_stat_activity WHERE pid = pg_backend_pid();
		INSERT INTO noted SELECT (p->>'x')::float8, backend_type FROM pg_stat_activity WHERE pid = pg_backend_pid();
		SELECT (p->>'x')::float8 $$;
});
for my $round (1 .. 3)
{
	$node->safe_psql('postgres', 'TRUNCATE noted');
	$id = $node->safe_psql('postgres',
		qq{SELECT ptopt_start($space, 'random', 100000, $round, '{"objective": "noted_slow", "workers": 2, "label": "par kept $round"}')});
	$node->poll_query_until('postgres', "SELECT count(*) >= 2 * $round + 3 FROM ptopt.trajectory WHERE run_id = $id")
	  or die "no iterations";
	usleep(40_000 * $round);
	$node->safe_psql('postgres', "SELECT ptopt_cancel($id)");
	is($node->safe_psql('postgres', "SELECT status FROM ptopt_wait($id, '10 s')"), 'cancelled', "kept $round: cancelled");
	is($node->safe_psql('postgres', qq{
		SELECT count(*) FROM noted n
		 WHERE n.backend_type = 'ptopt worker'
		   AND NOT EXISTS (SELECT FROM ptopt.trajectory t
		                    WHERE t.run_id = $id AND abs((t.params->>'x')::float8 - n.x) < 1e-12)}), '0',
		"kept $round: every trial the run worker finished was written");
	is($node->safe_psql('postgres', qq{
		SELECT count(*) FROM ptopt.trajectory t
		 WHERE t.run_id = $id AND NOT EXISTS (SELECT FROM noted n WHERE abs((t.params->>'x')::float8 - n.x) < 1e-12)}), '0',
		"kept $round: every written trial was evaluated");
}

# 2. The caller of a parallel ptopt_run is terminated: the run and its trial workers stop.
my $bg = $node->background_psql('postgres', on_error_stop => 0);
my $caller = $bg->query_safe('SELECT pg_backend_pid()');
$bg->query_until(qr/started/, qq{\\echo started
SELECT * FROM ptopt_run($space, 'random', 100000, 0, '{"objective": "slow", "workers": 2, "label": "par orphan"}');
});
$node->poll_query_until('postgres',
	q{SELECT count(*) >= 4 FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id) WHERE r.label = 'par orphan'})
  or die "no iterations";
$node->safe_psql('postgres', "SELECT pg_terminate_backend($caller)");
my $took = seconds_until($no_workers, 3);
ok(defined $took, 'run worker and trial workers gone after the caller left');
note(sprintf('parallel run stopped %.2f s after its caller was terminated', $took // -1));
is($node->safe_psql('postgres', q{SELECT status FROM ptopt.runs WHERE label = 'par orphan'}), 'cancelled',
	'the orphaned parallel run is cancelled');
eval { $bg->quit };

# 3. statement_timeout stops a parallel ptopt_run too.
my ($ret, $out, $err) = $node->psql('postgres', qq{
	SET statement_timeout = '700ms';
	SELECT * FROM ptopt_run($space, 'random', 100000, 0, '{"objective": "slow", "workers": 2, "label": "par timeout"}');
});
like($err, qr/canceling statement due to statement timeout/, 'statement_timeout reported');
ok(defined seconds_until(q{SELECT status = 'cancelled' FROM ptopt.runs WHERE label = 'par timeout'}, 5),
	'the timed-out parallel run is cancelled');

# 4. Resumed after the cancel, the parallel run reaches its budget.
$id = $node->safe_psql('postgres',
	qq{SELECT ptopt_start($space, 'random', 30, 2, '{"objective": "slow", "workers": 3, "label": "par resume"}')});
$node->poll_query_until('postgres', "SELECT count(*) >= 7 FROM ptopt.trajectory WHERE run_id = $id")
  or die "no iterations";
$node->safe_psql('postgres', "SELECT ptopt_cancel($id)");
$node->safe_psql('postgres', "SELECT ptopt_wait($id, '10 s')");
is($node->safe_psql('postgres', "SELECT status || ' ' || iterations FROM ptopt_resume($id)"), 'done 30',
	'resumed to its budget');
my $ref = $node->safe_psql('postgres',
	qq{SELECT run_id FROM ptopt_run($space, 'random', 30, 2, '{"objective": "slow", "workers": 3, "label": "par ref"}')});
is($node->safe_psql('postgres', qq{
	SELECT count(*) FILTER (WHERE a.params IS DISTINCT FROM b.params OR a.score IS DISTINCT FROM b.score)
	  FROM ptopt.trajectory a JOIN ptopt.trajectory b ON b.iter = a.iter AND b.run_id = $ref
	 WHERE a.run_id = $id}), '0', 'the resumed parallel run equals the uninterrupted one');

$node->stop;
done_testing();
