# Ask and tell: two clients working one external run at once get every iteration exactly
# once, and the run ends done when its budget is told.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PtoptNode;

my $node = PtoptNode::start('asktell');

# A client: ask one iteration, commit, "evaluate" it outside (a short sleep), tell, commit;
# until ptopt_ask hands out nothing.  Each asked iteration is logged with the client's name.
$node->safe_psql('postgres', q{
	CREATE TABLE client_log (client text, iter integer, PRIMARY KEY (client, iter));
	CREATE PROCEDURE client(run bigint, name text) LANGUAGE plpgsql AS $$
	DECLARE
		a record;
	BEGIN
		LOOP
			SELECT * INTO a FROM ptopt_ask(run, 1);
			EXIT WHEN NOT FOUND;
			COMMIT;
			PERFORM pg_sleep(0.01 + 0.03 * random());
			INSERT INTO client_log VALUES (name, a.iter);
			PERFORM ptopt_tell(run, a.iter,
				jsonb_build_object('score', -((a.params->>'x')::float8 - 0.3) ^ 2,
				                   'summary', format('told by %s', name)));
			COMMIT;
		END LOOP;
	END $$;
});

my $run = $node->safe_psql('postgres', q{
	SELECT ptopt_start('{"x": {"low": 0, "high": 1}}', 'tpe', 40, 7,
	                   '{"objective": "external", "label": "two clients"}')});
is($node->safe_psql('postgres', "SELECT status || ' ' || coalesce(worker_pid::text, 'no worker') FROM ptopt.runs WHERE run_id = $run"),
	'running no worker', 'an external run is running without a worker');

# Two clients at once.
my @clients;
for my $name ('a', 'b')
{
	my $bg = $node->background_psql('postgres', on_error_stop => 1);
	$bg->query_until(qr/go/, "\\echo go\nCALL client($run, '$name');\n\\echo finished_$name\n");
	push @clients, [ $bg, $name ];
}
for my $c (@clients)
{
	my ($bg, $name) = @$c;
	$bg->query_until(qr/finished_$name/, '');
	unlike($bg->{stderr}, qr/ERROR/, "client $name ended without an error");
	$bg->quit;
}

is($node->safe_psql('postgres', "SELECT status, iterations FROM ptopt.runs WHERE run_id = $run"),
	'done|40', 'the run is done after 40 tells');
is($node->safe_psql('postgres', qq{
	SELECT count(*), count(DISTINCT iter), min(iter), max(iter), count(*) FILTER (WHERE status = 'ok')
	  FROM ptopt.trajectory WHERE run_id = $run}),
	'40|40|1|40|40', '40 distinct iterations, all told ok');
is($node->safe_psql('postgres', 'SELECT count(*), count(DISTINCT iter) FROM client_log'),
	'40|40', 'no iteration was handed out twice');
is($node->safe_psql('postgres', q{SELECT count(DISTINCT client) FROM client_log}), '2',
	'both clients evaluated iterations');
note($node->safe_psql('postgres', q{SELECT client, count(*) FROM client_log GROUP BY 1 ORDER BY 1}));
is($node->safe_psql('postgres', qq{
	SELECT bool_and(t.report ->> 'summary' = 'told by ' || l.client)
	  FROM ptopt.trajectory t JOIN client_log l USING (iter) WHERE t.run_id = $run}),
	't', 'each row holds the report of the client that was asked it');
is($node->safe_psql('postgres', qq{SELECT count(*) FROM ptopt.trajectory WHERE run_id = $run AND source = 'tpe'}),
	'40', 'TPE proposed every iteration');

# The orphan sweep leaves a running external run alone.
my $open = $node->safe_psql('postgres', q{
	SELECT ptopt_start('{"x": {"low": 0, "high": 1}}', 'random', 5, 0, '{"objective": "external"}')});
$node->safe_psql('postgres', 'SELECT ptopt.sweep_orphans()');
is($node->safe_psql('postgres', "SELECT status FROM ptopt.runs WHERE run_id = $open"), 'running',
	'the orphan sweep does not fail an external run');
is($node->safe_psql('postgres', "SELECT ptopt_cancel($open)"), 't', 'ptopt_cancel closes an external run');
is($node->safe_psql('postgres', "SELECT status FROM ptopt_wait($open, '1 s')"), 'cancelled',
	'and ptopt_wait sees it cancelled');

done_testing();
