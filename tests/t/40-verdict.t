#!/usr/bin/perl
# The ML-Policy verdict in real package builds: fixture packages whose data
# are free (Expat and MIT), ToxicCandy (non-commercial, or a licence nobody
# knows to be free), not covered by any copyright stanza, and from a data
# package under /usr/share (dataset-fashion-mnist).  Each gets the right
# verdict with the right reason, in the provenance record and in the model
# card that the .deb ships (or that dh_model staged).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Basename qw(dirname);
use JSON::PP ();
use Test::More;
use DhModelTest;

need_trainer();

my @DPKG_BUILDPACKAGE = ('dpkg-buildpackage', '-us', '-uc', '-d', '-b');

# Build SRC, unpack DEB; returns (provenance, card, build output) of MODEL.
sub build_and_read {
	my ($src, $pkg, $model) = @_;
	my $r = run_in($src, {}, @DPKG_BUILDPACKAGE);
	is($r->{code}, 0, "dpkg-buildpackage builds $pkg") or diag($r->{all});
	my $deb = dirname($src) . "/${pkg}_1.0_all.deb";
	my $root = dirname($src) . '/root';
	is(run_in('/', {}, 'dpkg-deb', '-x', $deb, $root)->{code}, 0, "dpkg-deb -x $pkg");
	my $json = doc_file($root, "/usr/share/doc/$pkg/models/$model.json");
	my $card = doc_file($root, "/usr/share/doc/$pkg/models/$model.md");
	ok(defined($json) && defined($card), "the .deb ships $model.json and $model.md");
	return (JSON::PP->new->decode($json // '{}'), $card // '', $r->{all});
}

# The staged record and card of MODEL after dh_model in SRC.
sub staged {
	my ($src, $pkg, $model) = @_;
	my $dir = "$src/debian/.debhelper/model/$pkg";
	return (JSON::PP->new->decode(slurp("$dir/$model.json") // '{}'), slurp("$dir/$model.md") // '');
}

# --- free data: Expat for the training set, MIT for the test set -------------
{
	my $src = fixture('verdict-free');
	my ($p, $card, $log) = build_and_read($src, 'dhm-verdict-free', 'free-mlp');
	my $v = $p->{verdict};
	is($v->{class}, 'Free Model', 'free data: the verdict is Free Model');
	like($v->{reason}, qr/^the weights are Expat \(License, debian\/dhm-verdict-free\.models line \d+\); the data are free \(2 files\): Expat per debian\/copyright, MIT per debian\/copyright; retrained from source by dh-model-train \S+ within policy main \([0-9.e+]+ of 3\.6e\+14 FLOP\)$/,
		'... and the reason names the licences, the copyright file and the budget') or diag($v->{reason});
	my ($train, $test) = @{$v->{data}};
	is_deeply([@{$train}{qw(part path license free license-from copyright-file stanza)}],
		['training data', 'data/train.csv', 'Expat', JSON::PP::true, 'source-copyright', 'debian/copyright', 'Files: data/*'],
		'the training data: Expat from the Files: data/* stanza');
	is($train->{'stanza-line'}, 8, '... at line 8');
	is_deeply([@{$test}{qw(license stanza stanza-line)}], ['MIT', 'Files: data/test.csv', 12],
		'the test data: MIT from the last stanza that matches, Files: data/test.csv');
	is($train->{sha256}, $p->{data}{train}[0]{sha256}, 'the licence record carries the data file\'s SHA-256');
	ok($v->{weights}{free} && $v->{training}{'within-policy'} && $v->{training}{'within-main'},
		'the weights are free and the training within the policy');
	like($v->{'free-licenses'}{sha256}, qr/^[0-9a-f]{64}$/, 'the record names the list of free licences by its SHA-256');
	like($card, qr/^## Verdict: Free Model$/m, 'the card in the .deb opens with the verdict');
	like($card, qr/^\| training data \| `data\/train\.csv` \| Expat \| yes \| `debian\/copyright`, `Files: data\/\*` at line 8; /m,
		'... and lists each data file with its licence and where it comes from');
	like($log, qr/^dh_model: dhm-verdict-free \(debian\/dhm-verdict-free\.models\): free-mlp: verdict: Free Model: the weights are Expat/m,
		'the build log has the verdict');
}

# --- ToxicCandy and Non-free --------------------------------------------------
{
	my $src = fixture('verdict-toxic');
	my $r = run_in($src, {}, 'dh_model');
	is($r->{code}, 0, 'dh_model trains the ToxicCandy fixture (a verdict never fails the build)') or diag($r->{all});
	my ($p, $card) = staged($src, 'dhm-verdict-toxic', 'nc-mlp');
	my $v = $p->{verdict};
	is($v->{class}, 'ToxicCandy', 'non-commercial data: ToxicCandy');
	is($v->{reason}, 'the weights are Expat, but the data are not free: the training data data/nc/train.csv: '
		. 'CC-BY-NC-SA-4.0 is not free: non-commercial use only (DFSG 6: no discrimination against fields of endeavour) '
		. '(debian/copyright, Files: data/nc/*, line 8)',
		'... because of the file, its licence and the limit, with the stanza that says so');
	ok($v->{'data-license-unused'}, 'the recipe\'s Data-License cannot override debian/copyright: it is unused');
	is($v->{data}[0]{'license-from'}, 'source-copyright', '... and the licence still comes from debian/copyright');
	like($card, qr/^## Verdict: ToxicCandy$/m, 'the card says ToxicCandy');
	like($card, qr/The recipe's Data-License is not used: a copyright file covers every data file\./,
		'... and that the Data-License went unused');
	like($r->{err}, qr/^dh_model: dhm-verdict-toxic \(debian\/dhm-verdict-toxic\.models\): nc-mlp: verdict: ToxicCandy: /m,
		'the verdict is on stderr');
	like($r->{err}, qr/^dh_model: warning: dhm-verdict-toxic \(debian\/dhm-verdict-toxic\.models\): nc-mlp: Data-License \(\S+ line \d+\) is not used/m,
		'... and so is the warning that Data-License went unused');

	($p, $card) = staged($src, 'dhm-verdict-toxic', 'vendor-mlp');
	$v = $p->{verdict};
	is($v->{class}, 'ToxicCandy', 'data under an unknown licence: ToxicCandy');
	like($v->{reason}, qr/the training data data\/vendor\/train\.csv: Acme-Data-Terms is not in the list of free licences \(debian\/copyright, Files: data\/vendor\/\*, line 14\)$/,
		'... the reason names the licence that is not in the list') or diag($v->{reason});
	like($card, qr/\| Acme-Data-Terms \| \*\*no\*\* \|/, 'the card marks the licence as not free');

	($p, $card) = staged($src, 'dhm-verdict-toxic', 'nc-weights-mlp');
	$v = $p->{verdict};
	is($v->{class}, 'Non-free', 'free data, non-commercial weights: Non-free');
	like($v->{reason}, qr/^the weights' licence is not free: CC-BY-NC-4\.0 is not free: non-commercial use only .*\(License, debian\/dhm-verdict-toxic\.models line \d+\)$/,
		'... because of the weights\' licence') or diag($v->{reason});
	ok($v->{data}[0]{free}, '... while its data are free');
	like($card, qr/^\| Licence of the weights \| CC-BY-NC-4\.0 \(License, debian\/dhm-verdict-toxic\.models\) \(\*\*not free\*\*: /m, 'the card says the weights\' licence is not free');
}

# --- no copyright stanza covers the data ---------------------------------------
{
	my $src = fixture('verdict-nostanza');
	my ($p, $card, $log) = build_and_read($src, 'dhm-verdict-nostanza', 'orphan-mlp');
	my $v = $p->{verdict};
	is($v->{class}, 'ToxicCandy', 'data that no stanza covers, no Data-License: ToxicCandy');
	like($v->{reason}, qr/the training data data\/train\.csv: no licence known: no Files: stanza of debian\/copyright matches data\/train\.csv; 1 more data file is not free$/,
		'... the reason says that no Files: stanza matches') or diag($v->{reason});
	is($v->{data}[0]{'license-from'}, 'none', '... and the record that no licence was found');

	my $root = dirname($src) . '/root';
	my $json = doc_file($root, '/usr/share/doc/dhm-verdict-nostanza/models/stated-mlp.json');
	$card = doc_file($root, '/usr/share/doc/dhm-verdict-nostanza/models/stated-mlp.md') // '';
	$v = JSON::PP->new->decode($json // '{}')->{verdict};
	is($v->{class}, 'Free Model', 'the same data with Data-License: CC0-1.0: Free Model');
	is($v->{data}[0]{'license-from'}, 'recipe', '... the licence comes from the recipe');
	like($v->{data}[0]{note}, qr/^stated by the recipe's Data-License \(debian\/dhm-verdict-nostanza\.models line \d+\), as no copyright file covers it: no Files: stanza of debian\/copyright matches data\/train\.csv$/,
		'... only because no copyright file covers the data');
	like($v->{reason}, qr/CC0-1\.0 per the recipe's Data-License \(no copyright file covers it\)/, '... and the reason says so');
	like($card, qr/^\| training data \| `data\/train\.csv` \| CC0-1\.0 \| yes \| stated by the recipe's Data-License: no copyright file covers it; /m,
		'the card says the licence was stated by the recipe');
}

# --- data from a Build-Depends data package under /usr/share --------------------
SKIP: {
	skip('needs dataset-fashion-mnist', 12) if not -f '/usr/share/doc/dataset-fashion-mnist/copyright'
		or not -d '/usr/share/datasets/fashion-mnist';
	my $src = fixture('verdict-datapkg');
	my ($p, $card, $log) = build_and_read($src, 'dhm-verdict-datapkg', 'fashion-softmax');
	my $v = $p->{verdict};
	is($v->{class}, 'Free Model', 'Fashion-MNIST from dataset-fashion-mnist: Free Model');
	is(scalar(@{$v->{data}}), 4, '... four data files: images and labels, training and test');
	my @owners = map { $_->{package} // '' } @{$v->{data}};
	is_deeply(\@owners, [('dataset-fashion-mnist') x 4], 'dpkg\'s file lists give dataset-fashion-mnist as the owner of each');
	is_deeply([map { $_->{'copyright-file'} } @{$v->{data}}], [('/usr/share/doc/dataset-fashion-mnist/copyright') x 4],
		'... whose copyright file gives the licence');
	is_deeply([map { $_->{license} } @{$v->{data}}], [('Expat') x 4], '... Expat');
	is($v->{data}[0]{stanza}, 'Files: *', '... from its Files: * stanza');
	like($v->{data}[0]{note}, qr/no Files: pattern names the installed path, so the Files: \* stanza applies \(every other stanza is free too\)/,
		'... and the record says why that stanza');
	ok($v->{data}[0]{'in-build-depends'}, 'the owner is in Build-Depends');
	like($v->{reason}, qr/the data are free \(4 files\): Expat per \/usr\/share\/doc\/dataset-fashion-mnist\/copyright;/,
		'the reason names the package\'s copyright file');
	like($card, qr/^## Verdict: Free Model$/m, 'the card in the .deb says Free Model');
	like($card, qr/`\/usr\/share\/doc\/dataset-fashion-mnist\/copyright` \(package dataset-fashion-mnist\), `Files: \*` at line 4;/,
		'... and names the package, its copyright file and the stanza');
	unlike($log, qr/not in Build-Depends/, 'no warning about Build-Depends');
}

done_testing();
