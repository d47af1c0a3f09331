#!/bin/bash
# reprotest.sh - build the example package templates/fashion-mnist-classifier
# twice with reprotest (null virt server: on this machine), varying
# everything reprotest varies by default except user_group (broken on
# bookworm), and require "Reproduction successful".
#
#   tests/repro/reprotest.sh            (as root or any user; about 20 s on 2 cores)
#
# How the build finds dh-model: with this tree's copy, as "make demo" does
# (PATH, PERL5LIB and DH_MODEL_TRAIN, and dpkg-buildpackage -d because
# dh-sequence-model is not installed).  reprotest starts every build from
# its own environment (os.environ), so these reach both builds; its
# exec_path variation only appends to PATH.  This keeps the machine as it
# is (no dh-model .deb installed system-wide).  The tools are first copied
# to a snapshot directory, so that both builds use the same files even if
# the tree changes meanwhile.
#
# The thread count varies too: the build command sets DEB_BUILD_OPTIONS
# parallel=$(nproc), and nproc runs under reprotest's num_cpus variation
# (taskset), so the control build trains with 1 thread and the experiment
# with 2 or more (when the machine has them).
#
# Packages: reprotest faketime disorderfs locales-all (fuse for disorderfs:
# /dev/fuse must exist), the build dependencies of the tree (make, a C
# compiler, libarchive-dev, libjansson-dev, libmd-dev, libopenblas-dev,
# pkgconf: debian/control's Build-Depends), debhelper
# and dataset-fashion-mnist.
# Environment: REPRO_WORK (default build/repro/reprotest), REPROTEST_ARGS
# (more reprotest options, e.g. --verbosity=2).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${REPRO_WORK:-$TOP/build/repro/reprotest}
PKG=fashion-mnist-classifier

say() { printf '\n=== %s: %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { printf 'reprotest.sh: error: %s\n' "$*" >&2; exit 1; }

say "checking the tools"
missing=()
for cmd in reprotest faketime disorderfs dpkg-buildpackage dh make cc; do
	command -v "$cmd" >/dev/null || missing+=("$cmd")
done
[ ${#missing[@]} -eq 0 ] ||
	die "missing: ${missing[*]} (apt-get install reprotest faketime disorderfs locales-all debhelper build-essential)"
dpkg-query -W -f='${Status}\n' dataset-fashion-mnist 2>/dev/null | grep -q 'ok installed' ||
	die "dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)"
# disorderfs (the fileordering variation) needs FUSE; a container may not
# have it, and then everything else is still varied, loudly
VARY=-user_group
if [ ! -e /dev/fuse ]; then
	echo "reprotest.sh: WARNING: /dev/fuse is missing, so the fileordering variation (disorderfs) is left out" >&2
	VARY=$VARY,-fileordering
fi

say "building the trainer (make)"
make -C "$TOP" --no-print-directory
[ -x "$TOP/build/dh-model-train" ] || die "make did not build build/dh-model-train"

say "snapshot of this tree's dh-model in $WORK/tools"
rm -rf "$WORK"
mkdir -p "$WORK/tools/build" "$WORK/src" "$WORK/out"
cp -a "$TOP/dh-model" "$TOP/sequence" "$TOP/policy" "$WORK/tools/"
cp -a "$TOP/build/dh-model-train" "$WORK/tools/build/"
cp -a "$TOP/templates/$PKG" "$WORK/src/"
export PATH="$WORK/tools/dh-model:$PATH"
export PERL5LIB="$WORK/tools/sequence:$WORK/tools/dh-model/lib${PERL5LIB:+:$PERL5LIB}"
export DH_MODEL_TRAIN="$WORK/tools/build/dh-model-train"
"$DH_MODEL_TRAIN" --version 2>/dev/null || true

# shellcheck disable=SC2016 # $(nproc) runs in reprotest's build shell
BUILD='DH_VERBOSE=1 DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage --no-sign -b -d'
say "reprotest --vary=$VARY (null server), build command: $BUILD"
start=$(date +%s)
set +e
# shellcheck disable=SC2086 # REPROTEST_ARGS is a word list
(cd "$WORK/src" && reprotest --vary="$VARY" --store-dir="$WORK/out" \
	--verbosity=1 ${REPROTEST_ARGS:-} -c "$BUILD" "$PKG" '../*.deb' -- null) 2>&1 |
	tee "$WORK/reprotest.log"
rc=${PIPESTATUS[0]}
set -e
secs=$(($(date +%s) - start))

say "reprotest exited with $rc after ${secs} s ($((secs / 60)) min $((secs % 60)) s)"
echo "variations (reprotest's INFO lines):"
grep -E 'INFO:reprotest.build:.*variation' "$WORK/reprotest.log" | sed 's/^/  /' || true
echo "trainer runs, control then experiment (DH_VERBOSE):"
grep -E '^\s+\S*dh-model-train train ' "$WORK/reprotest.log" | sed 's/^\s*/  /' || true
if [ "$rc" -ne 0 ] || ! grep -q '^Reproduction successful' "$WORK/reprotest.log"; then
	die "not reproducible, or reprotest failed (log: $WORK/reprotest.log; diffoscope output, if any, in $WORK/out)"
fi
echo "reprotest.sh: Reproduction successful (${secs} s)"
