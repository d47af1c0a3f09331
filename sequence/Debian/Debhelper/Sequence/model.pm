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
# dh_auditmodels flags model files that no recipe produced, just before
# dh_builddeb, when every earlier command (dh_installexamples, dh_compress,
# overrides...) has filled the packages.
#
# Only insert_after and insert_before are used, so that the add-on also
# works when it is activated through Build-Depends-Arch or
# Build-Depends-Indep (dh then adds the commands to the -arch or -indep
# sequences only).

use strict;
use warnings;
use Debian::Debhelper::Dh_Lib;

insert_after('dh_auto_build', 'dh_model');
insert_after('dh_install', 'dh_installmodels');
insert_before('dh_builddeb', 'dh_auditmodels');

1;
