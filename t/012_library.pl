# A session and the worker it starts must run the same build of ptopt.so: after a new build is
# installed, a session that loaded the earlier one gets a clear error, not a worker that reads a
# segment laid out by another build.
use strict;
use warnings;
use File::Copy;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use PtoptNode;

my $node = PtoptNode::start('library');
my $space = PtoptNode::space();
my $run = qq{SELECT status FROM ptopt_run($space, 'random', 3, 1, '{"objective": "quadratic"}')};

is($node->safe_psql('postgres', $run), 'done', 'a search runs when session and worker load the same file');

# A second copy of the library, found first by the worker (it loads "ptopt" through
# dynamic_library_path) while sessions load $libdir/ptopt (module_pathname): the situation of a
# session that loaded the library before a new build was installed over it.
my $libdir = $node->safe_psql('postgres', q{SELECT setting FROM pg_config() WHERE name = 'PKGLIBDIR'});
my $other = $node->basedir . '/otherlib';
mkdir $other or die "mkdir $other: $!";
copy("$libdir/ptopt.so", "$other/ptopt.so") or die "copy ptopt.so: $!";
$node->append_conf('postgresql.conf', "dynamic_library_path = '$other:\$libdir'\n");
$node->reload;

my ($stdout, $stderr);
my $rc = $node->psql('postgres', "SET client_min_messages = error; $run",
	stdout => \$stdout, stderr => \$stderr, extra_params => ['-v', 'VERBOSITY=verbose']);
isnt($rc, 0, 'the search is refused when the worker loaded another build');
like($stderr, qr/55000: the ptopt library was replaced after this session loaded it/,
	'the error names the cause with SQLSTATE 55000');
like($stderr, qr/Reconnect/, 'the hint says what to do');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ptopt.runs WHERE status = 'running'}), '0',
	'no run is left running');

# Back to one file: searches run again.
$node->append_conf('postgresql.conf', "dynamic_library_path = '\$libdir'\n");
$node->reload;
is($node->safe_psql('postgres', $run), 'done', 'with one library file again, a search runs');

$node->stop;
done_testing();
