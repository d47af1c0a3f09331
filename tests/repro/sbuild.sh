#!/bin/bash
# sbuild.sh - build the example package templates/fashion-mnist-classifier
# the way Debian's buildds do: sbuild --chroot-mode=unshare in a clean
# bookworm chroot made by mmdebstrap, as a non-root user, no network during
# the build, against a dh-model .deb built from this tree (--extra-package).
# Then compare with a plain dpkg-buildpackage on the host: the model files
# (weights, provenance, model card) must be byte-identical, and the .debs
# are compared as well (diffoscope explains any difference).  Then the same
# once for arm64 under qemu: dh-model is built for arm64 in an arm64 sbuild
# first, and the model must hash the same as on amd64.
#
#   tests/repro/sbuild.sh      (as root: it creates the build user and, for
#                               arm64, registers qemu-aarch64 in binfmt_misc;
#                               or as a user that has subuids, when both are
#                               already in place)
#
# Environment:
#   SBUILD_USER    the non-root user that runs mmdebstrap and sbuild
#                  (default: dhmodel-sbuild when run as root, created with
#                  subuids if needed; else the calling user)
#   SBUILD_ARM64   yes (default) or no: also build for arm64 under qemu
#   SBUILD_MIRROR  mmdebstrap's mirror argument (default: this machine's
#                  /etc/apt/sources.list.d/debian.sources)
#   SBUILD_FRESH   yes: make new chroot tarballs even if they exist (they
#                  live in the user's ~/.cache/sbuild/, sbuild's own place)
#   SBUILD_JOBS    parallel=N for the builds (default: nproc)
#   SBUILD_WORK    work directory (default build/repro/sbuild)
# Packages: sbuild mmdebstrap uidmap diffoscope-minimal qemu-user-static
# (arm64), arch-test (arm64), the tree's build dependencies (apt-get
# build-dep ./), debhelper and dataset-fashion-mnist (for the host build).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${SBUILD_WORK:-$TOP/build/repro/sbuild}
ARM64=${SBUILD_ARM64:-yes}
MIRROR=${SBUILD_MIRROR:-/etc/apt/sources.list.d/debian.sources}
JOBS=${SBUILD_JOBS:-$(nproc)}
PKG=fashion-mnist-classifier
DIST=bookworm

declare -a TIMES=()
say() { printf '\n=== %s: %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { printf '\nsbuild.sh: error: %s\n' "$*" >&2; exit 1; }
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
	[ "$rc" -eq 0 ] || die "$label failed (exit code $rc)"
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
[ ${#missing[@]} -eq 0 ] ||
	die "missing: ${missing[*]} (apt-get install sbuild mmdebstrap uidmap diffoscope-minimal)"
if [ "$ARM64" = yes ]; then
	for cmd in qemu-aarch64-static arch-test; do
		command -v "$cmd" >/dev/null ||
			die "$cmd is missing (apt-get install qemu-user-static arch-test), or set SBUILD_ARM64=no"
	done
fi
dpkg-checkbuilddeps -Pnocheck "$TOP/debian/control" ||
	die "the tree's build dependencies are missing (apt-get build-dep ./)"
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
echo "build user: $SUSER ($(grep "^$SUSER:" /etc/subuid), home $UHOME)"
CACHE=$UHOME/.cache/sbuild

# ---- the work directory and the source packages --------------------------
say "preparing $WORK"
rm -rf "$WORK"
mkdir -p "$WORK"/{src,host,deb-amd64,sbuild-amd64,sbuild-arm64,dhmodel-arm64,cmp}
# A copy of the working tree without build/ and .git: dpkg-buildpackage
# cleans (make clean) and builds in the tree it is given.
tar -C "$TOP" --exclude=./build --exclude=./.git -cf - . | (mkdir -p "$WORK/src/dh-model" && tar -C "$WORK/src/dh-model" -xf -)
cp -a "$TOP/templates/$PKG" "$WORK/src/"
VERSION=$(dpkg-parsechangelog -l "$WORK/src/dh-model/debian/changelog" -S Version)
PVERSION=$(dpkg-parsechangelog -l "$WORK/src/$PKG/debian/changelog" -S Version)
(cd "$WORK/src" && dpkg-source -b dh-model >/dev/null && dpkg-source -b "$PKG" >/dev/null)
DSC_DHM=$WORK/src/dh-model_$VERSION.dsc
DSC_PKG=$WORK/src/${PKG}_$PVERSION.dsc
ls -l "$DSC_DHM" "$DSC_PKG"

timed "dh-model $VERSION .deb for amd64 from the tree (dpkg-buildpackage -us -uc -b, nocheck: make check is a separate job)" \
	logged "$WORK/src/dh-model" "$WORK/deb-amd64/build.log" \
	env DEB_BUILD_OPTIONS="nocheck parallel=$JOBS" dpkg-buildpackage -us -uc -b -Pnocheck
mv "$WORK"/src/dh-model_"$VERSION"_*.deb "$WORK"/src/dh-model*_"$VERSION"_*.buildinfo \
	"$WORK"/src/dh-model_"$VERSION"_*.changes "$WORK/deb-amd64/" 2>/dev/null || true
DEB_DHM=$WORK/deb-amd64/dh-model_${VERSION}_amd64.deb
[ -f "$DEB_DHM" ] || die "no $DEB_DHM"
ls -l "$WORK"/deb-amd64/*.deb

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
tarball() { # ARCH: make $CACHE/$DIST-ARCH.tar unless it exists
	local arch=$1 tb=$CACHE/$DIST-$1.tar
	if [ -f "$tb" ] && [ "${SBUILD_FRESH:-no}" != yes ]; then
		echo "using the existing $tb ($(stat -c %y "$tb"); SBUILD_FRESH=yes makes a new one)"
		return
	fi
	# (mmdebstrap chooses the format by the name's extension: .tar)
	run_user rm -f "$tb.new.tar"
	run_user mmdebstrap --mode=unshare --variant=buildd --arch="$arch" \
		"$DIST" "$tb.new.tar" "$MIRROR" &&
		run_user mv "$tb.new.tar" "$tb"
}
timed "mmdebstrap $DIST amd64 tarball (mirror: $MIRROR)" tarball amd64

SBUILD=(sbuild --chroot-mode=unshare --dist="$DIST" --jobs="$JOBS"
	--no-run-lintian --no-run-piuparts --no-run-autopkgtest --no-source
	--nolog)

# ---- sbuild amd64 -------------------------------------------------------
timed "sbuild amd64 of $PKG with --extra-package $(basename "$DEB_DHM")" \
	logged "$WORK/sbuild-amd64" "$WORK/sbuild-amd64/build.log" \
	run_user "${SBUILD[@]}" --arch=amd64 --arch-all --chroot="$CACHE/$DIST-amd64.tar" \
	--extra-package="$DEB_DHM" "$DSC_PKG"
DEB_SB=$WORK/sbuild-amd64/${PKG}_${PVERSION}_all.deb
[ -f "$DEB_SB" ] || die "no $DEB_SB"
tail -25 "$WORK/sbuild-amd64/build.log" | grep -E '^(Status|Build-Time|Package-Time|Build Architecture|Host Architecture)|fashion-mlp: trained' || true
grep -E 'fashion-mlp: trained' "$WORK/sbuild-amd64/build.log" || true

# ---- comparison ---------------------------------------------------------
# model_files DEB DIR: unpack; print the model files, one per line
model_files() {
	rm -rf "$2" && mkdir -p "$2" && dpkg-deb -x "$1" "$2"
	(cd "$2" && find . -type f \( -name '*.safetensors' -o -path '*/doc/*/models/*' \) | LC_ALL=C sort)
}
# compare_debs A_DEB B_DEB NAME: their hashes, and diffoscope's account of
# any difference (in $WORK/cmp/diffoscope-NAME.txt); a difference is
# reported, not fatal: the model files are what must agree
compare_debs() {
	local report=$WORK/cmp/diffoscope-$3.txt
	sha256sum "$1" "$2"
	if cmp -s "$1" "$2"; then
		echo "the two .debs are byte-identical"
	else
		echo "the .debs differ; diffoscope says (also in $report):"
		diffoscope --text "$report" --exclude-directory-metadata=no "$1" "$2" >/dev/null 2>&1 || true
		head -80 "$report"
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

say "model files: host dpkg-buildpackage vs sbuild amd64"
compare_models "$DEB_HOST" "$DEB_SB" amd64 || die "the model files of the sbuild build differ from the host build's"

say ".debs: host dpkg-buildpackage vs sbuild amd64"
compare_debs "$DEB_HOST" "$DEB_SB" amd64

# ---- arm64 ------------------------------------------------------------------
if [ "$ARM64" != yes ]; then
	say "arm64 skipped (SBUILD_ARM64=$ARM64)"
	report_times
	echo "sbuild.sh: OK (amd64)"
	exit 0
fi

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
timed "mmdebstrap $DIST arm64 tarball (under qemu)" tarball arm64

UDBO=nocheck
timed "sbuild arm64 of dh-model $VERSION (under qemu, nocheck)" \
	logged "$WORK/dhmodel-arm64" "$WORK/dhmodel-arm64/build.log" \
	run_user "${SBUILD[@]}" --arch=arm64 --no-arch-all --profiles=nocheck \
	--chroot="$CACHE/$DIST-arm64.tar" "$DSC_DHM"
UDBO=
DEB_DHM_ARM64=$WORK/dhmodel-arm64/dh-model_${VERSION}_arm64.deb
[ -f "$DEB_DHM_ARM64" ] || die "no $DEB_DHM_ARM64"
dpkg-deb -I "$DEB_DHM_ARM64" | grep -E '^ (Architecture|Depends):'

timed "sbuild arm64 of $PKG with --extra-package $(basename "$DEB_DHM_ARM64") (training under qemu)" \
	logged "$WORK/sbuild-arm64" "$WORK/sbuild-arm64/build.log" \
	run_user "${SBUILD[@]}" --arch=arm64 --arch-all --chroot="$CACHE/$DIST-arm64.tar" \
	--extra-package="$DEB_DHM_ARM64" "$DSC_PKG"
DEB_SB64=$WORK/sbuild-arm64/${PKG}_${PVERSION}_all.deb
[ -f "$DEB_SB64" ] || die "no $DEB_SB64"
grep -E 'fashion-mlp: trained|^Build Architecture|^Host Architecture' "$WORK/sbuild-arm64/build.log" || true

say "model files: sbuild amd64 vs sbuild arm64"
compare_models "$DEB_SB" "$DEB_SB64" arm64 || die "the arm64 model differs from the amd64 model"
say ".debs: sbuild amd64 vs sbuild arm64"
compare_debs "$DEB_SB" "$DEB_SB64" arm64
report_times
echo "sbuild.sh: OK (amd64 and arm64)"
