#!/usr/bin/perl
# The recipe templates and the example package's recipe are valid recipes
# ("dh-model-train list" accepts them), every field in them is commented,
# and the example package has the shape a maintainer copies.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use DhModelTest;

my @templates = map { "$TOP/templates/$_.models" } qw(image-classifier image-cnn tabular-classifier tabular-regression
	text-classifier fortune-langid word-langid word-vectors);
my $example = "$TOP/templates/fashion-mnist-classifier";
my $example_recipe = "$example/debian/fashion-mnist-classifier.models";

# Each field line of a template follows a comment that explains it.
for my $t (@templates) {
	my @lines = split(/\n/, slurp($t) // '');
	my ($fields, $explained) = (0, 0);
	for my $i (0 .. $#lines) {
		next if $lines[$i] !~ m/^[A-Za-z][A-Za-z0-9-]*:/;
		$fields++;
		# A field is explained by the comment block just above it, or by the
		# comment above the field it is grouped with.
		my $j = $i - 1;
		$j-- while $j >= 0 and $lines[$j] =~ m/^[A-Za-z][A-Za-z0-9-]*:/;
		$explained++ if $j >= 0 and $lines[$j] =~ m/^#/;
	}
	cmp_ok($fields, '>=', 15, "$t has a full recipe ($fields fields)");
	is($explained, $fields, "$t: every field is commented");
	like(slurp($t), qr/^Install: .*\/$/m, "$t has an Install: directory");
}

my $control = slurp("$example/debian/control");
like($control, qr/^Build-Depends:.*\bdh-sequence-model\b/m, 'example: Build-Depends on dh-sequence-model');
like($control, qr/^Build-Depends:.*\bdataset-fashion-mnist\b/m, 'example: Build-Depends on dataset-fashion-mnist');
like($control, qr/^Architecture: all$/m, 'example: the model package is arch:all');
like(slurp("$example/debian/rules"), qr/^%:\n\tdh \$\@$/m, 'example: debian/rules is plain dh');
like(slurp($example_recipe), qr/^Install: usr\/share\/fashion-mnist-classifier\/$/m, 'example: ships the model in usr/share/fashion-mnist-classifier/');
ok(-x "$example/fashion-mnist-classify", 'example: has the consumer program');

SKIP: {
	my $trainer = real_trainer();
	skip('needs the trainer (DH_MODEL_TRAIN is not set or not executable) to validate the recipes', 2 * (@templates + 1))
		if not $trainer;
	for my $t (@templates, $example_recipe) {
		my $r = run_in($TOP, {}, $trainer, 'list', $t);
		is($r->{code}, 0, "dh-model-train list accepts $t") or diag($r->{all});
		like($r->{out}, qr/^[A-Za-z0-9][A-Za-z0-9.+_-]*\t\S*\n/, '... and lists its model');
	}
}

done_testing();
