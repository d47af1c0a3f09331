#!/usr/bin/perl
# One rule for model names (issues 18 and 20): the trainer
# (dm_model_name_problem) decides, dh_model only runs "dh-model-train list"
# (no check of its own), and the words in the templates and the man page
# say the same thing.  Each name below goes through "dh-model-train list"
# and through dh_model in a package.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use Test::More;
use DhModelTest;

use Cwd qw(abs_path);
my $trainer = abs_path(need_trainer());
unshift(@INC, "$TOP/dh-model/lib");
require Debian::Debhelper::DhModel;
ok(!Debian::Debhelper::DhModel->can($_), "dh_model has no check of its own: no $_")
	for qw(model_name_ok model_check_name);

my $RULE = "a name of 1 to 64 lower-case letters, digits, '.', '+' and '-', "
	. 'starting with a letter or digit, as a Debian package name';
my %names = (
	'm' => 1, 'fashion-mlp' => 1, 'wine2' => 1, 'x.y+z' => 1, '0day' => 1,
	'a' x 64 => 1, 'a' x 65 => 0, 'Wine' => 0, 'wine_svm' => 0, '-x' => 0,
	'.hidden' => 0, '+x' => 0, 'a/b' => 0, '..' => 0, 'caf' . "\xC3\xA9" => 0,
	'a b' => 0, 'a:b' => 0,
);
my $dir = tempdir('dh-model-names-XXXXXX', TMPDIR => 1, CLEANUP => 1);
for my $name (sort keys %names) {
	write_file("$dir/models", "Model: $name\nDataset: d.csv\nFormat: csv\n"
		. "Network: dense 2\nLoss: softmax-cross-entropy\nEpochs: 1\nSeed: 1\n");
	my $r = run_in($dir, {}, $trainer, 'list', 'models');
	my $c = $r->{code} == 0 ? 1 : 0;
	is($c, $names{$name}, "trainer: '$name' " . ($names{$name} ? 'accepted' : 'refused'))
		or diag($r->{all});
	like($r->{all}, qr/line 1: Model: expected \Q$RULE\E, got /, "the trainer's words for '$name'")
		if not $c;
}

# dh_model in a package: the trainer's refusal, in the trainer's words,
# for a model name and for an Install directory.
my %bad = (
	'Model: Wine_SVM' => qr/line \d+: Model: expected \Q$RULE\E, got 'Wine_SVM'/,
	'Install: ../etc/' => qr/line \d+: Install: expected a directory inside the package: relative, ending in '\/', without '\.' or '\.\.' components/,
);
for my $line (sort keys %bad) {
	my $src = fixture('simple');
	my ($field) = $line =~ m/^(\w+):/;
	edit_file("$src/debian/models", sub { s/^\Q$field\E:.*$/$line/m });
	my $r = run_in($src, {}, 'dh_model');
	isnt($r->{code}, 0, "dh_model refuses '$line'");
	like($r->{all}, $bad{$line}, "with the trainer's words") or diag($r->{all});
}

# The templates and the man page say the rule in the same words.
for my $file (glob("$TOP/templates/*.models"), "$TOP/trainer/dh-model-train.pod") {
	my $text = slurp($file);
	$text =~ s/^# ?//mg;
	$text =~ s/[BI]<([^>]*)>/$1/g;
	$text =~ s/\s+/ /g;
	(my $short = $file) =~ s{^\Q$TOP\E/}{};
	like($text, qr/1 to 64 lower-case letters, digits, "?\."?, "?\+"? and "?-"?, starting with a letter or digit/,
		"$short states the rule");
	unlike($text, qr/"_"|B<_> and|letters, digits, "\.", "\+", "_"/, "$short does not allow '_'");
}

done_testing();
