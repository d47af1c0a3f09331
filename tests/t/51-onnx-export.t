#!/usr/bin/perl
# Export: onnx in a package build: the fixture package with "Export: onnx"
# ships NAME.onnx beside the weights; the installed provenance lists it with
# the SHA-256 of the installed file, the card names it, a strict audit
# takes it as the recipe's (not an unexplained model), dh_installmodels
# refuses a staged file whose SHA-256 is not the recorded one, and onnx's checker
# passes on the installed file where python3-onnx is installed (the same
# bytes across trainings and thread counts: tests/py/test_onnx.py).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA;
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;
use DhModelTest;

need_trainer();

sub build {
	my ($parallel) = @_;
	my $src = fixture('simple');
	edit_file("$src/debian/models", sub { s/^(Install: .*)$/$1\nExport: onnx/m or die });
	my $r = run_in($src, {DEB_BUILD_OPTIONS => "parallel=$parallel", DH_MODEL_UNEXPLAINED => 'error'},
		'dpkg-buildpackage', '-us', '-uc', '-d', '-b');
	is($r->{code}, 0, "the fixture package with Export: onnx builds (parallel=$parallel, strict audit)")
		or diag($r->{all});
	unlike($r->{all}, qr/no recipe .* produced/, '... the audit takes simple-mlp.onnx as the recipe\'s');
	my $deb = dirname($src) . '/dhm-simple-model_1.0_all.deb';
	my $root = tempdir('dh-model-root-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	$r = run_in('/', {}, 'dpkg-deb', '-x', $deb, $root);
	is($r->{code}, 0, 'dpkg-deb -x');
	return ($deb, $root, $src);
}

my ($deb, $root, $src) = build(2);
my $onnx = "$root/usr/share/dhm-simple/simple-mlp.onnx";
ok((grep { $_ eq '/usr/share/dhm-simple/simple-mlp.onnx' } deb_contents($deb)),
	'the .deb holds usr/share/dhm-simple/simple-mlp.onnx beside the weights');
my $doc = '/usr/share/doc/dhm-simple-model/models';
my $json = doc_file($root, "$doc/simple-mlp.json");
my $prov = eval { JSON::PP->new->decode($json // '') } // {};
my ($x) = @{$prov->{exports} // []};
my $sha = -f $onnx ? Digest::SHA->new(256)->addfile($onnx)->hexdigest : '';
ok($x && $x->{format} eq 'onnx' && $x->{file} eq 'simple-mlp.onnx' && $x->{sha256} eq $sha,
	'the installed provenance lists simple-mlp.onnx with the SHA-256 of the installed file')
	or diag(explain($prov->{exports}));
like(doc_file($root, "$doc/simple-mlp.md") // '', qr/`\/usr\/share\/dhm-simple\/simple-mlp\.onnx`, SHA-256 `\Q$sha\E`/,
	'the installed card names the file and its SHA-256');

# a staged export that is not what the provenance records is not installed
my $staged = "$src/debian/.debhelper/model/dhm-simple-model/simple-mlp.onnx";
open(my $fd, '>>:raw', $staged) or die("$staged: $!");
print {$fd} "x";
close($fd);
my $r = run_in($src, {}, 'dh_installmodels');
isnt($r->{code}, 0, 'dh_installmodels refuses a staged simple-mlp.onnx that changed after training');
like($r->{err}, qr/simple-mlp\.onnx: its SHA-256 is not the one simple-mlp\.json records/, '... and says why')
	or diag($r->{all});

SKIP: {
	my $py = $ENV{PYTHON} // '/usr/bin/python3';
	my $r = run_in('/', {}, $py, '-c', 'import onnx');
	skip('python3-onnx is not installed', 1) if $r->{code} != 0;
	$r = run_in('/', {}, $py, '-c',
		'import sys, onnx; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', $onnx);
	is($r->{code}, 0, 'onnx.checker.check_model(full_check=True) passes on the installed file')
		or diag($r->{all});
}

done_testing();
