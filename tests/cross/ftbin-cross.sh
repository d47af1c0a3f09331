#!/bin/bash
# ftbin-cross.sh - fastText's .bin on other architectures (TAP, under prove).
#
# tests/cross/ftbin_driver.c, built natively and with Debian's cross
# compilers (arm64, ppc64el, s390x: big-endian, i386: x87) and run under
# qemu-user-static, reads .bin files written little-endian on this machine
# (by Debian's fasttext when it is installed, else the fuzz seeds), must
# write each back to the same bytes, and must print the same labels on
# every line as the native build, with scores within 1e-6: libm's exp and
# log are not the same bits on every architecture (hs, which sums the log
# of each node's sigmoid, differs in the last bits on s390x and i386;
# fastText built there differs the same way).  tests/cross/fttrain_driver.c
# trains our supervised model (softmax, ns, hs, ova; word and character
# n-grams) with 1 and 3 threads on each architecture: every .bin must be
# the same bytes as the native one-thread build's.  A missing compiler or
# qemu gives "ok N # skip <why>".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
# its own directory: run-cross.sh empties CROSS_BUILD_DIR, maybe at the same time
OUT=${CROSS_BUILD_DIR:-$TOP/build/cross}-ftbin
rm -rf "$OUT"
mkdir -p "$OUT" || exit 1
LIB=(trainer/fasttext/ftbin.c trainer/fasttext/ftpredict.c trainer/text/token.c trainer/text/ngram.c
	trainer/text/dict.c trainer/text/dict_sort.c trainer/base/error.c trainer/base/file.c
	trainer/base/text.c trainer/output/atomic.c trainer/os/cleanup.c
	tests/cross/sha256_stub.c)   # not base/sha256.c: no libmd for the cross compilers
SRC=(tests/cross/ftbin_driver.c "${LIB[@]}")
TRAIN_SRC=(tests/cross/fttrain_driver.c trainer/fasttext/train.c trainer/fasttext/rows.c trainer/math/pool.c trainer/math/rng.c
	trainer/math/fmath.c "${LIB[@]}")
LOSSES=(softmax ns hs ova)
FLAGS=(-std=c11 -D_GNU_SOURCE -Itrainer -O2 -ffp-contract=off -fno-fast-math -fno-math-errno
	-fexcess-precision=standard -Wall -Wextra)
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
# close A B: the same lines, words equal, numbers within 1e-6
close() {
	paste -d '\n' "$1" "$2" | awk 'NR % 2 { a = $0; next }
		{ na = split(a, x, " "); nb = split($0, y, " "); if (na != nb) exit 1
		  for (i = 1; i <= na; i++)
			if (x[i] ~ /^-?[0-9]/) { d = x[i] - y[i]; if (d > 1e-6 || d < -1e-6) exit 1 }
			else if (x[i] != y[i]) exit 1 }' &&
		[ "$(wc -l <"$1")" = "$(wc -l <"$2")" ]
}

# the models and a text with awkward lines
printf 'apple pear caf\xc3\xa9\nbus tram \xff x\n\n</s> rain fog\nfig' >"$OUT/text.txt"
models=()
if command -v fasttext >/dev/null; then
	for i in $(seq 1 40); do
		echo "__label__fruit apple pear plum fig caf$(printf '\xc3\xa9')"
		echo "__label__bus bus tram car bike"
		echo "__label__sky rain fog snow sun"
	done >"$OUT/train.txt"
	for loss in softmax hs ova; do
		fasttext supervised -input "$OUT/train.txt" -output "$OUT/$loss" -loss $loss -dim 6 \
			-epoch 3 -thread 1 -wordNgrams 2 -minn 2 -maxn 4 -bucket 200 >/dev/null 2>&1 &&
			models+=("$OUT/$loss.bin")
	done
fi
[ ${#models[@]} -gt 0 ] || models=(tests/fuzz/corpus/ftbin/seed-supervised tests/fuzz/corpus/ftbin/seed-bigrams)

for i in $(seq 1 30); do
	echo "__label__fruit apple pear plum fig caf$(printf '\xc3\xa9') x$i"
	echo "__label__bus __label__fruit bus tram car bike apple"
	echo "__label__sky rain fog snow sun y$((i % 7))"
	echo "__label__sea wave sand tide sun"
done >"$OUT/fttrain.txt"
if cc "${FLAGS[@]}" -o "$OUT/native-train" "${TRAIN_SRC[@]}" -lm -lpthread >"$OUT/native-train.build" 2>&1; then
	for loss in "${LOSSES[@]}"; do
		"$OUT/native-train" "$OUT/fttrain.txt" "$OUT/$loss-native.bin" $loss 1 &&
			"$OUT/native-train" "$OUT/fttrain.txt" "$OUT/$loss-native-3.bin" $loss 3 &&
			cmp -s "$OUT/$loss-native.bin" "$OUT/$loss-native-3.bin" &&
			ok "native: trained $loss: 1 and 3 threads give the same .bin ($(sha256sum <"$OUT/$loss-native.bin" | cut -c1-16))" ||
			notok "native: trained $loss with 1 and 3 threads"
	done
else
	notok "native build of fttrain_driver"
	sed 's/^/# /' "$OUT/native-train.build"
fi
if ! cc "${FLAGS[@]}" -o "$OUT/native" "${SRC[@]}" -lm >"$OUT/native.build" 2>&1; then
	notok "native build"
	sed 's/^/# /' "$OUT/native.build"
	echo "1..$n"
	exit 1
fi
for m in "${models[@]}"; do
	"$OUT/native" "$m" "$OUT/text.txt" >"$OUT/$(basename "$m").native" 2>&1
	if grep -q '^written back: the same bytes$' "$OUT/$(basename "$m").native"; then
		ok "native: $(basename "$m") written back to the same bytes"
	else
		notok "native: $(basename "$m")"
		sed 's/^/# /' "$OUT/$(basename "$m").native"
	fi
done

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
	if ! "$cc" "${FLAGS[@]}" -o "$OUT/$name" "${SRC[@]}" -lm >"$OUT/$name.build" 2>&1; then
		notok "$name: build"
		sed 's/^/# /' "$OUT/$name.build"
		continue
	fi
	if "$cc" "${FLAGS[@]}" -o "$OUT/$name-train" "${TRAIN_SRC[@]}" -lm -lpthread >"$OUT/$name-train.build" 2>&1; then
		for loss in "${LOSSES[@]}"; do
			for t in 1 3; do
				LD_LIBRARY_PATH=/usr/$triplet-linux-gnu/lib "qemu-$qemu-static" -L "/usr/$triplet-linux-gnu" \
					"$OUT/$name-train" "$OUT/fttrain.txt" "$OUT/$loss-$name-$t.bin" $loss $t
			done
			if cmp -s "$OUT/$loss-native.bin" "$OUT/$loss-$name-1.bin" &&
				cmp -s "$OUT/$loss-native.bin" "$OUT/$loss-$name-3.bin"; then
				ok "$name: trained $loss with 1 and 3 threads: the same .bin as amd64"
			else
				notok "$name: trained $loss: not the .bin of amd64 ($(sha256sum "$OUT/$loss-$name-1.bin" "$OUT/$loss-$name-3.bin" 2>&1 | cut -c1-16 | tr '\n' ' '))"
			fi
		done
	else
		notok "$name: build of fttrain_driver"
		sed 's/^/# /' "$OUT/$name-train.build"
	fi
	for m in "${models[@]}"; do
		b=$(basename "$m")
		LD_LIBRARY_PATH=/usr/$triplet-linux-gnu/lib "qemu-$qemu-static" -L "/usr/$triplet-linux-gnu" \
			"$OUT/$name" "$m" "$OUT/text.txt" >"$OUT/$b.$name" 2>&1
		if close "$OUT/$b.native" "$OUT/$b.$name"; then
			ok "$name: $b written back to the same bytes, the same labels and scores on $(($(wc -l <"$OUT/$b.native") - 1)) lines ($(cmp -s "$OUT/$b.native" "$OUT/$b.$name" && echo identical || echo 'within 1e-6'))"
		else
			notok "$name: $b differs from the native build"
			diff -u "$OUT/$b.native" "$OUT/$b.$name" | sed 's/^/# /'
		fi
	done
done
echo "1..$n"
[ $failed = 0 ]
