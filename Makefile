# dh-model: a debhelper add-on that retrains models during package builds.
#
#   make            build the trainer (build/dh-model-train)
#   make check      build and run every test (TAP through prove)
#   make install    install into $(DESTDIR)$(PREFIX)
#   make demo       build the example package with the tree's dh-model
#   make bench      the speed benchmark (not part of check)
#   make bench-cnn  only its CNN section: the template against PyTorch
#   make bench-inference  inference on 1 thread: OpenCV, PyTorch, eval
#   make fuzz       run every fuzz target for FUZZ_SECONDS each
#   make clean

PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
DATADIR = $(PREFIX)/share/dh-model
PERLDIR ?= $(PREFIX)/share/perl5
MANDIR = $(PREFIX)/share/man

PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
PROVE ?= prove
PYTHON ?= /usr/bin/python3

# Flags the numerics depend on; they come after CFLAGS so that nothing a
# caller passes can undo them (see README, "Reproducible weights"):
#  -std=c11                 ISO C: no GNU extensions that change float rules
#  -ffp-contract=off        never fuse a*b+c into an FMA behind our back; GCC's
#                           default in GNU modes fuses on arm64, ppc64el,
#                           s390x and amd64 with -mfma, and changes results
#  -fexcess-precision=standard
#                           on x87 (i386) round every assignment and cast to
#                           float, so each operation is rounded as on SSE
#                           (except GCC's inline fsqrt: see fmath.h)
#  -fno-fast-math           in case CFLAGS asked for it
#  -fno-math-errno          sqrtf becomes the (correctly rounded) instruction
#                           and vectorizes; no result changes, only errno
NUMERICS_FLAGS = -std=c11 -ffp-contract=off -fno-fast-math -fno-math-errno
ifeq ($(findstring clang,$(shell $(CC) --version 2>/dev/null)),)
NUMERICS_FLAGS += -fexcess-precision=standard
# GCC's -O2 vectorizes only loops that need no tail or alias check; the
# element-wise loops over the parameters (the optimizer step, a quarter of
# the time at batch 64) need both.  Vector lanes do the same IEEE
# operations as the scalar code, so this changes speed, never bits.
NUMERICS_FLAGS += -fvect-cost-model=dynamic
endif

# libtar: an optional second writer of the bundle (trainer/output/
# bundle_libtar.c) where the system still has <libtar.h> (bookworm; Debian
# removed libtar in trixie).  libarchive always writes it too, and
# tests/c/test_output.c checks that both give the same bytes.
#   LIBTAR=auto  (default) with libtar when <libtar.h> is found
#   LIBTAR=yes   with libtar, or fail;  LIBTAR=no  without (debian/rules:
#                a package's dependencies must not change with whatever
#                else happens to be installed)
# libtar has no .pc file: -ltar directly.
LIBTAR ?= auto
ifeq ($(LIBTAR),auto)
LIBTAR := $(shell printf '\043include <libtar.h>\n' | \
	$(CC) $(CPPFLAGS) -E -x c - >/dev/null 2>&1 && echo yes || echo no)
endif
ifeq ($(LIBTAR),yes)
TAR_CPPFLAGS = -DDM_HAVE_LIBTAR
TAR_LIBS = -ltar
else ifneq ($(LIBTAR),no)
$(error LIBTAR must be auto, yes or no, not '$(LIBTAR)')
endif

WARN_FLAGS = -Wall -Wextra
DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags openblas libarchive libseccomp libprotobuf-c libmd jansson)
DEPS_LIBS := $(shell $(PKG_CONFIG) --libs openblas libarchive libseccomp libprotobuf-c libmd jansson) $(TAR_LIBS) -lm -lpthread

B = build

# The ONNX export (trainer/output/onnx.c) encodes with C that protoc-c
# generates from Debian's onnx.proto (libonnx-dev) at build time, into
# $(B)/gen: never a hand-written encoder, never generated code in the tree.
PROTOC_C ?= protoc-c
ONNX_PROTO ?= /usr/include/onnx/onnx.proto
GEN = $(B)/gen
ONNX_GEN = $(GEN)/onnx.pb-c.c $(GEN)/onnx.pb-c.h

# The version, written in one place: debian/changelog (a native package).
VERSION := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
ifeq ($(VERSION),)
$(error cannot read the version from the first line of debian/changelog)
endif

ALL_CPPFLAGS = -D_GNU_SOURCE -Itrainer -I$(GEN) -DDM_POLICY_DIR='"$(DATADIR)/policy"' \
	-DDM_VERSION='"$(VERSION)"' $(TAR_CPPFLAGS) $(CPPFLAGS)
ALL_CFLAGS = $(CFLAGS) $(NUMERICS_FLAGS) $(WARN_FLAGS) $(DEPS_CFLAGS)

LIB_SRC := $(sort $(wildcard trainer/base/*.c trainer/math/*.c \
	trainer/model/*.c trainer/model/layers/*.c trainer/data/*.c trainer/recipe/*.c trainer/output/*.c trainer/job/*.c \
	trainer/policy/*.c trainer/licensing/*.c trainer/provenance/*.c trainer/os/*.c trainer/fasttext/*.c trainer/text/*.c))
CLI_SRC := $(sort $(wildcard trainer/cli/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o) $(B)/obj/gen/onnx.pb-c.o
CLI_OBJ := $(CLI_SRC:%.c=$(B)/obj/%.o)
TEST_SRC := $(sort $(wildcard tests/c/test_*.c))
TEST_BIN := $(TEST_SRC:tests/c/%.c=$(B)/tests/%)
TRAINER = $(B)/dh-model-train

.PHONY: all check check-all check-cnn check-text-templates check-word-vectors check-sbuild install clean demo bench bench-cnn bench-inference bench-fasttext bench-vectors fuzz man check-sanitizers
all: $(TRAINER)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# one rule makes both files (a grouped target needs make 4.3; bookworm has it)
$(ONNX_GEN) &: $(ONNX_PROTO)
	@mkdir -p $(GEN)
	$(PROTOC_C) --proto_path=$(dir $(ONNX_PROTO)) --c_out=$(GEN) $(ONNX_PROTO)
$(B)/obj/gen/onnx.pb-c.o: $(GEN)/onnx.pb-c.c $(GEN)/onnx.pb-c.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@
# what includes the generated header waits for it
$(B)/obj/trainer/output/onnx.o $(B)/obj/trainer/output/onnx_read.o: $(GEN)/onnx.pb-c.h

# what records the version, again when debian/changelog's changes
VERSION_STAMP = $(B)/version-$(VERSION)
$(VERSION_STAMP):
	@mkdir -p $(B) && rm -f $(B)/version-* && touch $@
$(B)/obj/trainer/cli/main.o $(B)/obj/trainer/licensing/verdict.o \
$(B)/obj/trainer/provenance/export.o $(B)/obj/trainer/provenance/provenance.o: $(VERSION_STAMP)

# the bundle's objects again when LIBTAR changes from one make to the next
LIBTAR_STAMP = $(B)/libtar-$(LIBTAR)
$(LIBTAR_STAMP):
	@mkdir -p $(B) && rm -f $(B)/libtar-* && touch $@
$(B)/obj/trainer/output/bundle.o $(B)/obj/trainer/output/bundle_libtar.o: $(LIBTAR_STAMP)

$(B)/libdhmodel.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(TRAINER): $(CLI_OBJ) $(B)/libdhmodel.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(B)/libdhmodel.a $(DEPS_LIBS)

$(B)/tests/%: tests/c/%.c tests/c/tap.h $(B)/libdhmodel.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) -Itests/c $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< \
		$(B)/libdhmodel.a $(DEPS_LIBS)

# Every test, through prove: C unit tests (TAP executables), Perl tool
# tests and end-to-end tests (.t), the Python oracles (*.py, TAP), and the
# cross-architecture weight hashes and fastText .bin reading (tests/cross:
# parts whose compilers or qemu are missing say "skip" and why).  `make -jN
# check` (dh_auto_test with DEB_BUILD_OPTIONS=parallel=N) runs N test files
# at once: each works in its own temporary directory, and none has a
# timing in its verdict.
PROVE_JOBS = $(patsubst -j%,%,$(filter -j%,$(MAKEFLAGS)))
check: $(TRAINER) $(TEST_BIN) $(B)/tests/layer_oracle $(B)/tests/text_oracle $(B)/tests/ft_train $(B)/tests/ft_vectors
	DH_MODEL_TRAIN=$(CURDIR)/$(TRAINER) PYTHON=$(PYTHON) \
	LAYER_ORACLE=$(CURDIR)/$(B)/tests/layer_oracle \
	TEXT_ORACLE=$(CURDIR)/$(B)/tests/text_oracle FT_TRAIN=$(CURDIR)/$(B)/tests/ft_train \
	FT_VECTORS=$(CURDIR)/$(B)/tests/ft_vectors \
	CROSS_BUILD_DIR=$(CURDIR)/$(B)/cross CROSS_ALL=$(CROSS_ALL) \
	$(PROVE) $(if $(PROVE_JOBS),-j$(PROVE_JOBS)) $(PROVE_FLAGS) --source Executable --source Perl \
		$(TEST_BIN) $(sort $(wildcard tests/py/test_*.py)) \
		$(sort $(wildcard tests/t/*.t)) tests/cross/run-cross.sh tests/cross/ftbin-cross.sh \
		tests/cross/ftvec-cross.sh

# The CNN template (templates/image-cnn.models) trained as shipped, on all
# 60,000 Fashion-MNIST images, in a package build (about 10 min on 2 quiet
# cores, 30 under load); make check trains it on a subset.  Not in
# check-all: CI's 60 minutes are taken by the rest; the autopkgtest
# build-image-cnn runs the same on Debian's CI.
check-cnn: $(TRAINER)
	DH_MODEL_TRAIN=$(CURDIR)/$(TRAINER) DH_MODEL_TEST_CNN=full \
		$(PROVE) $(PROVE_FLAGS) tests/t/07-image-cnn.t

# The two text templates (templates/fortune-langid.models,
# word-langid.models) built as shipped, all their languages, in a package
# build (about 5 min under load: word-langid reads 2.8 million words);
# make check builds them with smaller settings (tests/t/54-text-langid.t).
check-text-templates: $(TRAINER)
	DH_MODEL_TRAIN=$(CURDIR)/$(TRAINER) DH_MODEL_TEST_TEXT=full \
		$(PROVE) $(PROVE_FLAGS) tests/t/54-text-langid.t

# The word-vectors template (templates/word-vectors.models) trained as
# shipped on dict-gcide in a package build and held to its word-pair
# thresholds (1.6e11 FLOP: some 6 CPU minutes); make check trains a cheap
# variant.  The autopkgtest build-word-vectors runs the same on Debian's CI.
check-word-vectors: $(TRAINER)
	DH_MODEL_TRAIN=$(CURDIR)/$(TRAINER) DH_MODEL_TEST_FULL=1 \
		$(PROVE) $(PROVE_FLAGS) tests/t/55-word-vectors.t

# CI: the sanitizer and leak run, every fuzz target for FUZZ_SECONDS,
# reprotest on the example package, the sbuild builds, then the whole
# suite, last so that the output ends with prove's Result line.  Needs the
# packages in tests/ci-packages besides the Build-Depends, and root for
# check-sbuild (it creates its build user).  Each part but the last says
# how long it took.
TIMED = @sh -c 't0=$$(date +%s); "$$@"; rc=$$?; \
	echo "check-all: $$(( $$(date +%s) - t0 )) s for: $$*"; exit $$rc' timed
check-all:
	$(TIMED) $(MAKE) --no-print-directory check-sanitizers
	$(TIMED) $(MAKE) --no-print-directory fuzz
	$(TIMED) tests/repro/reprotest.sh
	$(TIMED) $(MAKE) --no-print-directory check-sbuild
	$(TIMED) $(MAKE) --no-print-directory check-text-templates
	$(MAKE) --no-print-directory check CROSS_ALL=1

# dh-model and the example package built as Debian's buildds build them:
# sbuild in clean chroots of each suite (tests/repro/sbuild.sh says how),
# the example's weights compared across the suites and with the host's.
# dh-model's own tests (make check) run in the SBUILD_CHECK suites' builds,
# the others build nocheck; lintian --pedantic and the autopkgtest run in
# sid.  The arm64 builds under qemu (about 40 min) are not part of it:
# SBUILD_ARM64=yes tests/repro/sbuild.sh.
SBUILD_SUITES ?= bookworm trixie sid
SBUILD_CHECK ?= sid
check-sbuild:
	SBUILD_CHECK="$(SBUILD_CHECK)" tests/repro/sbuild.sh $(SBUILD_SUITES)

# Man pages from the POD in the commands and in trainer/dh-model-train.pod.
POD2MAN = pod2man --section=1 --utf8 --release="dh-model $(VERSION)"
MAN1 = $(B)/man/dh_model.1 $(B)/man/dh_installmodels.1 $(B)/man/dh_auditmodels.1 \
	$(B)/man/dh-model-train.1
MAN5 = $(B)/man/dh-model-policy.5
man: $(MAN1) $(MAN5)
$(B)/man/dh-model-policy.5: policy/dh-model-policy.pod
	@mkdir -p $(dir $@)
	$(POD2MAN) --section=5 --center=dh-model $< $@
$(B)/man/dh_%.1: dh-model/dh_%
	@mkdir -p $(dir $@)
	$(POD2MAN) --center=Debhelper $< $@
$(B)/man/dh-model-train.1: trainer/dh-model-train.pod
	@mkdir -p $(dir $@)
	$(POD2MAN) --center=dh-model $< $@

install: $(TRAINER) man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(PERLDIR)/Debian/Debhelper/Sequence
	install -m 0755 $(TRAINER) $(DESTDIR)$(BINDIR)/dh-model-train
	install -m 0755 dh-model/dh_model dh-model/dh_installmodels dh-model/dh_auditmodels \
		$(DESTDIR)$(BINDIR)/
	sed "s/@VERSION@/$(VERSION)/" dh-model/lib/Debian/Debhelper/DhModel.pm \
		>$(DESTDIR)$(PERLDIR)/Debian/Debhelper/DhModel.pm
	chmod 0644 $(DESTDIR)$(PERLDIR)/Debian/Debhelper/DhModel.pm
	install -m 0644 sequence/Debian/Debhelper/Sequence/model.pm \
		$(DESTDIR)$(PERLDIR)/Debian/Debhelper/Sequence/
	install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DATADIR)/policy
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 policy/main policy/strict $(DESTDIR)$(DATADIR)/policy/
	install -m 0644 policy/free-licenses $(DESTDIR)$(DATADIR)/

# The main job: build the example source package with dpkg-buildpackage,
# using this tree's dh-model (-d: dh-sequence-model is not installed, the
# tree's copy is found through PATH and PERL5LIB).
DEMO = $(B)/demo/fashion-mnist-classifier
demo: $(TRAINER)
	rm -rf $(B)/demo && mkdir -p $(B)/demo
	cp -a templates/fashion-mnist-classifier $(B)/demo/
	cd $(DEMO) && PATH=$(CURDIR)/dh-model:$$PATH \
		PERL5LIB=$(CURDIR)/sequence:$(CURDIR)/dh-model/lib \
		DH_MODEL_TRAIN=$(CURDIR)/$(TRAINER) dpkg-buildpackage -us -uc -b -d
	@echo
	@echo "package:    $$(ls $(B)/demo/*.deb)"
	@echo "model card: $(DEMO)/debian/.debhelper/model/fashion-mnist-classifier/fashion-mlp.md"
	@echo "            (in the package: /usr/share/doc/fashion-mnist-classifier/models/)"
	@grep '^| test-accuracy' $(DEMO)/debian/.debhelper/model/fashion-mnist-classifier/fashion-mlp.md

# The speed benchmark (issue 6), not part of check: about 8 to 13 minutes on
# 2 cores; one Markdown table on stdout and in $(B)/bench/results.md.  Needs
# dataset-fashion-mnist python3-torch python3-sklearn liblinear-tools time.
bench: $(TRAINER)
	DH_MODEL_TRAIN=$(CURDIR)/$(TRAINER) $(PYTHON) tests/bench/run-bench $(B)/bench/results.md

# Only its CNN section (8): the template's network against PyTorch, about
# 5 minutes on 2 quiet cores; needs python3-torch dataset-fashion-mnist time.
# fastText side by side (issue 21): P@1 and time against fasttext -thread 1
# and 2 on the package descriptions of the APT lists; not part of check.
# Word vectors side by side (issue 22): time and word-pair quality against
# fasttext skipgram/cbow -thread 1 and 2; not part of check.
bench-vectors: $(B)/tests/ft_vectors
	@mkdir -p $(B)/bench
	FT_VECTORS=$(CURDIR)/$(B)/tests/ft_vectors $(PYTHON) tests/bench/vectors-bench $(B)/bench/vectors.md

bench-fasttext: $(B)/tests/ft_train
	@mkdir -p $(B)/bench
	FT_TRAIN=$(CURDIR)/$(B)/tests/ft_train $(PYTHON) tests/bench/fasttext-bench $(B)/bench/fasttext.md

bench-cnn: $(TRAINER)
	BENCH=cnn DH_MODEL_TRAIN=$(CURDIR)/$(TRAINER) $(PYTHON) tests/bench/run-bench $(B)/bench/cnn.md

# Inference throughput on 1 thread (issue 23): OpenCV's dnn on our ONNX,
# PyTorch on the same weights, dh-model-train eval; Fashion-MNIST MLP and
# CNN.  A few minutes; needs python3-opencv python3-torch dataset-fashion-mnist.
bench-inference: $(TRAINER)
	DH_MODEL_TRAIN=$(CURDIR)/$(TRAINER) $(PYTHON) tests/bench/inference $(B)/bench/inference.md

# Fuzzing (libFuzzer, clang) and the sanitizer run of the C tests and the
# bad-input corpus; see tests/fuzz/run-fuzz and tests/fuzz/asan-check.  Not
# part of check: check-all (CI) runs both.
FUZZ_SECONDS ?= 30
fuzz:
	tests/fuzz/run-fuzz $(FUZZ_SECONDS)
check-sanitizers:
	tests/fuzz/asan-check

clean:
	rm -rf $(B)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
