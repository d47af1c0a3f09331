#!/bin/bash
# sbuild.sh - build dh-model and the example package
# templates/fashion-mnist-classifier the way Debian's buildds do, for each
# SUITE given: sbuild --chroot-mode=unshare in a clean chroot made by
# mmdebstrap, as a non-root user, no network during the builds.
#
#   1. dh-model from this tree's source package, with its tests (make
#      check inside the build) or nocheck (SBUILD_CHECK);
#   2. the example package against that dh-model (--extra-package);
#   3. the example's model files (weights, provenance, model card) must be
#      byte-identical to those of a plain dpkg-buildpackage on the host,
#      so across all the suites (their gcc, libarchive, OpenBLAS, Python
#      and debhelper differ);
#   4. where asked (SBUILD_LINTIAN, SBUILD_AUTOPKGTEST; sid by default):
#      lintian --pedantic from the suite, run inside its chroot by sbuild
#      on the source and the .deb, must report nothing; and the
#      autopkgtest (debian/tests) must pass in the suite's chroot
#      (autopkgtest-virt-unshare on the same tarball).
# Then, with SBUILD_ARM64=yes, the same once for arm64 under qemu (first
# SUITE): dh-model built for arm64 in an arm64 sbuild, and the example's
# model must hash the same as on amd64.
#
#   tests/repro/sbuild.sh [SUITE...]   (bookworm, trixie, sid; default bookworm)
#
# Run as root: it creates the build user (with subuids) and, for arm64,
# registers qemu-aarch64 in binfmt_misc.  Or as a user that has subuids,
# when both are already in place.
#
# Time on this 2-core machine (2026-12-06, shared with other jobs; README,
# "Reproducible weights"): a chroot tarball about 50 s; dh-model with its
# tests 11 to 13 min (21 under heavy load), nocheck 2 to 4 min (lintian's
# install and run included); the example 1 to 4 min, 10 s of it training;
# the autopkgtest 1.5 to 3 min.  The tarballs are kept in the cache (below)
# and reused: make check-sbuild (bookworm and trixie nocheck, sid with its
# tests, lintian and the autopkgtest) took 31 min with them, under load.
#
# Environment:
#   SBUILD_CHECK   the suites whose dh-model build runs its tests (default:
#                  all given); the others build with nocheck.  "none": none.
#   SBUILD_LINTIAN the suites where lintian runs (default: sid, if given)
#   SBUILD_AUTOPKGTEST  the suites where the autopkgtest runs (same default)
#   SBUILD_AUTOPKGTEST_SKIP  tests of debian/tests not run (default:
#                  build-image-cnn, the full-size CNN training, 10 to 30 min
#                  here: it runs on Debian's CI and with make check-cnn;
#                  build-word-vectors, the full-size word vectors on
#                  dict-gcide, 3 to 12 min: Debian's CI and make
#                  check-word-vectors; "" runs them all)
#   SBUILD_ARM64   no (default) or yes: also build for arm64 under qemu (about
#                  40 min, most of it training under qemu; not in CI)
#   SBUILD_USER    the non-root user that runs mmdebstrap and sbuild
#                  (default: dhmodel-sbuild when run as root, created with
#                  subuids if needed; else the calling user)
#   SBUILD_MIRROR  mmdebstrap's mirror argument for the host's own suite,
#                  a deb822 .sources file (default: the host's Debian
#                  sources: /etc/apt/sources.list.d/debian.sources, else
#                  the first /etc/apt/sources.list.d/*.sources naming a
#                  debian URI, as mmdebstrap's 0000debian.sources, else the
#                  "deb" lines of /etc/apt/sources.list, the format of a
#                  fresh Debian 12 install, turned into deb822); for the
#                  other suites a copy with the suite names replaced is used
#   SBUILD_CACHE   where the chroot tarballs live (default: the build user's
#                  ~/.cache/sbuild, sbuild's own place); SUITE-ARCH.tar
#   SBUILD_FRESH   yes: make new chroot tarballs even if they exist
#   SBUILD_JOBS    parallel=N for the builds (default: nproc)
#   SBUILD_WORK    work directory (default build/repro/sbuild; run as
#                  root from a tree the build user cannot reach, such as
#                  one in /root: ~SBUILD_USER/dh-model-sbuild-work)
# Packages: sbuild mmdebstrap uidmap diffoscope-minimal, autopkgtest
# (SBUILD_AUTOPKGTEST), qemu-user-static and arch-test (arm64), and for the
# host build debhelper and dataset-fashion-mnist besides the tree's build
# dependencies (apt-get build-dep ./).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${SBUILD_WORK:-$TOP/build/repro/sbuild}
ARM64=${SBUILD_ARM64:-no}
MIRROR=${SBUILD_MIRROR:-}
JOBS=${SBUILD_JOBS:-$(nproc)}
PKG=fashion-mnist-classifier
SUITES=("$@")
[ ${#SUITES[@]} -gt 0 ] || SUITES=(bookworm)
CHECK=${SBUILD_CHECK:-${SUITES[*]}}
has_sid() { case " ${SUITES[*]} " in *" sid "*) echo sid ;; esac; }
LINTIAN=${SBUILD_LINTIAN-$(has_sid)}
AUTOPKGTEST=${SBUILD_AUTOPKGTEST-$(has_sid)}
declare -a AUTOPKGTEST_SKIP=()
for t in ${SBUILD_AUTOPKGTEST_SKIP-build-image-cnn build-word-vectors}; do AUTOPKGTEST_SKIP+=(--skip-test="$t"); done

declare -a TIMES=()
say() { printf '\n=== %s: %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { printf '\nsbuild.sh: error: %s\n' "$*" >&2; exit 1; }
in_list() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; } # WORD "LIST"
# timed LABEL CMD...: run, record the time, fail loudly
timed() {
	local label=$1 t0 rc
	shift
	say "$label"
	t0=$(date +%s)
	set +e
	"$@"
	rc=$?
	set -e
	TIMES+=("$(printf '%6d s  %s' $(($(date +%s) - t0)) "$label")")
	[ "$rc" -eq 0 ] || { report_times; die "$label failed (exit code $rc)"; }
}
# logged DIR LOG CMD...: run CMD in DIR, output in LOG; on failure show its end
logged() {
	local dir=$1 log=$2
	shift 2
	if ! (cd "$dir" && "$@") >"$log" 2>&1; then
		tail -60 "$log"
		echo "(the whole log: $log)"
		return 1
	fi
}
report_times() {
	echo
	echo "timings:"
	printf '  %s\n' "${TIMES[@]}"
}

for suite in "${SUITES[@]}"; do
	case $suite in
	bookworm | trixie | sid) ;;
	*) die "unknown suite '$suite' (bookworm, trixie or sid)" ;;
	esac
done

# ---- who builds -----------------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
	SUSER=${SBUILD_USER:-dhmodel-sbuild}
else
	SUSER=${SBUILD_USER:-$(id -un)}
	[ "$SUSER" = "$(id -un)" ] || die "as a non-root user, SBUILD_USER can only be yourself"
fi
[ "$SUSER" != root ] || die "sbuild must run as a non-root user"

say "checking the tools"
missing=()
for cmd in sbuild mmdebstrap newuidmap newgidmap dpkg-buildpackage dpkg-source diffoscope; do
	command -v "$cmd" >/dev/null || missing+=("$cmd")
done
[ -z "$AUTOPKGTEST" ] || command -v autopkgtest >/dev/null || missing+=(autopkgtest)
[ ${#missing[@]} -eq 0 ] ||
	die "missing: ${missing[*]} (apt-get install sbuild mmdebstrap uidmap diffoscope-minimal autopkgtest)"
if [ "$ARM64" = yes ]; then
	for cmd in qemu-aarch64-static arch-test; do
		command -v "$cmd" >/dev/null ||
			die "$cmd is missing (apt-get install qemu-user-static arch-test), or set SBUILD_ARM64=no"
	done
fi
dpkg-checkbuilddeps -Pnocheck "$TOP/debian/control" ||
	die "the tree's build dependencies are missing (apt-get build-dep ./)"
# host_sources: the host's Debian sources in deb822 (SBUILD_MIRROR above),
# a file name; a sources.list is named as it is, converted after $WORK exists.
host_sources() {
	local f
	for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] && grep -q '^URIs:.*/debian' "$f" && grep -q '^Suites:' "$f" && { echo "$f"; return; }
	done
	[ -r /etc/apt/sources.list ] && grep -q '^deb[[:space:]]' /etc/apt/sources.list && { echo /etc/apt/sources.list; return; }
	return 1
}
# list_to_deb822 FILE: the "deb URI SUITE COMPONENT..." lines of a
# sources.list as deb822 stanzas ([options] dropped; the archive keyring
# of mmdebstrap's own checks applies).
list_to_deb822() {
	sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$1" | awk '$1 == "deb" && NF >= 4 {
		printf "Types: deb\nURIs: %s\nSuites: %s\nComponents:", $2, $3
		for (i = 4; i <= NF; i++) printf " %s", $i
		printf "\n\n"
	}'
}
if [ -z "$MIRROR" ]; then
	MIRROR=$(host_sources) || die "no Debian sources in /etc/apt (set SBUILD_MIRROR to a deb822 .sources file)"
fi
[ -r "$MIRROR" ] || die "mirror argument $MIRROR is not readable"

run_user() { # run as the build user, in a clean environment
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$SUSER" -- env -i HOME="$UHOME" USER="$SUSER" LOGNAME="$SUSER" \
			PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin LANG=C.UTF-8 \
			DEB_BUILD_OPTIONS="${UDBO:-}" "$@"
	else
		env DEB_BUILD_OPTIONS="${UDBO:-}" "$@"
	fi
}

if ! id "$SUSER" >/dev/null 2>&1; then
	[ "$(id -u)" -eq 0 ] || die "user $SUSER does not exist"
	say "creating user $SUSER"
	useradd --create-home --shell /bin/bash --comment "dh-model sbuild tests" "$SUSER"
fi
UHOME=$(getent passwd "$SUSER" | cut -d: -f6)
for f in /etc/subuid /etc/subgid; do
	if ! grep -q "^$SUSER:" "$f" 2>/dev/null; then
		[ "$(id -u)" -eq 0 ] || die "$SUSER has no range in $f (ask root: usermod --add-subuids/--add-subgids)"
		# a range above every other one in the file
		start=$(awk -F: 'BEGIN { m = 100000 } { if ($2 + $3 > m) m = $2 + $3 } END { print m }' "$f" 2>/dev/null || echo 100000)
		if [ "$f" = /etc/subuid ]; then
			usermod --add-subuids "$start-$((start + 65535))" "$SUSER"
		else
			usermod --add-subgids "$start-$((start + 65535))" "$SUSER"
		fi
		echo "gave $SUSER $f range $start-$((start + 65535))"
	fi
done
echo "build user: $SUSER ($(grep "^$SUSER:" /etc/subuid | head -1), home $UHOME)"
CACHE=${SBUILD_CACHE:-$UHOME/.cache/sbuild}
# The build user reads the work directory (the .dsc, the mirror file): a
# tree in root's home (0700), as on a fresh machine set up as root, is out
# of its reach, so the work directory moves to the user's home.
if [ -z "${SBUILD_WORK:-}" ] && [ "$(id -u)" -eq 0 ] &&
	! runuser -u "$SUSER" -- test -x "$TOP" 2>/dev/null; then
	WORK=$UHOME/dh-model-sbuild-work
	echo "work directory: $WORK ($TOP is out of $SUSER's reach)"
fi
echo "suites: ${SUITES[*]}; with tests: ${CHECK:-none}; lintian: ${LINTIAN:-none}; autopkgtest: ${AUTOPKGTEST:-none}; arm64: $ARM64"

# ---- the work directory and the source packages --------------------------
say "preparing $WORK"
rm -rf "$WORK"
mkdir -p "$WORK"/{src,host,cmp}
if [ "$MIRROR" = /etc/apt/sources.list ]; then
	list_to_deb822 "$MIRROR" >"$WORK/mirror-host.sources"
	MIRROR=$WORK/mirror-host.sources
	echo "mirror: /etc/apt/sources.list as deb822, $MIRROR:"; cat "$MIRROR"
fi
# A copy of the working tree without build/ and .git: dpkg-source builds
# from the tree it is given.
tar -C "$TOP" --exclude=./build --exclude=./.git -cf - . | (mkdir -p "$WORK/src/dh-model" && tar -C "$WORK/src/dh-model" -xf -)
cp -a "$TOP/templates/$PKG" "$WORK/src/"
VERSION=$(dpkg-parsechangelog -l "$WORK/src/dh-model/debian/changelog" -S Version)
PVERSION=$(dpkg-parsechangelog -l "$WORK/src/$PKG/debian/changelog" -S Version)
(cd "$WORK/src" && dpkg-source -b dh-model >/dev/null && dpkg-source -b "$PKG" >/dev/null)
DSC_DHM=$WORK/src/dh-model_$VERSION.dsc
DSC_PKG=$WORK/src/${PKG}_$PVERSION.dsc
ls -l "$DSC_DHM" "$DSC_PKG"

# ---- the reference: plain dpkg-buildpackage on the host ------------------
# With the tree's dh-model, as "make demo" does (dh-sequence-model is not
# installed on the host, hence -d): this also shows that nothing of where
# dh-model lives reaches the outputs.
# (A snapshot of it in $WORK/tools, so that a "make clean" meanwhile does
# not pull the trainer away.)
timed "make (the tree's trainer, for the host build)" make -C "$TOP" --no-print-directory
mkdir -p "$WORK/tools/build"
cp -a "$TOP/dh-model" "$TOP/sequence" "$TOP/policy" "$WORK/tools/"
cp -a "$TOP/build/dh-model-train" "$WORK/tools/build/"
cp -a "$TOP/templates/$PKG" "$WORK/host/"
timed "host: dpkg-buildpackage -us -uc -b -d of $PKG (the tree's dh-model)" \
	logged "$WORK/host/$PKG" "$WORK/host/build.log" \
	env PATH="$WORK/tools/dh-model:$PATH" \
	PERL5LIB="$WORK/tools/sequence:$WORK/tools/dh-model/lib" \
	DH_MODEL_TRAIN="$WORK/tools/build/dh-model-train" DEB_BUILD_OPTIONS="parallel=$JOBS" \
	dpkg-buildpackage -us -uc -b -d
DEB_HOST=$WORK/host/${PKG}_${PVERSION}_all.deb
[ -f "$DEB_HOST" ] || die "no $DEB_HOST"
grep -E '^fashion-mlp: trained' "$WORK/host/build.log" || true

# ---- chroot tarballs ----------------------------------------------------
chown -R "$SUSER:" "$WORK"
run_user mkdir -p "$CACHE"
# mirror SUITE: print mmdebstrap's mirror argument for SUITE.  $MIRROR is
# for the suite named first in it (the host's); for another suite, a copy
# with that name replaced (bookworm-updates -> trixie-updates...), where sid
# has no -updates or -security suites.
mirror() {
	local suite=$1 base out=$WORK/mirror-$1.sources
	base=$(awk '/^Suites:/ { print $2; exit }' "$MIRROR")
	if [ "$suite" = "$base" ]; then
		echo "$MIRROR"
		return
	fi
	awk -v from="$base" -v to="$suite" 'BEGIN { RS = ""; ORS = "\n\n" }
	{
		n = split($0, line, "\n"); text = ""; keep = 1
		for (i = 1; i <= n; i++) {
			if (line[i] ~ /^Suites:/) {
				m = split(line[i], word, /[ \t]+/); s = "Suites:"; k = 0
				for (j = 2; j <= m; j++) {
					w = word[j]
					if (w == from) w = to
					else if (index(w, from "-") == 1) {
						if (to == "sid") continue
						w = to substr(w, length(from) + 1)
					}
					s = s " " w; k++
				}
				if (!k) keep = 0
				line[i] = s
			}
			text = text line[i] "\n"
		}
		if (keep) printf "%s\n", text
	}' "$MIRROR" >"$out"
	chmod 0644 "$out"
	echo "$out"
}
tarball() { # SUITE ARCH: make $CACHE/SUITE-ARCH.tar unless it exists
	local suite=$1 arch=$2 tb=$CACHE/$1-$2.tar mirror
	if [ -f "$tb" ] && [ "${SBUILD_FRESH:-no}" != yes ]; then
		echo "using the existing $tb ($(stat -c %y "$tb"); SBUILD_FRESH=yes makes a new one)"
		return
	fi
	mirror=$(mirror "$suite")
	echo "mirror for $suite: $mirror"
	sed 's/^/  /' "$mirror"
	# Acquire::Check-Valid-Until "false": the mirror here is a snapshot,
	# and sid's Release file can be past its Valid-Until date (30 days past
	# it when this was written); without this apt refuses the whole suite.
	# It stays in the chroot (/etc/apt/apt.conf.d/99mmdebstrap), where
	# sbuild and autopkgtest run apt-get update again.
	# (mmdebstrap chooses the format by the name's extension: .tar)
	run_user rm -f "$tb.new.tar"
	run_user mmdebstrap --mode=unshare --variant=buildd --arch="$arch" \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		"$suite" "$tb.new.tar" "$mirror" &&
		run_user mv "$tb.new.tar" "$tb"
}

SBUILD=(sbuild --chroot-mode=unshare --jobs="$JOBS" --no-run-piuparts
	--no-run-autopkgtest --no-source --nolog)
# lintian from the suite, inside its chroot, on the source and the .deb:
# every tag that lintian can show counts (exit 1 on any of them)
LINTIAN_OPTS=(--run-lintian
	--lintian-opts="--pedantic --display-info --display-experimental --fail-on=error,warning,info,pedantic,experimental")

# model_files DEB DIR: unpack; print the model files, one per line
model_files() {
	rm -rf "$2" && mkdir -p "$2" && dpkg-deb -x "$1" "$2"
	(cd "$2" && find . -type f \( -name '*.safetensors' -o -path '*/doc/*/models/*' \) | LC_ALL=C sort)
}
# compare_debs A_DEB B_DEB NAME: their hashes, and diffoscope's account of
# any difference (in $WORK/cmp/diffoscope-NAME.txt); a difference is
# reported, not fatal: the model files are what must agree (the .debs of
# other suites differ in their dpkg and debhelper, for one)
compare_debs() {
	local report=$WORK/cmp/diffoscope-$3.txt
	sha256sum "$1" "$2"
	if cmp -s "$1" "$2"; then
		echo "the two .debs are byte-identical"
	else
		echo "the .debs differ; diffoscope says (also in $report):"
		diffoscope --text "$report" --exclude-directory-metadata=no "$1" "$2" >/dev/null 2>&1 || true
		head -40 "$report"
	fi
}
# compare_models A_DEB B_DEB NAME: the model files must be identical
compare_models() {
	local a=$WORK/cmp/$3.a b=$WORK/cmp/$3.b fa fb f bad=0
	fa=$(model_files "$1" "$a")
	fb=$(model_files "$2" "$b")
	[ -n "$fa" ] || die "no model files in $1"
	[ "$fa" = "$fb" ] || { echo "different model file lists:"; diff <(echo "$fa") <(echo "$fb") || true; return 1; }
	for f in $fa; do
		if cmp -s "$a/$f" "$b/$f"; then
			echo "  identical  $(sha256sum < "$a/$f" | cut -c1-16)  $f"
		else
			echo "  DIFFERENT  $f"
			bad=1
		fi
		case $f in *.gz)
			if ! cmp -s <(zcat "$a/$f") <(zcat "$b/$f"); then
				echo "  DIFFERENT (uncompressed)  $f"
				diff <(zcat "$a/$f") <(zcat "$b/$f") | head -20 | sed 's/^/    /'
				bad=1
			fi ;;
		esac
	done
	return $bad
}
# warnings LOG: compiler warnings (file:line:col: warning:, and the
# linker's) and Python's (DeprecationWarning: ...) in a build log; none are
# expected.  (The trainer's and dh_*'s own "warning:" lines in the tests'
# output are the tests' business.)
warnings() {
	grep -nE '^[^ :]+:[0-9]+(:[0-9]+)?: warning: |^/usr/bin/ld: warning|[A-Za-z]+Warning: ' "$1" || true
}

# ---- each suite -----------------------------------------------------------
declare -A WEIGHTS=()
declare -a FAILED=()
for suite in "${SUITES[@]}"; do
	D=$WORK/$suite
	mkdir -p "$D"/{dh-model,example}
	chown -R "$SUSER:" "$D"
	timed "$suite: mmdebstrap amd64 tarball" tarball "$suite" amd64
	TB=$CACHE/$suite-amd64.tar

	extra=()
	if in_list "$suite" "$LINTIAN"; then extra=("${LINTIAN_OPTS[@]}"); else extra=(--no-run-lintian); fi
	if in_list "$suite" "$CHECK"; then
		UDBO=
		what="with its tests"
	else
		UDBO=nocheck
		what="nocheck"
		extra+=(--profiles=nocheck)
	fi
	# --dist is the .changes' Distribution: sid's is unstable, as in
	# debian/changelog (lintian: distribution-and-changes-mismatch)
	dist=$suite
	[ "$suite" != sid ] || dist=unstable
	timed "$suite: sbuild amd64 of dh-model $VERSION ($what)" \
		logged "$D/dh-model" "$D/dh-model/build.log" \
		run_user "${SBUILD[@]}" --dist="$dist" --arch=amd64 --arch-any --no-arch-all \
		--chroot="$TB" "${extra[@]}" "$DSC_DHM"
	UDBO=
	LOG=$D/dh-model/build.log
	DEB_DHM=$D/dh-model/dh-model_${VERSION}_amd64.deb
	[ -f "$DEB_DHM" ] || die "no $DEB_DHM"
	grep -E '^(Status|Lintian|Build-Time):' "$LOG" || true
	grep -E '^(Result|All tests successful|Files=)' "$LOG" || true
	dpkg-deb -I "$DEB_DHM" | grep -E '^ (Depends):'
	! dpkg-deb -I "$DEB_DHM" | grep -q libtar || die "$DEB_DHM depends on libtar"
	w=$(warnings "$LOG")
	if [ -n "$w" ]; then
		echo "warnings in $LOG:"
		echo "$w" | head -20
		FAILED+=("$suite: warnings in the dh-model build")
	else
		echo "no compiler or Python warnings in $LOG"
	fi
	if in_list "$suite" "$LINTIAN"; then
		sed -n '/^Running lintian/,/Lintian run/p' "$LOG"
		grep -q '^Lintian: pass$' "$LOG" || FAILED+=("$suite: lintian")
	fi

	timed "$suite: sbuild amd64 of $PKG with --extra-package $(basename "$DEB_DHM")" \
		logged "$D/example" "$D/example/build.log" \
		run_user "${SBUILD[@]}" --dist="$dist" --arch=amd64 --arch-all --no-run-lintian \
		--chroot="$TB" --extra-package="$DEB_DHM" "$DSC_PKG"
	DEB_SB=$D/example/${PKG}_${PVERSION}_all.deb
	[ -f "$DEB_SB" ] || die "no $DEB_SB"
	grep -E 'fashion-mlp: trained' "$D/example/build.log" || true
	model_files "$DEB_SB" "$WORK/cmp/$suite.x" >/dev/null
	WEIGHTS[$suite]=$(sha256sum <"$WORK/cmp/$suite.x/usr/share/$PKG/fashion-mlp.safetensors" | cut -d' ' -f1)
	say "$suite: model files, host dpkg-buildpackage vs sbuild $suite"
	compare_models "$DEB_HOST" "$DEB_SB" "$suite" || FAILED+=("$suite: the model files differ from the host build's")
	compare_debs "$DEB_HOST" "$DEB_SB" "$suite"

	if in_list "$suite" "$AUTOPKGTEST"; then
		# autopkgtest on the host, its testbed the same tarball unpacked by
		# autopkgtest-virt-unshare; the tarball has no apt lists
		timed "$suite: autopkgtest of dh-model (debian/tests) in the $suite chroot" \
			logged "$D" "$D/autopkgtest.log" \
			run_user autopkgtest --output-dir="$D/autopkgtest" \
			--setup-commands="apt-get update" "${AUTOPKGTEST_SKIP[@]}" \
			"$DEB_DHM" "$DSC_DHM" -- unshare --release "$suite" --arch amd64 --tarball "$TB"
		cat "$D/autopkgtest/summary"
	fi
done

say "the example's weights (usr/share/$PKG/fashion-mlp.safetensors)"
printf '  %s  host dpkg-buildpackage (%s)\n' "$(sha256sum <"$WORK/cmp/${SUITES[0]}.a/usr/share/$PKG/fashion-mlp.safetensors" | cut -d' ' -f1)" \
	"$(. /etc/os-release && echo "${VERSION_CODENAME:-host}")"
for suite in "${SUITES[@]}"; do
	printf '  %s  sbuild %s\n' "${WEIGHTS[$suite]}" "$suite"
done
[ "$(printf '%s\n' "${WEIGHTS[@]}" | sort -u | wc -l)" -eq 1 ] || FAILED+=("the suites' weights differ")

# ---- arm64 ------------------------------------------------------------------
if [ "$ARM64" != yes ]; then
	report_times
	[ ${#FAILED[@]} -eq 0 ] || { printf 'FAILED: %s\n' "${FAILED[@]}"; die "${#FAILED[@]} check(s) failed"; }
	echo "sbuild.sh: OK (${SUITES[*]}, amd64)"
	exit 0
fi
DIST=${SUITES[0]}
DEB_SB=$WORK/$DIST/example/${PKG}_${PVERSION}_all.deb
mkdir -p "$WORK"/{sbuild-arm64,dhmodel-arm64}
chown -R "$SUSER:" "$WORK"/{sbuild-arm64,dhmodel-arm64}

# sbuild runs arm64 programs inside the chroot, so the kernel must know
# qemu-aarch64 (binfmt_misc, with the F flag so that it works in a chroot).
REGISTERED_BY_US=
binfmt() {
	if ! [ -e /proc/sys/fs/binfmt_misc/register ]; then
		[ "$(id -u)" -eq 0 ] || die "binfmt_misc is not mounted (as root: mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc)"
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
	fi
	if ! [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
		[ "$(id -u)" -eq 0 ] || die "qemu-aarch64 is not registered in binfmt_misc"
		# the magic and mask of /usr/share/binfmts/qemu-aarch64; flags F (open
		# the interpreter now, so it works in chroots) and P (keep argv[0])
		printf '%s' ':qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/libexec/qemu-binfmt/aarch64-binfmt-P:FP' \
			>/proc/sys/fs/binfmt_misc/register
		REGISTERED_BY_US=yes
		echo "registered qemu-aarch64 in binfmt_misc (removed again at the end)"
	fi
	cat /proc/sys/fs/binfmt_misc/qemu-aarch64
	arch-test arm64
}
unregister() {
	if [ -n "$REGISTERED_BY_US" ] && [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
		echo -1 >/proc/sys/fs/binfmt_misc/qemu-aarch64 && echo "unregistered qemu-aarch64 from binfmt_misc"
	fi
}
trap unregister EXIT
timed "binfmt_misc: qemu-aarch64" binfmt
timed "$DIST: mmdebstrap arm64 tarball (under qemu)" tarball "$DIST" arm64

UDBO=nocheck
timed "$DIST: sbuild arm64 of dh-model $VERSION (under qemu, nocheck)" \
	logged "$WORK/dhmodel-arm64" "$WORK/dhmodel-arm64/build.log" \
	run_user "${SBUILD[@]}" --dist="$DIST" --arch=arm64 --arch-any --no-arch-all --profiles=nocheck \
	--no-run-lintian --chroot="$CACHE/$DIST-arm64.tar" "$DSC_DHM"
UDBO=
DEB_DHM_ARM64=$WORK/dhmodel-arm64/dh-model_${VERSION}_arm64.deb
[ -f "$DEB_DHM_ARM64" ] || die "no $DEB_DHM_ARM64"
dpkg-deb -I "$DEB_DHM_ARM64" | grep -E '^ (Architecture|Depends):'

timed "$DIST: sbuild arm64 of $PKG with --extra-package $(basename "$DEB_DHM_ARM64") (training under qemu)" \
	logged "$WORK/sbuild-arm64" "$WORK/sbuild-arm64/build.log" \
	run_user "${SBUILD[@]}" --dist="$DIST" --arch=arm64 --arch-all --no-run-lintian \
	--chroot="$CACHE/$DIST-arm64.tar" --extra-package="$DEB_DHM_ARM64" "$DSC_PKG"
DEB_SB64=$WORK/sbuild-arm64/${PKG}_${PVERSION}_all.deb
[ -f "$DEB_SB64" ] || die "no $DEB_SB64"
grep -E 'fashion-mlp: trained|^Build Architecture|^Host Architecture' "$WORK/sbuild-arm64/build.log" || true

say "model files: sbuild amd64 vs sbuild arm64"
compare_models "$DEB_SB" "$DEB_SB64" arm64 || FAILED+=("the arm64 model differs from the amd64 model")
say ".debs: sbuild amd64 vs sbuild arm64"
compare_debs "$DEB_SB" "$DEB_SB64" arm64
report_times
[ ${#FAILED[@]} -eq 0 ] || { printf 'FAILED: %s\n' "${FAILED[@]}"; die "${#FAILED[@]} check(s) failed"; }
echo "sbuild.sh: OK (${SUITES[*]}, amd64 and arm64)"
