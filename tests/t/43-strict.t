#!/usr/bin/perl
# "dh $@ --with model --strict" in a real package build: dh passes --strict
# to every command with -O.  dh_auditmodels uses it (a model file that no
# recipe produced fails the build); dh_model, dh_installmodels and the
# other debhelper commands ignore it, as debhelper commands do with -O
# options they do not know.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Basename qw(dirname);
use Test::More;
use DhModelTest;

need_trainer();

my @DPKG_BUILDPACKAGE = ('dpkg-buildpackage', '-us', '-uc', '-d', '-b');
my $DEB = 'dhm-strict-model_1.0_all.deb';

# --- the package builds, and --strict reaches every command --------------------
my $src = fixture('strict-rules');
like(slurp("$src/debian/rules"), qr/^\tdh \$@ --with model --strict$/m, 'debian/rules: dh $@ --with model --strict');
my $r = run_in($src, {}, @DPKG_BUILDPACKAGE);
is($r->{code}, 0, 'dpkg-buildpackage builds it') or diag($r->{all});
like($r->{all}, qr/^\s+dh_model -O--strict$/m, 'dh passes -O--strict to dh_model');
like($r->{all}, qr/^\s+dh_installmodels -O--strict$/m, '... to dh_installmodels');
like($r->{all}, qr/^\s+dh_auditmodels -O--strict$/m, '... and to dh_auditmodels');
unlike($r->{all}, qr/option of dh_auditmodels|unknown option/, 'no command refuses the option');
ok((grep { $_ eq '/usr/share/dhm-strict/strict-mlp.safetensors' } deb_contents(dirname($src) . "/$DEB")),
	'the .deb ships the retrained weights');

# --- a model file that no recipe produced: --strict makes it an error ----------
$src = fixture('strict-rules');
edit_file("$src/debian/rules", sub {
	$_ .= "\nexecute_after_dh_install:\n\tmkdir -p debian/dhm-strict-model/usr/share/dhm-strict\n"
		. "\tprintf 'GGUF\\003\\000\\000\\000' > debian/dhm-strict-model/usr/share/dhm-strict/upstream.gguf\n";
});
$r = run_in($src, {}, @DPKG_BUILDPACKAGE);
isnt($r->{code}, 0, 'with an upstream GGUF file in the package the build fails');
like($r->{all}, qr/^dh_auditmodels: error: dhm-strict-model: 1 model file that no recipe produced \(usr\/share\/dhm-strict\/upstream\.gguf\), and dh_auditmodels --strict makes that an error/m,
	'... in dh_auditmodels, because of --strict from debian/rules') or diag($r->{all});
ok(!-e dirname($src) . "/$DEB", '... and no .deb is built');

done_testing();
