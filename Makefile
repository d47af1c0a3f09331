# dh-model: a debhelper add-on that retrains models during package builds.
#
#   make            build the trainer (build/dh-model-train)
#   make check      build and run every test (TAP through prove)
#   make install    install into $(DESTDIR)$(PREFIX)
#   make demo       build the example package with the tree's dh-model
#   make bench      the speed benchmark (not part of check)
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
PYTHON ?= python3

# Flags the numerics depend on; they come after CFLAGS so that nothing a
# caller passes can undo them (see README, "Reproducible weights"):
#  -std=c11                 ISO C: no GNU extensions that change float rules
#  -ffp-contract=off        never fuse a*b+c into an FMA behind our back; GCC's
#                           default in GNU modes fuses on arm64, ppc64el,
#                           s390x and amd64 with -mfma, and changes results
#  -fexcess-precision=standard
#                           on x87 (i386) round every assignment and cast to
#                           float, so each operation is rounded as on SSE
#  -fno-fast-math           in case CFLAGS asked for it
NUMERICS_FLAGS = -std=c11 -ffp-contract=off -fno-fast-math
ifeq ($(findstring clang,$(shell $(CC) --version 2>/dev/null)),)
NUMERICS_FLAGS += -fexcess-precision=standard
endif

WARN_FLAGS = -Wall -Wextra
DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags openblas libarchive)
DEPS_LIBS := $(shell $(PKG_CONFIG) --libs openblas libarchive) -ltar -lm -lpthread

ALL_CPPFLAGS = -D_GNU_SOURCE -Itrainer $(CPPFLAGS)
ALL_CFLAGS = $(CFLAGS) $(NUMERICS_FLAGS) $(WARN_FLAGS) $(DEPS_CFLAGS)

B = build
LIB_SRC := $(sort $(wildcard trainer/base/*.c trainer/math/*.c \
	trainer/model/*.c trainer/data/*.c trainer/recipe/*.c trainer/output/*.c))
CLI_SRC := $(sort $(wildcard trainer/cli/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(B)/obj/%.o)
TEST_SRC := $(sort $(wildcard tests/c/test_*.c))
TEST_BIN := $(TEST_SRC:tests/c/%.c=$(B)/tests/%)
TRAINER = $(B)/dh-model-train

.PHONY: all check install clean demo bench fuzz man
all: $(TRAINER)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

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
# tests and end-to-end tests (.t), and the Python oracles (*.py, TAP).
check: $(TRAINER) $(TEST_BIN)
	DH_MODEL_TRAIN=$(CURDIR)/$(TRAINER) PYTHON=$(PYTHON) \
	$(PROVE) $(PROVE_FLAGS) --source Executable --source Perl \
		$(TEST_BIN) $(sort $(wildcard tests/py/*.py)) \
		$(sort $(wildcard tests/t/*.t))

install: $(TRAINER)
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(TRAINER) $(DESTDIR)$(BINDIR)/dh-model-train

clean:
	rm -rf $(B)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
