#!/usr/bin/perl
# Upstream-Weights: an upstream .onnx in a package build.  "Upstream" is a
# small PyTorch MLP that tests/onnx/make-upstream.py trains and exports
# with torch.onnx.export here (nothing binary is committed); it prints
# PyTorch's own test accuracy, which the build log and the card in the
# .deb must show beside the retrained model's, on the same test rows.
# About 15 s; needs python3-torch.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;
use DhModelTest;

need_trainer();
my $py = $ENV{PYTHON} // '/usr/bin/python3';
plan(skip_all => 'needs python3-torch to make the upstream ONNX model')
	if run_in('/', {}, $py, '-c', 'import torch')->{code} != 0;

my $src = fixture('simple');
mkdir("$src/upstream") or die;
my $r = run_in($src, {}, $py, "$TOP/tests/onnx/make-upstream.py", 'upstream/model.onnx',
	'data/train.csv', 'data/test.csv');
is($r->{code}, 0, 'PyTorch trains and exports the "upstream" model') or diag($r->{all});
my ($torch_acc, $params) = $r->{out} =~ /^(\d\.\d{4}) (\d+)$/m;
ok(defined($torch_acc), "... whose test accuracy by PyTorch is $torch_acc");

edit_file("$src/debian/models", sub {
	s/^(Install: .*)$/Upstream-Weights: upstream\/model.onnx\nUpstream-Max-Regression: accuracy 0.5\n$1/m or die;
});
$r = run_in($src, {}, 'dpkg-buildpackage', '-us', '-uc', '-d', '-b');
is($r->{code}, 0, 'the fixture package builds with Upstream-Weights: upstream/model.onnx')
	or diag($r->{all});
my ($up_acc) = $r->{out} =~ /^simple-mlp: upstream's upstream\/model\.onnx \(dense 6, relu, dense 2, \Q$params\E parameters\) on the 100 test rows: accuracy 0\.\d{4} retrained vs (0\.\d{4}|1\.0000) upstream \([+-]\d\.\d{4}\); loss \S+ retrained vs \S+ upstream \(\S+\); within Upstream-Max-Regression$/m;
ok(defined($up_acc), 'the build log shows both accuracies, and the network read from the graph')
	or diag($r->{out});
is($up_acc, $torch_acc, "upstream's accuracy in the log is PyTorch's own ($torch_acc)");

my $deb = dirname($src) . '/dhm-simple-model_1.0_all.deb';
my $root = tempdir('dh-model-root-XXXXXX', TMPDIR => 1, CLEANUP => 1);
is(run_in('/', {}, 'dpkg-deb', '-x', $deb, $root)->{code}, 0, 'dpkg-deb -x');
my $doc = '/usr/share/doc/dhm-simple-model/models';
my $prov = eval { JSON::PP->new->decode(doc_file($root, "$doc/simple-mlp.json") // '') } // {};
my $u = $prov->{upstream} // {};
ok(($u->{format} // '') eq 'onnx' && ($u->{network} // '') eq 'dense 6, relu, dense 2' &&
	sprintf('%.4f', $u->{upstream}{'test-accuracy'} // -1) eq $torch_acc,
	'the installed provenance: format onnx, the network, upstream\'s accuracy') or diag(explain($u));
my $card = doc_file($root, "$doc/simple-mlp.md") // '';
like($card, qr/## Upstream comparison\n\nUpstream's prebuilt weights `upstream\/model\.onnx` \(onnx, SHA-256 `[0-9a-f]{64}`\), network dense 6, relu, dense 2 \(\Q$params\E parameters\).*normalization: the graph's own/s,
	'the installed card names the ONNX file, its network and normalisation');
like($card, qr/^\| test-accuracy \| \d\.\d{4} \| \Q$torch_acc\E \| [+-]\d\.\d{4} \|$/m,
	'... and shows both accuracies side by side') or diag($card);

done_testing();
