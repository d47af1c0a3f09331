#!/usr/bin/perl
# The comparison with upstream's prebuilt weights on the Fashion-MNIST
# example: "upstream's" weights are made here by a different recipe (a
# smaller network, another seed, one epoch), so that nothing binary is
# committed.  The package build evaluates both models on the same 10,000
# test images; the build log and the model card in the .deb show both
# accuracies and their difference.  About 40 s; DH_MODEL_TEST_EXAMPLE=0
# skips it.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use JSON::PP ();
use Test::More;
use DhModelTest;

plan(skip_all => 'DH_MODEL_TEST_EXAMPLE=0: not building the Fashion-MNIST example')
	if defined($ENV{DH_MODEL_TEST_EXAMPLE}) and $ENV{DH_MODEL_TEST_EXAMPLE} eq '0';
my $trainer = need_trainer();
plan(skip_all => 'needs dataset-fashion-mnist (/usr/share/datasets/fashion-mnist)')
	if not -d '/usr/share/datasets/fashion-mnist';

my $tmp = tempdir('dh-model-upstream-XXXXXX', TMPDIR => 1, CLEANUP => 1);
system('cp', '-a', "$TOP/templates/fashion-mnist-classifier", "$tmp/") == 0 or BAIL_OUT('cp');
my $src = "$tmp/fashion-mnist-classifier";
my $recipe = "$src/debian/fashion-mnist-classifier.models";

# "Upstream": another network (64 hidden units), another seed, one epoch.
my $up = slurp($recipe);
$up =~ s/^Network:.*$/Network: dense 64 relu, dense 10/m or die;
$up =~ s/^Seed:.*$/Seed: 42/m or die;
$up =~ s/^Epochs:.*$/Epochs: 1/m or die;
$up =~ s/^Expect:.*\n//m;
write_file("$tmp/upstream.models", $up);
mkdir("$src/upstream") or die;
my $r = run_in($tmp, {}, $trainer, 'train', '--quiet', '--threads', '2', '--output-dir', "$src/upstream",
	"$tmp/upstream.models");
is($r->{code}, 0, 'the "upstream" weights are trained by a different recipe') or diag($r->{all});
my $up_record = JSON::PP->new->decode(slurp("$src/upstream/fashion-mlp.json") // '{}');
unlink("$src/upstream/fashion-mlp.json");
rename("$src/upstream/fashion-mlp.safetensors", "$src/upstream/pretrained.safetensors") or die;
my $up_acc = $up_record->{metrics}{'test-accuracy'};
ok(defined($up_acc), "... with a test accuracy of its own ($up_acc)");

# The example's recipe names them.
edit_file($recipe, sub {
	s/^Install:/Upstream-Weights: upstream\/pretrained.safetensors\nUpstream-Network: dense 64 relu, dense 10\nUpstream-Max-Regression: accuracy 0.05\nInstall:/m or die;
});
$r = run_in($src, {}, 'dpkg-buildpackage', '-us', '-uc', '-d', '-b');
is($r->{code}, 0, 'dpkg-buildpackage builds the example with the comparison') or diag($r->{all});
like($r->{out}, qr/^fashion-mlp: upstream's upstream\/pretrained\.safetensors \(dense 64, relu, dense 10, 50890 parameters\) on the 10000 test rows: accuracy 0\.\d{4} retrained vs 0\.\d{4} upstream \([+-]0\.\d{4}\); loss \d\.\d{4} retrained vs \d\.\d{4} upstream \([+-]\d\.\d{4}\); within Upstream-Max-Regression$/m,
	'the build log shows both accuracies and the difference');
like($r->{all}, qr/^dh_auditmodels: warning: source package: upstream\/pretrained\.safetensors looks like model weights \(safetensors weights, by extension and content\): a blob in the source package, which Debian cannot rebuild; it is the Upstream-Weights of model fashion-mlp \(fashion-mnist-classifier\), evaluated next to the retrained model$/m,
	'the upstream blob in the source package is reported as such');

my $deb = "$tmp/fashion-mnist-classifier_0.1.0_all.deb";
is(run_in('/', {}, 'dpkg-deb', '-x', $deb, "$tmp/root")->{code}, 0, 'dpkg-deb -x');
my $docs = "$tmp/root/usr/share/doc/fashion-mnist-classifier/models";
my ($json, $card);
for ([\$json, 'fashion-mlp.json'], [\$card, 'fashion-mlp.md']) {
	my ($ref, $name) = @{$_};
	${$ref} = -f "$docs/$name" ? slurp("$docs/$name") : do {
		my $t;
		gunzip("$docs/$name.gz" => \$t) or die("gunzip: $GunzipError");
		$t;
	};
}
my $p = JSON::PP->new->decode($json);
my $u = $p->{upstream};
is($u->{weights}, 'upstream/pretrained.safetensors', 'the provenance names upstream\'s file');
is($u->{network}, 'dense 64, relu, dense 10', '... its network');
is($u->{rows}, 10000, '... and the 10000 test rows both were evaluated on');
ok(abs($u->{upstream}{'test-accuracy'} - $up_acc) < 1e-6, 'upstream\'s accuracy is what its own training measured');
is($u->{retrained}{'test-accuracy'}, $p->{metrics}{'test-accuracy'}, 'the retrained accuracy is the model\'s test accuracy');
ok(abs($u->{difference}{'test-accuracy'} - ($u->{retrained}{'test-accuracy'} - $u->{upstream}{'test-accuracy'})) < 1e-6,
	'the difference is retrained minus upstream');
is($u->{'max-regression'}{result}, 'pass', 'Upstream-Max-Regression passes');
my $mine = sprintf('%.4f', $u->{retrained}{'test-accuracy'});
my $theirs = sprintf('%.4f', $u->{upstream}{'test-accuracy'});
like($card, qr/^## Upstream comparison$/m, 'the card has the comparison');
like($card, qr/^\| test-accuracy \| \Q$mine\E \| \Q$theirs\E \| [+-]0\.\d{4} \|$/m, "... with both accuracies ($mine retrained, $theirs upstream)");
diag("Fashion-MNIST: retrained $mine, upstream $theirs");

done_testing();
