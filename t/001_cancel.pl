# Cancels and timeouts: a cancelled search stops its worker, keeps the iterations
# already written, and is marked cancelled.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PtoptNode;
use Time::HiRes qw(time);

my $node = PtoptNode::start('cancel');
my $space = PtoptNode::space();

# Rows written for a labelled run.
sub rows_of
{
	my ($label) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id) WHERE r.label = '$label'");
}

# Status of a labelled run.
sub status_of
{
	my ($label) = @_;
	return $node->safe_psql('postgres', "SELECT status FROM ptopt.runs WHERE label = '$label'");
}

# 1. A cancel in the caller (pg_cancel_backend, as Ctrl-C in psql does).
my $bg = $node->background_psql('postgres', on_error_stop => 0);
$bg->query_until(qr/started/, qq{\\echo started
SELECT * FROM ptopt_run($space, 'random', 100000, 0, '{"objective": "slow", "label": "cancel me"}');
});
$node->poll_query_until('postgres',
	q{SELECT count(*) >= 5 FROM ptopt.trajectory t JOIN ptopt.runs r USING (run_id) WHERE r.label = 'cancel me'})
  or die "the run wrote no iterations";
my $t0 = time;
is($node->safe_psql('postgres', q{
	SELECT pg_cancel_backend(pid) FROM pg_stat_activity
	 WHERE backend_type = 'client backend' AND query LIKE '%cancel me%' AND pid <> pg_backend_pid()}),
	't', 'caller signalled');
$node->poll_query_until('postgres', q{SELECT status <> 'running' FROM ptopt.runs WHERE label = 'cancel me'})
  or die "the run did not stop";
note(sprintf("run marked cancelled %.2f s after the cancel", time - $t0));
is(status_of('cancel me'), 'cancelled', 'run marked cancelled');
cmp_ok(rows_of('cancel me'), '>=', 5, 'iterations written before the cancel survive');
is($node->safe_psql('postgres', q{
	SELECT iterations = (SELECT count(*) FROM ptopt.trajectory t WHERE t.run_id = r.run_id)
	  FROM ptopt.runs r WHERE label = 'cancel me'}), 't', 'run row counts the surviving iterations');
$bg->query_until(qr/after/, "\\echo after\n");
like($bg->{stderr}, qr/canceling statement due to user request/, 'caller saw 57014');
ok($node->poll_query_until('postgres',
	q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'ptopt worker'}), 'worker gone');
$bg->quit;

# 2. statement_timeout in the caller.
my ($ret, $out, $err) = $node->psql('postgres', qq{
	SET statement_timeout = '700ms';
	SELECT * FROM ptopt_run($space, 'random', 100000, 0, '{"objective": "slow", "label": "timeout"}');
	SELECT status FROM ptopt.runs WHERE label = 'timeout';
}, on_error_stop => 0);
like($err, qr/canceling statement due to statement timeout/, 'statement_timeout reported');
is($out, 'cancelled', 'the next statement of the same session already sees the run cancelled');
cmp_ok(rows_of('timeout'), '>', 0, 'timed-out run kept its iterations');

# 3. ptopt_start, then ptopt_cancel from another session, then ptopt_wait.
my $id = $node->safe_psql('postgres',
	qq{SELECT ptopt_start($space, 'random', 100000, 0, '{"objective": "slow", "label": "started"}')});
like($id, qr/^\d+$/, 'ptopt_start returned a run_id');
$node->poll_query_until('postgres',
	"SELECT count(*) >= 3 FROM ptopt.trajectory WHERE run_id = $id") or die "no iterations";
is($node->safe_psql('postgres', "SELECT ptopt_cancel($id)"), 't', 'ptopt_cancel signalled the worker');
is($node->safe_psql('postgres', "SELECT status FROM ptopt_wait($id, '30 s')"), 'cancelled',
	'ptopt_wait returns the cancelled run');
is($node->safe_psql('postgres', "SELECT ptopt_cancel($id)"), 'f', 'a finished run cannot be cancelled');

# 4. ptopt_wait with a timeout returns a running run's summary.
$id = $node->safe_psql('postgres',
	qq{SELECT ptopt_start($space, 'random', 100000, 0, '{"objective": "slow", "label": "waited"}')});
is($node->safe_psql('postgres', "SELECT status FROM ptopt_wait($id, '300 ms')"), 'running',
	'ptopt_wait gives up at its timeout');
$node->safe_psql('postgres', "SELECT ptopt_cancel($id)");
is($node->safe_psql('postgres', "SELECT status FROM ptopt_wait($id)"), 'cancelled', 'then it ends');

# 5. A cancel while a new best is being held-out scored: the run still stores that best's
# held-out score (within the grace of PT_HOLDOUT_GRACE_MS), so runs.holdout_score is set;
# serial, and parallel (where a batch's new bests are scored after the next batch starts).
# One training world and 32 held-out ones make the held-out score the long step.
my %holdout_run;
for my $workers (1, 2)
{
	$id = $node->safe_psql('postgres', qq{
		SELECT ptopt_start(ptopt_default_space(), 'random', 100000, 3,
		       '{"backtest": {"scenario": "calm", "train_seeds": 1, "holdout_seeds": 32},
		         "workers": $workers, "label": "holdout cancel $workers"}')});
	ok($node->poll_query_until('postgres', q{
		SELECT count(*) > 0 FROM pg_stat_activity
		 WHERE backend_type = 'ptopt worker' AND query LIKE 'ptopt run: held-out score of iteration %'}),
		"workers $workers: the worker shows its held-out score in pg_stat_activity");
	my $t0 = time;
	is($node->safe_psql('postgres', "SELECT ptopt_cancel($id)"), 't', "workers $workers: cancel during it");
	is($node->safe_psql('postgres', "SELECT status FROM ptopt_wait($id, '30 s')"), 'cancelled',
		"workers $workers: the run ends cancelled");
	note(sprintf("workers %d: run ended %.2f s after the cancel", $workers, time - $t0));
	is($node->safe_psql('postgres', qq{
		SELECT r.holdout_score IS NOT NULL AND r.holdout_score = t.holdout_score
		  FROM ptopt.runs r JOIN ptopt.trajectory t ON t.run_id = r.run_id AND t.iter = r.best_iter
		 WHERE r.run_id = $id}), 't', "workers $workers: the best kept its held-out score, and the run row has it");
	$holdout_run{$workers} = $id;
}

# 6. A resumed run whose best row lacks its held-out score (as a cancel past the grace leaves it)
# scores it first, from the stored point: the same value the run had computed.
$id = $holdout_run{1};
my ($best_iter, $kept) = split /\|/, $node->safe_psql('postgres', qq{
	SELECT r.best_iter, t.holdout_score FROM ptopt.runs r
	  JOIN ptopt.trajectory t ON t.run_id = r.run_id AND t.iter = r.best_iter WHERE r.run_id = $id});
$node->safe_psql('postgres', qq{
	UPDATE ptopt.trajectory SET holdout_score = NULL WHERE run_id = $id AND iter = $best_iter;
	UPDATE ptopt.runs SET holdout_score = NULL WHERE run_id = $id});
$node->safe_psql('postgres', "SELECT ptopt_resume_start($id)");
ok($node->poll_query_until('postgres',
	"SELECT holdout_score IS NOT NULL FROM ptopt.trajectory WHERE run_id = $id AND iter = $best_iter"),
	'the resumed run scores its best row on the held-out worlds');
$node->safe_psql('postgres', "SELECT ptopt_cancel($id)");
is($node->safe_psql('postgres', "SELECT status FROM ptopt_wait($id, '30 s')"), 'cancelled', 'then it is cancelled');
is($node->safe_psql('postgres',
	"SELECT holdout_score = $kept FROM ptopt.trajectory WHERE run_id = $id AND iter = $best_iter"),
	't', 'with the held-out score the run had computed before');

$node->stop;
done_testing();
