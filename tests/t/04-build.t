#!/usr/bin/perl
# End to end: real dpkg-buildpackage builds of the fixture packages with the
# tree's dh-model.  The .deb ships the weights and the model card, two
# builds are byte-identical, and an arch:all model package is trained by
# "dpkg-buildpackage -A" and not by "-B".

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Basename qw(dirname);
use Test::More;
use DhModelTest;

need_trainer();

# -d: the tree's dh-model is not installed, so do not check Build-Depends.
my @DPKG_BUILDPACKAGE = ('dpkg-buildpackage', '-us', '-uc', '-d');

sub build {
	my ($src, @args) = @_;
	my $r = run_in($src, {}, @DPKG_BUILDPACKAGE, @args);
	is($r->{code}, 0, "dpkg-buildpackage @args in " . (split(m{/}, $src))[-1]) or diag($r->{all});
	return $r;
}

# --- a full build of the simple fixture, twice ---------------------------------
my (@debs, @paths);
for my $round (1, 2) {
	my $src = fixture('simple');
	build($src);
	my $deb = dirname($src) . '/dhm-simple-model_1.0_all.deb';
	ok(-f $deb, "build $round: dhm-simple-model_1.0_all.deb");
	ok(-f dirname($src) . '/dhm-simple_1.0.dsc', "build $round: the source package too");
	push(@debs, $deb);
	@paths = deb_contents($deb);
}
ok((grep { $_ eq '/usr/share/dhm-simple/simple-mlp.safetensors' } @paths), 'dpkg -c lists the weights');
ok((grep { m{^/usr/share/doc/dhm-simple-model/models/simple-mlp\.md(?:\.gz)?$} } @paths), 'dpkg -c lists the model card');
ok((grep { m{^/usr/share/doc/dhm-simple-model/models/simple-mlp\.json(?:\.gz)?$} } @paths), 'dpkg -c lists the provenance record');
ok(slurp($debs[0]) eq slurp($debs[1]), 'two builds give byte-identical .debs')
	or diag(run_in('/', {}, 'cmp', @debs)->{all});

# --- arch:all versus arch:any ------------------------------------------------------
my $arch = run_in('/', {}, 'dpkg', '--print-architecture')->{out};
chomp($arch);

my $src = fixture('mixed');
build($src, '-A');
my $dir = dirname($src);
ok(-f "$dir/dhm-mixed-data_1.0_all.deb", '-A builds the arch:all model package');
ok(!-e "$dir/dhm-mixed-tool_1.0_${arch}.deb", '-A does not build the arch:any package');
ok(-f "$src/debian/.debhelper/model/dhm-mixed-data/data-mlp.safetensors", '-A trained the arch:all model');
ok(!-e "$src/debian/.debhelper/model/dhm-mixed-tool", '-A did not train the arch:any model');
ok((grep { $_ eq '/usr/share/dhm-mixed-data/data-mlp.safetensors' } deb_contents("$dir/dhm-mixed-data_1.0_all.deb")),
	'the arch:all .deb ships its weights');

$src = fixture('mixed');
build($src, '-B');
$dir = dirname($src);
ok(-f "$dir/dhm-mixed-tool_1.0_${arch}.deb", '-B builds the arch:any package');
ok(!-e "$dir/dhm-mixed-data_1.0_all.deb", '-B does not build the arch:all package');
ok(!-e "$src/debian/.debhelper/model/dhm-mixed-data", '-B did not train the arch:all model');
ok(-f "$src/debian/.debhelper/model/dhm-mixed-tool/tool-linear.safetensors", '-B trained the arch:any model');

# "debian/rules build-indep" alone does the training of the arch:all package.
$src = fixture('mixed');
my $r = run_in($src, {}, 'debian/rules', 'build-indep');
is($r->{code}, 0, 'debian/rules build-indep') or diag($r->{all});
ok(-f "$src/debian/.debhelper/model/dhm-mixed-data/recipe.sha256", 'build-indep trains the arch:all model');
ok(!-e "$src/debian/.debhelper/model/dhm-mixed-tool", '... and not the arch:any one');
$r = run_in($src, {}, 'debian/rules', 'clean');
is($r->{code}, 0, 'debian/rules clean');
ok(!-e "$src/debian/.debhelper", 'debian/rules clean removes the staged models');

done_testing();
