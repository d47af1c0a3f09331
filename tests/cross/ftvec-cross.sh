#!/bin/bash
# ftvec-cross.sh - word vectors on other architectures (TAP, under prove).
#
# tests/cross/ftvec_driver.c trains skipgram and cbow (with character
# n-grams, sub-sampling, window shrinking and the negative table) with 1
# and 3 threads, built natively and with Debian's cross compilers (arm64,
# ppc64el, s390x: big-endian, i386: x87) and run under qemu-user-static:
# every .bin and .vec must be the same bytes as the native one-thread
# build's.  A missing compiler or qemu gives "ok N # skip <why>".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
OUT=${CROSS_BUILD_DIR:-$TOP/build/cross}-ftvec
rm -rf "$OUT"
mkdir -p "$OUT" || exit 1
SRC=(tests/cross/ftvec_driver.c trainer/fasttext/vectors.c trainer/fasttext/vec.c trainer/fasttext/rows.c
	trainer/fasttext/ftbin.c trainer/fasttext/train.c trainer/text/token.c trainer/text/ngram.c
	trainer/text/dict.c trainer/text/dict_sort.c trainer/base/error.c trainer/base/file.c
	trainer/base/text.c tests/cross/sha256_stub.c trainer/output/atomic.c trainer/os/cleanup.c trainer/math/pool.c
	trainer/math/rng.c trainer/math/fmath.c)   # sha256_stub.c: no libmd for the cross compilers
FLAGS=(-std=c11 -D_GNU_SOURCE -Itrainer -O2 -ffp-contract=off -fno-fast-math -fno-math-errno
	-fexcess-precision=standard -Wall -Wextra)
MODELS=(skipgram cbow)
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $*"
	echo "#   Failed test $n: $*" >&2
}
skip() { n=$((n + 1)); echo "ok $n # skip $*"; }

for i in $(seq 1 60); do
	echo "apple pear plum fig caf$(printf '\xc3\xa9') grape x$((i % 9)) the apple"
	echo "bus tram car bike train the bus ferry y$((i % 5))"
	echo "rain fog snow sun wind the hail $(printf '\xff') rain"
done >"$OUT/text.txt"
if cc "${FLAGS[@]}" -o "$OUT/native" "${SRC[@]}" -lm -lpthread >"$OUT/native.build" 2>&1; then
	for m in "${MODELS[@]}"; do
		"$OUT/native" "$OUT/text.txt" "$OUT/$m-native" $m 1 &&
			"$OUT/native" "$OUT/text.txt" "$OUT/$m-native-3" $m 3 &&
			cmp -s "$OUT/$m-native.bin" "$OUT/$m-native-3.bin" &&
			cmp -s "$OUT/$m-native.vec" "$OUT/$m-native-3.vec" &&
			ok "native: $m: 1 and 3 threads give the same .bin and .vec ($(sha256sum <"$OUT/$m-native.bin" | cut -c1-16))" ||
			notok "native: $m with 1 and 3 threads"
	done
else
	notok "native build of ftvec_driver"
	sed 's/^/# /' "$OUT/native.build"
	echo "1..$n"
	exit 1
fi
for arch in aarch64:arm64:aarch64 powerpc64le:ppc64el:ppc64le s390x:s390x:s390x i686:i386:i386; do
	IFS=: read -r triplet name qemu <<<"$arch"
	cc=$triplet-linux-gnu-gcc
	if ! command -v "$cc" >/dev/null; then
		skip "$name: $cc not found"
		continue
	fi
	if ! command -v "qemu-$qemu-static" >/dev/null; then
		skip "$name: qemu-$qemu-static not found"
		continue
	fi
	if ! "$cc" "${FLAGS[@]}" -o "$OUT/$name" "${SRC[@]}" -lm -lpthread >"$OUT/$name.build" 2>&1; then
		notok "$name: build of ftvec_driver"
		sed 's/^/# /' "$OUT/$name.build"
		continue
	fi
	for m in "${MODELS[@]}"; do
		for t in 1 3; do
			LD_LIBRARY_PATH=/usr/$triplet-linux-gnu/lib "qemu-$qemu-static" -L "/usr/$triplet-linux-gnu" \
				"$OUT/$name" "$OUT/text.txt" "$OUT/$m-$name-$t" $m $t
		done
		if cmp -s "$OUT/$m-native.bin" "$OUT/$m-$name-1.bin" && cmp -s "$OUT/$m-native.bin" "$OUT/$m-$name-3.bin" &&
			cmp -s "$OUT/$m-native.vec" "$OUT/$m-$name-1.vec" && cmp -s "$OUT/$m-native.vec" "$OUT/$m-$name-3.vec"; then
			ok "$name: $m with 1 and 3 threads: the same .bin and .vec as amd64"
		else
			notok "$name: $m: not the .bin/.vec of amd64 ($(sha256sum "$OUT/$m-$name-1.bin" "$OUT/$m-$name-3.bin" 2>&1 | cut -c1-16 | tr '\n' ' '))"
		fi
	done
done
echo "1..$n"
[ $failed = 0 ]
