#!/bin/bash
# run-cross.sh - bit-identical weights across builds, CPUs, thread counts
# and architectures (TAP; runs under prove).
#
# Builds tests/cross/driver.c with trainer/base, trainer/math and
# trainer/model only (gemm.c with -DDM_NO_OPENBLAS: no OpenBLAS, no
# libarchive), with the Makefile's NUMERICS_FLAGS, and compares the SHA-256
# of the trained weights ("hash ..." lines) of every variant with those of
# the native -O2 build with one thread:
#   native: repeated run; threads 2, 3, 8; the generic kernel forced
#           (DH_MODEL_KERNEL=generic), and each vector kernel the CPU has
#           (avx2-fma, avx512); -O0 (noopt); -O3; clang if present;
#           amd64 without AVX2/FMA (qemu-x86_64 -cpu Nehalem: generic
#           kernel and glibc's software fmaf)
#   cross:  arm64, ppc64el, s390x and i386 (x87, Debian's baseline: the
#           test checks that the code has no SSE), with Debian's cross
#           compilers under qemu-user-static, called explicitly with -L
#           (binfmt_misc is not needed); i386 also on a CPU without FMA or
#           SSE at all (-cpu pentium2), and with -msse2 -mfpmath=sse.
# qemu also gets LD_LIBRARY_PATH=/usr/TRIPLET/lib: with -L alone the cross
# ld.so reads the host's /etc/ld.so.cache, which can name a libc of another
# build for the same architecture (libc6-i386's /lib32/libc.so.6, or a
# multiarch libc6:arm64); that pair hangs in pthread_create.
# A missing compiler or qemu gives "ok N # skip <why>".
#
#   tests/cross/run-cross.sh            (or: prove tests/cross/run-cross.sh)
# Environment: CC (native compiler, default cc), CFLAGS (default -O2 -g),
#   CROSS_TRAINER (the trainer sources to build, default trainer; to try a
#   patch on a copy),
#   CROSS_BUILD_DIR (default build/cross), CROSS_THREADS (thread counts each
#   emulated architecture also runs with, default "3"), CROSS_ALL (1: also
#   the variants that only repeat what others show, -O0, -O3, clang and
#   i386 on a pentium2; make check-all sets it, make check does not, to
#   stay well under its 10 minutes).
# Packages: qemu-user-static gcc-aarch64-linux-gnu gcc-powerpc64le-linux-gnu
#   gcc-s390x-linux-gnu gcc-i686-linux-gnu libc6-dev-arm64-cross
#   libc6-dev-ppc64el-cross libc6-dev-s390x-cross libc6-dev-i386-cross
#   binutils-i686-linux-gnu (objdump, comes with the compiler)
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
OUT=${CROSS_BUILD_DIR:-$TOP/build/cross}
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2 -g}
CROSS_THREADS=${CROSS_THREADS:-3}
TR=${CROSS_TRAINER:-trainer}
# not base/sha256.c: libmd is not there for the cross compilers (the
# driver prints bytes, which hash_bytes below hashes; sha256_stub.c says more)
SRC=(tests/cross/driver.c tests/cross/sha256_stub.c $(ls "$TR"/base/*.c | grep -v '/sha256\.c$')
	"$TR"/math/*.c "$TR"/model/*.c "$TR"/model/layers/*.c)
CPPFLAGS_ALL=(-D_GNU_SOURCE -DDM_NO_OPENBLAS "-I$TR")
WARN=(-Wall -Wextra)

rm -rf "$OUT"
mkdir -p "$OUT" || exit 1

n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $*"
	echo "#   Failed test $n: $*" >&2 # prove shows stderr
}
skip() { n=$((n + 1)); echo "ok $n # skip $*"; }
diag() { sed 's/^/# /' "$@"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# The Makefile's NUMERICS_FLAGS for compiler $1: the one place they are
# defined (it leaves out -fexcess-precision=standard for clang).
# shellcheck disable=SC2016 # $(NUMERICS_FLAGS) is for make, not the shell
numerics_flags() {
	local f
	# without the calling make's MAKEFLAGS (dh's "w" would add "Entering
	# directory" lines to the output)
	f=$(printf 'print-numerics-flags:\n\t@echo $(NUMERICS_FLAGS)\n' |
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -s --no-print-directory -f Makefile -f - CC="$1" \
			print-numerics-flags 2>/dev/null) || return 1
	case " $f " in
	*" -ffp-contract=off "*) echo "$f" ;;
	*) return 1 ;;
	esac
}

# build NAME COMPILER [FLAGS...]: $OUT/NAME, log in $OUT/NAME.build
build() {
	local name=$1 cc=$2 nf
	shift 2
	nf=$(numerics_flags "$cc") || {
		echo "cannot get NUMERICS_FLAGS from the Makefile for $cc" >"$OUT/$name.build"
		return 1
	}
	# shellcheck disable=SC2086 # CFLAGS and NUMERICS_FLAGS are word lists
	echo "$cc ${CPPFLAGS_ALL[*]} $CFLAGS $* $nf -o $OUT/$name ..." >"$OUT/$name.build"
	# shellcheck disable=SC2086
	"$cc" "${CPPFLAGS_ALL[@]}" $CFLAGS "$@" $nf "${WARN[@]}" -o "$OUT/$name" \
		"${SRC[@]}" -lm -lpthread >>"$OUT/$name.build" 2>&1
}

# The driver's "bytes NAME HEX" lines as "hash NAME SHA256", and its "end"
# as "hash all SHA256" over the bytes of every case (not the data's).
hash_bytes() {
	perl -MDigest::SHA=sha256_hex -ne '
		if (/^bytes (\S+) ([0-9a-f]*)$/) {
			my $b = pack("H*", $2);
			$all .= $b if $1 ne "data";
			print "hash $1 ", sha256_hex($b), "\n";
		} elsif (/^end$/) {
			print "hash all ", sha256_hex($all // ""), "\n";
		} else {
			print;
		}'
}

# run NAME OUTFILE [RUNNER...] -- [DRIVER ARGS...]: the hash lines in OUTFILE
run() {
	local name=$1 out=$2 runner=() rc=0
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		runner+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	"${runner[@]}" "$OUT/$name" "$@" 2>&1 | hash_bytes >"$out.full"
	rc=${PIPESTATUS[0]}
	if [ "$rc" != 0 ]; then
		echo "exit code $rc from ${runner[*]} $OUT/$name $*" >>"$out.full"
		return 1
	fi
	grep '^hash ' "$out.full" >"$out"
}

# same LABEL FILE: compare with the reference; print ok/not ok
same() {
	local label=$1 file=$2
	if [ ! -s "$REF" ]; then
		notok "$label (no reference hashes: the native build failed)"
	elif cmp -s "$REF" "$file"; then
		ok "$label"
	else
		notok "$label: the weights differ from native -O2, 1 thread"
		diff -u "$REF" "$file" | diag
	fi
}

# variant LABEL NAME [RUNNER... --] DRIVER ARGS: run and compare
variant() {
	local label=$1 name=$2 out
	shift 2
	out="$OUT/$name.$(echo "$label" | tr -c 'a-zA-Z0-9\n' _).hashes"
	LAST_OUT=$out
	if run "$name" "$out" "$@"; then
		same "$label" "$out"
	else
		notok "$label: the driver failed"
		diag "$out.full"
	fi
}

# --- native reference --------------------------------------------------
REF=$OUT/reference.hashes
echo "# native: $($CC --version | head -1), $(uname -m)"
t0=$(now)
if build native "$CC" && run native "$REF" -- --threads 1; then
	grep -q '^hash all ' "$REF" || echo "missing 'hash all' line" >>"$REF.full"
fi
if grep -q '^hash all ' "$REF" 2>/dev/null; then
	ok "native -O2, 1 thread: the reference (build and run $(since "$t0") s)"
	diag "$REF.full"
else
	notok "native -O2 build and run"
	diag "$OUT/native.build" "$REF.full" 2>/dev/null
	rm -f "$REF"
fi

variant "native: a second run" native -- --threads 1
for t in 2 3 8; do
	variant "native: $t threads" native -- --threads "$t"
done
variant "native: DH_MODEL_KERNEL=generic, 1 thread" native env DH_MODEL_KERNEL=generic -- --threads 1
variant "native: DH_MODEL_KERNEL=generic, 3 threads" native env DH_MODEL_KERNEL=generic -- --threads 3
# each vector kernel this CPU has, forced (auto takes the widest)
cpu_flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
for k in avx2-fma avx512; do
	case $k in
	avx2-fma) need="avx2 fma" ;;
	avx512) need="avx512f" ;;
	esac
	have=1
	for f in $need; do
		case $cpu_flags in *" $f "*) ;; *) have=0 ;; esac
	done
	if [ $have = 1 ]; then
		variant "native: DH_MODEL_KERNEL=$k, 3 threads" native env DH_MODEL_KERNEL=$k -- --threads 3
	else
		skip "native: DH_MODEL_KERNEL=$k: this CPU has no $need"
	fi
done

# native_opt LABEL NAME COMPILER FLAGS...
native_opt() {
	local label=$1 name=$2 cc=$3 t0
	shift 3
	t0=$(now)
	if build "$name" "$cc" "$@"; then
		variant "$label" "$name" -- --threads 2
		echo "# $label: $(since "$t0") s"
	else
		notok "$label: build failed"
		diag "$OUT/$name.build"
	fi
}
CFLAGS_SAVED=$CFLAGS
if [ "${CROSS_ALL:-0}" != 1 ]; then
	skip "native -O0 and -O3: only with CROSS_ALL=1 (make check-all)"
else
	CFLAGS="-O0 -g" native_opt "native -O0 (noopt)" native-O0 "$CC"
	CFLAGS="-O3 -g" native_opt "native -O3" native-O3 "$CC"
fi
CFLAGS=$CFLAGS_SAVED
if [ "${CROSS_ALL:-0}" != 1 ]; then
	skip "native clang: only with CROSS_ALL=1 (make check-all)"
elif command -v clang >/dev/null; then
	native_opt "native clang -O2 ($(clang --version | head -1))" native-clang clang
else
	skip "native clang: clang is not installed"
fi

# amd64 without AVX2 and FMA: the generic kernel and libm's software fmaf
if [ "$(uname -m)" != x86_64 ]; then
	skip "amd64 without FMA: the host is not x86-64"
elif ! command -v qemu-x86_64-static >/dev/null; then
	skip "amd64 without FMA: qemu-x86_64-static missing (apt-get install qemu-user-static)"
else
	t0=$(now)
	variant "amd64 on a CPU without AVX2/FMA (qemu-x86_64-static -cpu Nehalem)" native \
		qemu-x86_64-static -cpu Nehalem -- --threads 2
	grep -q '^# kernel generic' "$LAST_OUT.full" ||
		echo "# warning: the Nehalem run did not use the generic kernel"
	echo "# amd64 -cpu Nehalem: $(since "$t0") s"
fi

# --- cross ---------------------------------------------------------------
# cross LABEL TRIPLET QEMU [QEMU OPTIONS...] -- [EXTRA CFLAGS...]
# Runs with 1 thread and with each of $THREADS (default $CROSS_THREADS).
declare -A BUILT
cross() {
	local label=$1 triplet=$2 qemu=$3 qopts=() cc name t0 tb tr t ok_all=1 out
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		qopts+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	cc=$triplet-gcc
	name=$(echo "$label" | tr -c 'a-zA-Z0-9\n' _)
	if ! command -v "$cc" >/dev/null; then
		skip "$label: $cc missing (apt-get install gcc-$triplet and its libc6-dev-*-cross)"
		return
	fi
	if ! command -v "$qemu" >/dev/null; then
		skip "$label: $qemu missing (apt-get install qemu-user-static)"
		return
	fi
	if [ ! -d "/usr/$triplet/lib" ]; then
		skip "$label: /usr/$triplet/lib missing (the libc6-*-cross package)"
		return
	fi
	t0=$(now)
	if ! build "$name" "$cc" "$@"; then
		notok "$label: cross build failed"
		diag "$OUT/$name.build"
		return
	fi
	BUILT[$label]=$name
	tb=$(since "$t0")
	t0=$(now)
	for t in 1 ${THREADS-$CROSS_THREADS}; do
		out="$OUT/$name.t$t.hashes"
		if ! run "$name" "$out" "$qemu" "${qopts[@]}" -L "/usr/$triplet" \
			-E "LD_LIBRARY_PATH=/usr/$triplet/lib" -- --threads "$t"; then
			notok "$label, $t threads: the driver failed under $qemu"
			diag "$out.full"
			return
		fi
		if ! cmp -s "$REF" "$out"; then
			ok_all=0
			echo "# $label, $t threads: differs from native"
			diff -u "$REF" "$out" | diag
		fi
	done
	tr=$(since "$t0")
	if [ ! -s "$REF" ]; then
		notok "$label (no reference hashes: the native build failed)"
	elif [ $ok_all = 1 ]; then
		ok "$label: same weights as native (threads 1 ${THREADS-$CROSS_THREADS}; build $tb s, run $tr s)"
	else
		notok "$label: the weights differ from native (build $tb s, run $tr s)"
	fi
	diag "$OUT/$name.t1.hashes.full"
}

cross "arm64 (aarch64-linux-gnu)" aarch64-linux-gnu qemu-aarch64-static
cross "ppc64el (powerpc64le-linux-gnu)" powerpc64le-linux-gnu qemu-ppc64le-static
cross "s390x (s390x-linux-gnu, big-endian)" s390x-linux-gnu qemu-s390x-static

# i386 as Debian builds it: the compiler's defaults (-march=i686
# -mfpmath=387), so every float operation runs on the x87.
I386="i386 x87 (i686-linux-gnu, default flags)"
cross "$I386" i686-linux-gnu qemu-i386-static
if [ -n "${BUILT[$I386]:-}" ]; then
	bin=$OUT/${BUILT[$I386]}
	dis=$OUT/i386.objdump
	i686-linux-gnu-objdump -d --no-show-raw-insn "$bin" >"$dis" 2>&1
	defs=$(i686-linux-gnu-gcc -dM -E - </dev/null)
	xmm=$(grep -c '%xmm\|%ymm' "$dis")
	x87=$(grep -cE '\s(fld|fstp|fadd|fmul|fdiv|fsub)[a-z]*\s' "$dis")
	if echo "$defs" | grep -q '__SSE2\?__' || ! echo "$defs" | grep -q '__FLT_EVAL_METHOD__ 2$'; then
		notok "i386 build uses x87: the compiler's defaults enable SSE"
		echo "$defs" | grep -E 'SSE|FLT_EVAL' | diag
	elif [ "$xmm" -ne 0 ] || [ "$x87" -eq 0 ]; then
		notok "i386 build uses x87: $xmm instructions use SSE registers, $x87 are x87 arithmetic"
		grep '%xmm\|%ymm' "$dis" | head -20 | diag
	else
		ok "i386 build uses x87: no SSE macro, FLT_EVAL_METHOD 2, no %xmm in $(grep -c . "$dis") lines of code, $x87 x87 loads/stores/arithmetic"
	fi
else
	skip "i386 build uses x87: no i386 build"
fi
# The same binary on a CPU with neither SSE nor FMA: glibc's i386 fmaf
# then takes its x87 software path (qemu's default CPU has FMA).
if [ "${CROSS_ALL:-0}" = 1 ]; then
	THREADS="" cross "i386 x87 on a CPU without SSE or FMA (qemu -cpu pentium2)" i686-linux-gnu qemu-i386-static -cpu pentium2
else
	skip "i386 x87 on a pentium2: only with CROSS_ALL=1 (make check-all)"
fi
THREADS="" cross "i386 with -msse2 -mfpmath=sse" i686-linux-gnu qemu-i386-static -- -msse2 -mfpmath=sse

echo "1..$n"
echo "# artifacts in $OUT"
[ "$failed" -eq 0 ]
