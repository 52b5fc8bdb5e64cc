# PtoptNode: a throwaway cluster with ptopt installed and a slow objective, for the TAP tests.
package PtoptNode;

use strict;
use warnings;
use PostgreSQL::Test::Cluster;

# A started node with max_worker_processes raised, ptopt created, and slow(jsonb):
# an objective that sleeps 50 ms, so a search lasts long enough to interrupt.
sub start
{
	my ($name, $extra_conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', "max_worker_processes = 16\n" . ($extra_conf // ''));
	$node->start;
	$node->safe_psql('postgres', q{
		CREATE EXTENSION ptopt;
		CREATE FUNCTION slow(p jsonb) RETURNS float8 LANGUAGE sql AS $$
			SELECT pg_sleep(0.05); SELECT (p->>'x')::float8 $$;
	});
	return $node;
}

# The one-parameter space the TAP tests search.
sub space
{
	return q{'{"x": {"low": 0, "high": 1}}'};
}

1;
