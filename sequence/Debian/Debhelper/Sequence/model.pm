#!/usr/bin/perl
# dh add-on "model" (dh-model): retrain machine-learning models from free
# data during the package build.
#
# Activated by Build-Depends: dh-sequence-model, or by "dh $@ --with model".
#
# dh_model trains in the *build* sequence, so that "debian/rules build"
# (and build-arch or build-indep) does the heavy work and an arch:all model
# package is trained by "dpkg-buildpackage -A" only.  dh_installmodels puts
# the staged outputs into the package in the *install* sequence.
#
# Only insert_after is used, so that the add-on also works when it is
# activated through Build-Depends-Arch or Build-Depends-Indep.

use strict;
use warnings;
use Debian::Debhelper::Dh_Lib;

insert_after('dh_auto_build', 'dh_model');
insert_after('dh_install', 'dh_installmodels');

1;
