# snp-certctl: one plain Makefile.
#
#   make                  build the library and the program (build/lib, build/snp-certctl)
#   make tests            also the unit tests, LD_PRELOAD fakes, tools, torture, bench
#   make fixtures         generate the test certificate chains (once, ~20 s)
#   make check            build (plain and ASan/UBSan) and run every test
#   make check T='NAME...' build, make the fixtures, run only the tests named, on both
#                         builds: tests/cli/NAME.bats or tests/unit/[test-]NAME.c
#   make demo             install missing build packages, build, run the demo
#   make deps / test-deps install the Debian packages needed (idempotent)
#   make fuzz             run the fuzzers for FUZZ_SECONDS each
#   make torture / bench  the long lock torture test / the benchmarks
#   make install          PREFIX=/usr/local DESTDIR= (honoured)
#   make clean            remove the build directory
#
# Every file the build makes lies under one build directory, build/ in the
# tree (O=DIR: DIR instead; not the tree itself nor one of its source
# directories):
#
#   build/lib/             libsnpcert.so.1, libsnpcert.so, snpcert.pc, internal archive
#   build/snp-certctl/     snp-certctl (the program), the command archive
#   build/obj/, build/gen/ objects and dependency files, generated sources
#   build/tests/           unit/test-*, fakes/*.so, tools/, torture/torture, bench/bench
#   build/fixtures/        the test chains (tests/fixtures/gen-chains.sh; stamp .complete)
#   build/san/             the ASan/UBSan build, the same layout (make san: O=build/san SAN=1)
#   build/fuzz/            the libFuzzer harnesses, their corpora and logs
#   build/demo/            what `make demo` and `make demo-fw-update` write
#
# `make clean` removes the build directory, and only one this Makefile made
# (it holds .snpcert-build).  The tests find the builds the same way:
# SNPCERT_BUILD (the build to test, default build/) for tests/cli, O for
# tests/run-all, tests/torture/run and tests/bench/run.

VERSION := 0.1.0
SOVERSION := 1

O ?= build
override O := $(patsubst %/,%,$(O))
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= /lib/systemd/system
DOCDIR ?= $(DATADIR)/doc/snp-certctl
DESTDIR ?=

CC ?= cc
CLANG ?= clang
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes -Wvla
ifneq ($(filter 1 true yes,$(WERROR) $(CI)),)
WARN += -Werror
endif
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
endif
ALL_CPPFLAGS := -D_GNU_SOURCE -DSNPCERT_VERSION='"$(VERSION)"' -Ilib -Iformats -Isnp-certctl -I$(O)/gen $(CPPFLAGS)
ALL_CFLAGS := -std=gnu11 -fPIC -fvisibility=hidden $(WARN) $(SANFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(SANFLAGS) $(LDFLAGS)
CRYPTO_LIBS := -lcrypto -lssl
SYS_LIBS := -luuid -lkmod -lcurl
# What the program and the test-cli-* unit tests link besides the archives.
CLI_LIBS := $(CRYPTO_LIBS) $(SYS_LIBS)

# ---- the build directory --------------------------------------------------
# O must be a directory of its own: make clean removes it whole.
ifeq ($(strip $(O)),)
$(error O is empty: give a build directory, e.g. O=build)
endif
O_ABS := $(abspath $(O))
O_REL := $(patsubst $(CURDIR)/%,%,$(O_ABS))
SRC_DIRS := lib formats snp-certctl tests completions hooks .ci .git
ifneq ($(filter $(O_ABS) $(O_ABS)/%,$(CURDIR)),)
$(error O=$(O) is the source tree or above it: give a directory of its own, e.g. O=build)
endif
ifneq ($(filter $(addsuffix /%,$(SRC_DIRS)) $(SRC_DIRS),$(O_REL)),)
$(error O=$(O) is inside a source directory: give a directory of its own, e.g. O=build)
endif
# The mark of a build directory this Makefile made (make clean checks it).
STAMP := $(O)/.snpcert-build
FIXTURES := $(O)/fixtures
SAN_O := $(O)/san
DEMO_O := $(O)/demo

# ---- sources --------------------------------------------------------------
LIB_SRCS := $(sort $(wildcard lib/*.c))
# The base helpers (lib/base*.c) are in libsnpcert and, since its copy is
# hidden (-fvisibility=hidden), in the program's own archive too.
BASE_SRCS := $(sort $(wildcard lib/base*.c))
FMT_SRCS := $(sort $(wildcard formats/*.c))
CLI_SRCS := $(filter-out snp-certctl/main.c,$(sort $(wildcard snp-certctl/*.c)))
ROOT_PEMS := $(sort $(wildcard formats/amd-roots/*/*.pem))
GEN_SRCS := $(O)/gen/amd-roots.c
UNIT_SRCS := $(sort $(wildcard tests/unit/test-*.c))
HELPER_SRCS := $(sort $(wildcard tests/fakes/*.c tests/torture/*.c tests/bench/*.c tests/tools/*.c))

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))

LIB_OBJS := $(call obj,$(LIB_SRCS))
LIBSO_OBJS := $(LIB_OBJS) $(call obj,formats/ghcb.c)
FMT_OBJS := $(call obj,$(FMT_SRCS)) $(O)/obj/gen/amd-roots.o
CLI_OBJS := $(call obj,$(CLI_SRCS) $(BASE_SRCS))

LIBSO := $(O)/lib/libsnpcert.so.$(SOVERSION)
LIBLINK := $(O)/lib/libsnpcert.so
LIBA := $(O)/lib/libsnpcert-internal.a
FMTA := $(O)/formats/libformats.a
CLIA := $(O)/snp-certctl/libcli.a
PROG := $(O)/snp-certctl/snp-certctl
PCFILE := $(O)/lib/snpcert.pc
UNIT_BINS := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,$(UNIT_SRCS))
HELPER_BINS := $(patsubst %.c,$(O)/%,$(filter-out %.so.c,$(HELPER_SRCS)))
PRELOADS := $(patsubst %.so.c,$(O)/%.so,$(filter %.so.c,$(HELPER_SRCS)))

# The JSON Schemas of --json (installed with the docs; tests/tools/validate-json).
SCHEMAS := $(sort $(wildcard snp-certctl/schema/*.json))
MAN1 := $(wildcard snp-certctl/*.1)
MAN3 := $(wildcard lib/*.3)
MAN5 := $(wildcard snp-certctl/*.5)

.PHONY: all tests fixtures san check install install-hooks uninstall clean demo demo-fw-update \
	deps test-deps \
	fuzz fuzz-build fuzz-smoke torture bench
.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:
# Keep objects that pattern chains would treat as intermediate (no rebuilds).
.SECONDARY:

all: $(LIBSO) $(LIBLINK) $(PCFILE) $(PROG)

tests: all $(UNIT_BINS) $(HELPER_BINS) $(PRELOADS)

$(STAMP):
	@mkdir -p $(@D)
	@echo 'made by the snp-certctl Makefile; make clean removes this directory' > $@

# ---- compilation ----------------------------------------------------------
$(O)/obj/%.o: %.c | $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/obj/gen/%.o: $(O)/gen/%.c | $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The built-in AMD roots, embedded as data.
$(O)/gen/amd-roots.c: formats/gen-amd-roots.sh $(ROOT_PEMS) | $(STAMP)
	@mkdir -p $(@D)
	sh formats/gen-amd-roots.sh $(ROOT_PEMS) > $@.tmp && mv $@.tmp $@

-include $(shell test -d $(O)/obj && find $(O)/obj -name '*.d' 2>/dev/null)

# ---- the library ----------------------------------------------------------
# libsnpcert: lib/ plus the table codec, nothing else exported.
$(LIBSO): $(LIBSO_OBJS) lib/libsnpcert.sym
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libsnpcert.so.$(SOVERSION) -Wl,--version-script=lib/libsnpcert.sym \
		-Wl,--no-undefined $(ALL_LDFLAGS) -o $@ $(LIBSO_OBJS) -luuid

$(LIBLINK): $(LIBSO)
	ln -sf libsnpcert.so.$(SOVERSION) $@

$(LIBA): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# The pkg-config file, with the paths of this make (install writes its own,
# so that `make && make install PREFIX=/usr` is right).
SUBST_PC = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g'
$(PCFILE): lib/snpcert.pc.in Makefile | $(STAMP)
	@mkdir -p $(@D)
	$(SUBST_PC) $< > $@

# ---- the formats and the program -----------------------------------------
$(FMTA): $(FMT_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(CLIA): $(CLI_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# The program links the shared library (so tests exercise the real ABI);
# $ORIGIN/../lib finds it both in the build tree and under PREFIX.
$(PROG): $(O)/obj/snp-certctl/main.o $(CLIA) $(FMTA) $(LIBLINK)
	$(CC) $(ALL_LDFLAGS) -Wl,-rpath,'$$ORIGIN/../lib' -o $@ $(O)/obj/snp-certctl/main.o \
		$(CLIA) $(FMTA) -L$(O)/lib -lsnpcert $(CLI_LIBS)

# ---- test programs --------------------------------------------------------
# Unit tests link the internal objects statically: test-cli-*.c also get
# the program's objects, the others lib/ and formats/ only.
$(O)/tests/unit/test-cli-%: $(O)/obj/tests/unit/test-cli-%.o $(CLIA) $(LIBA) $(FMTA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(CLIA) $(LIBA) $(FMTA) $(CLI_LIBS) -lpthread

$(O)/tests/unit/test-%: $(O)/obj/tests/unit/test-%.o $(LIBA) $(FMTA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(FMTA) $(CRYPTO_LIBS) -luuid -lpthread

# Helper programs (torture, bench, tools) link the shared library.
$(O)/tests/%: $(O)/obj/tests/%.o $(FMTA) $(LIBLINK)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -Wl,-rpath,'$$ORIGIN/../../lib' -o $@ $< $(FMTA) \
		-L$(O)/lib -lsnpcert $(CRYPTO_LIBS) -luuid -lpthread -lm

# LD_PRELOAD fakes: tests/fakes/NAME.so.c -> NAME.so (no sanitizer runtime).
$(O)/tests/fakes/%.so: tests/fakes/%.so.c | $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -std=gnu11 -fPIC $(WARN) $(CFLAGS) -shared -o $@ $< -ldl

# ---- fuzzing (clang, libFuzzer + ASan + UBSan) ----------------------------
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(O)/fuzz/%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 300
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	$(ALL_CPPFLAGS)

# Each harness is compiled with all of formats/ and lib/ (no program code).
$(O)/fuzz/%: tests/fuzz/%.c $(FMT_SRCS) $(LIB_SRCS) $(GEN_SRCS) $(wildcard formats/*.h lib/*.h) | $(STAMP)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(FMT_SRCS) $(LIB_SRCS) $(GEN_SRCS) $(CRYPTO_LIBS) -luuid

fuzz-build: $(FUZZ_BINS)

# The seed scripts use the program of this build when it is there.
fuzz: $(FUZZ_BINS)
	SNPCERT_BUILD=$(O) tests/run-fuzz $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz-smoke: $(FUZZ_BINS)
	SNPCERT_BUILD=$(O) tests/run-fuzz 10 $(FUZZ_BINS)

# ---- fixtures and the sanitizer build -----------------------------------
# The generated test chains; gen-chains.sh writes .complete last.  After
# `make tests fixtures`, `bats tests/cli/FILE.bats` runs one file alone.
fixtures: $(FIXTURES)/.complete

$(FIXTURES)/.complete: tests/fixtures/gen-chains.sh tests/fixtures/make-vcek.sh | $(STAMP)
	rm -rf $(FIXTURES)
	tests/fixtures/gen-chains.sh $(FIXTURES)

# The same tests built with ASan and UBSan, in $(SAN_O).
san: | $(STAMP)
	$(MAKE) O=$(SAN_O) SAN=1 tests

# ---- checks ----------------------------------------------------------------
# check: the plain build, the sanitizer build, the fixtures, then every
# suite (tests/run-all).  With T='NAME...', only those tests, on both
# builds; an unknown name fails before anything is built.
RUN_ALL = O=$(O) tests/run-all
check:
ifneq ($(strip $(T)),)
	@$(RUN_ALL) -n $(addprefix -t ,$(T))
	$(MAKE) tests fixtures
	$(MAKE) san
	$(RUN_ALL) $(addprefix -t ,$(T))
else
	$(MAKE) tests fixtures fuzz-build
	$(MAKE) san
	$(RUN_ALL)
endif

torture: tests
	O=$(O) tests/torture/run long

bench: tests fixtures
	O=$(O) SNPCERT_FIXTURES=$(FIXTURES) tests/bench/run

demo: deps all
	SNPCERT_BUILD=$(O) DEMO_DIR=$(DEMO_O) tests/demo.sh

demo-fw-update: all $(O)/tests/fakes/sev.so fixtures
	SNPCERT_BUILD=$(O) SNPCERT_FIXTURES=$(FIXTURES) DEMO_DIR=$(DEMO_O)/fw-update \
		tests/demo-fw-update.sh

deps:
	.ci/install-deps build

test-deps:
	.ci/install-deps test

# ---- install ----------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(DATADIR)/bash-completion/completions \
		$(DESTDIR)$(DATADIR)/zsh/vendor-completions $(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	install -m 0755 $(PROG) $(DESTDIR)$(BINDIR)/snp-certctl
	install -m 0755 $(LIBSO) $(DESTDIR)$(LIBDIR)/libsnpcert.so.$(SOVERSION)
	ln -sf libsnpcert.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libsnpcert.so
	install -m 0644 lib/snpcert.h $(DESTDIR)$(INCLUDEDIR)/snpcert.h
	$(SUBST_PC) lib/snpcert.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/snpcert.pc
	chmod 0644 $(DESTDIR)$(LIBDIR)/pkgconfig/snpcert.pc
	$(if $(MAN1),install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/)
	$(if $(MAN3),install -m 0644 $(MAN3) $(DESTDIR)$(MANDIR)/man3/)
	$(if $(MAN5),install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/)
	$(if $(wildcard completions/snp-certctl.bash),install -m 0644 completions/snp-certctl.bash \
		$(DESTDIR)$(DATADIR)/bash-completion/completions/snp-certctl)
	$(if $(wildcard completions/_snp-certctl),install -m 0644 completions/_snp-certctl \
		$(DESTDIR)$(DATADIR)/zsh/vendor-completions/_snp-certctl)
	$(if $(wildcard completions/snp-certctl.fish),install -m 0644 completions/snp-certctl.fish \
		$(DESTDIR)$(DATADIR)/fish/vendor_completions.d/snp-certctl.fish)
	install -d $(DESTDIR)$(DOCDIR)/schema
	install -m 0644 $(SCHEMAS) $(DESTDIR)$(DOCDIR)/schema/
	$(MAKE) --no-print-directory install-hooks

# What runs snp-certctl at the right moment (hooks/): systemd units with the
# installed program's path, the hooks directory, and the examples.
ROLE := hooks/ansible/roles/snp_certctl_fw_update
SUBST_BINDIR = sed -e 's|/usr/bin/snp-certctl|$(BINDIR)/snp-certctl|g'
install-hooks:
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSCONFDIR)/snp-certctl/hooks.d \
		$(DESTDIR)$(DOCDIR)/examples/hooks $(DESTDIR)$(DOCDIR)/examples/cron.d \
		$(addprefix $(DESTDIR)$(DOCDIR)/examples/ansible/roles/snp_certctl_fw_update/,tasks defaults meta)
	for f in hooks/systemd/*.service hooks/systemd/*.timer; do \
		$(SUBST_BINDIR) $$f > $(DESTDIR)$(SYSTEMDUNITDIR)/$${f##*/} && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$${f##*/} || exit 1; done
	$(SUBST_BINDIR) hooks/cron/snp-certctl > $(DESTDIR)$(DOCDIR)/examples/cron.d/snp-certctl
	install -m 0755 hooks/examples/* $(DESTDIR)$(DOCDIR)/examples/hooks/
	install -m 0644 hooks/ansible/fw-update.yml $(DESTDIR)$(DOCDIR)/examples/ansible/
	for d in tasks defaults meta; do install -m 0644 $(ROLE)/$$d/main.yml \
		$(DESTDIR)$(DOCDIR)/examples/ansible/roles/snp_certctl_fw_update/$$d/ || exit 1; done
	install -m 0644 hooks/README.md $(DESTDIR)$(DOCDIR)/README.hooks.md

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/snp-certctl $(DESTDIR)$(LIBDIR)/libsnpcert.so* \
		$(DESTDIR)$(INCLUDEDIR)/snpcert.h $(DESTDIR)$(LIBDIR)/pkgconfig/snpcert.pc \
		$(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(MAN3))) \
		$(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5))) \
		$(DESTDIR)$(DATADIR)/bash-completion/completions/snp-certctl \
		$(DESTDIR)$(DATADIR)/zsh/vendor-completions/_snp-certctl \
		$(DESTDIR)$(DATADIR)/fish/vendor_completions.d/snp-certctl.fish \
		$(addprefix $(DESTDIR)$(SYSTEMDUNITDIR)/,$(notdir $(wildcard hooks/systemd/*)))
	rm -rf $(DESTDIR)$(DOCDIR)

# Everything the build made is in $(O): remove it, if this Makefile made it
# (build/ in the tree always is ours).
clean:
	@if [ -e '$(STAMP)' ] || [ '$(O_ABS)' = '$(CURDIR)/build' ]; then \
		echo "rm -rf $(O)"; rm -rf '$(O)'; \
	elif [ -e '$(O)' ]; then \
		echo "make clean: $(O) has no .snpcert-build: not a build directory of this Makefile, not removing it" >&2; \
		exit 1; \
	fi
