#!/usr/bin/perl
# dh_auditmodels audits every package that dh acts on, with a recipe or
# without: a buildd's "dpkg-buildpackage -B" of the mixed fixture builds
# only the arch:any package, which has no recipe here and ships an upstream
# GGUF file.  (With "PROMISE: DH NOOP WITHOUT models", dh skipped the audit
# whenever no package acted on had a recipe: the blob went into the .deb
# unmentioned, even with DH_MODEL_UNEXPLAINED=error.)

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Basename qw(dirname);
use Test::More;
use DhModelTest;

need_trainer();

my $arch = run_in('/', {}, 'dpkg', '--print-architecture')->{out};
chomp($arch);
my $DEB = "dhm-mixed-tool_1.0_${arch}.deb";
my $BLOB = 'usr/share/dhm-mixed-tool/upstream.gguf';

# The mixed fixture, whose arch:any package has no recipe and an upstream
# model file.
sub without_recipe {
	my $src = fixture('mixed');
	unlink("$src/debian/dhm-mixed-tool.models") or die;
	edit_file("$src/debian/rules", sub {
		$_ .= "\nexecute_after_dh_install-arch:\n\tmkdir -p debian/dhm-mixed-tool/usr/share/dhm-mixed-tool\n"
			. "\tprintf 'GGUF\\003\\000\\000\\000' > debian/dhm-mixed-tool/$BLOB\n";
	});
	return $src;
}

my $src = without_recipe();
my $r = run_in($src, {}, 'dpkg-buildpackage', '-us', '-uc', '-d', '-B');
is($r->{code}, 0, 'dpkg-buildpackage -B builds the arch:any package') or diag($r->{all});
like($r->{all}, qr/^\s+dh_auditmodels -a\n\s+dh_builddeb -a$/m, 'dh runs dh_auditmodels -a, though no arch:any package has a recipe');
like($r->{all}, qr/^dh_auditmodels: warning: dhm-mixed-tool: \Q$BLOB\E looks like model weights \(GGUF model, by extension and content\), but dhm-mixed-tool has no recipe \(debian\/dhm-mixed-tool\.models\)/m,
	'... which names the upstream file in the package without a recipe') or diag($r->{all});
ok((grep { $_ eq "/$BLOB" } deb_contents(dirname($src) . "/$DEB")), 'a warning: the .deb is built, with the file');

$src = without_recipe();
$r = run_in($src, { DH_MODEL_UNEXPLAINED => 'error' }, 'dpkg-buildpackage', '-us', '-uc', '-d', '-B');
isnt($r->{code}, 0, 'with DH_MODEL_UNEXPLAINED=error, dpkg-buildpackage -B fails');
like($r->{all}, qr/^dh_auditmodels: error: dhm-mixed-tool: 1 model file that no recipe produced \(\Q$BLOB\E\), and DH_MODEL_UNEXPLAINED=error makes that an error/m,
	'... in dh_auditmodels, naming the file') or diag($r->{all});
ok(!-e dirname($src) . "/$DEB", '... and no .deb is built');

done_testing();
