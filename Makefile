# SPDX-License-Identifier: GPL-2.0-or-later
# snp-certctl: one plain Makefile.
#
#   make                  build the library and the program (build/lib, build/snp-certctl)
#   make tests            also the unit tests, LD_PRELOAD fakes, tools, torture, bench
#   make fixtures         generate the test certificate chains (once, ~20 s)
#   make check            build (plain and ASan/UBSan) and run every test
#   make check T='NAME...' build, make the fixtures, run only the tests named, on both
#                         builds: tests/cli/NAME.bats or tests/unit/[test-]NAME.c
#   make demo             install missing build packages, build, run the demo
#   make examples         the files the README's examples use, in build/examples/
#   make deps / test-deps install the Debian packages needed (idempotent)
#   make fuzz             run the fuzzers for FUZZ_SECONDS each
#   make torture / bench  the long lock torture test / the benchmarks
#   make install          PREFIX=/usr/local DESTDIR= (honoured); make uninstall
#   make dist             snp-certctl-VERSION.tar.gz (in the build directory)
#   make distcheck        make dist, then make and make check in the unpacked tarball
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
#   build/examples/        the files the README's examples use (make examples)
#   build/install/         the program as make install installs it (no RUNPATH)
#   build/snp-certctl-VERSION.tar.gz   make dist; build/distcheck/ while make distcheck runs
#
# `make clean` removes the build directory, and only one this Makefile made
# (it holds .snpcert-build).  The tests find the builds the same way:
# SNPCERT_BUILD (the build to test, default build/) for tests/cli, O for
# tests/run-all, tests/torture/run and tests/bench/run.

VERSION := 0.2.0
SOVERSION := 1

O ?= build
override O := $(patsubst %/,%,$(O))
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
# The multiarch library directory (lib/x86_64-linux-gnu) where the system has
# one: the compiler names a triplet and /usr/lib/TRIPLET exists; lib otherwise.
ifeq ($(origin MULTIARCH),undefined)
MULTIARCH := $(shell t=$$($(CC) -print-multiarch 2>/dev/null) || t=; \
	[ -n "$$t" ] || t=$$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null) || t=; \
	[ -n "$$t" ] && [ -d "/usr/lib/$$t" ] && echo "$$t")
endif
LIBDIR ?= $(PREFIX)/lib$(if $(MULTIARCH),/$(MULTIARCH))
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
SYSCONFDIR ?= /etc
# Where systemd looks for units, as its pkg-config file says; /lib/systemd/system
# where systemd.pc is not installed.
PKG_CONFIG ?= pkg-config
ifeq ($(origin SYSTEMDUNITDIR),undefined)
SYSTEMDUNITDIR := $(or $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
endif
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
# What formats/ links: OpenSSL, jansson for KDS's JSON replies, protobuf-c
# for the AEB broker's ttrpc messages.
FMT_LIBS := $(CRYPTO_LIBS) -ljansson -lprotobuf-c
SYS_LIBS := -luuid -lkmod -lcurl
# What the program and the test-cli-* unit tests link besides the archives.
CLI_LIBS := $(FMT_LIBS) $(SYS_LIBS)

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
SEV_ROOTS := $(sort $(wildcard formats/sev-roots/*/*.cert))
# The protobuf messages (formats/*.proto), compiled by protoc-c into $(O)/gen.
PROTOS := $(sort $(wildcard formats/*.proto))
PB_SRCS := $(patsubst formats/%.proto,$(O)/gen/%.pb-c.c,$(PROTOS))
PB_HDRS := $(PB_SRCS:.c=.h)
GEN_SRCS := $(O)/gen/amd-roots.c $(O)/gen/sev-roots.c $(PB_SRCS)
UNIT_SRCS := $(sort $(wildcard tests/unit/test-*.c))
HELPER_SRCS := $(sort $(wildcard tests/fakes/*.c tests/torture/*.c tests/bench/*.c tests/tools/*.c))

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))

LIB_OBJS := $(call obj,$(LIB_SRCS))
LIBSO_OBJS := $(LIB_OBJS) $(call obj,formats/ghcb.c)
FMT_OBJS := $(call obj,$(FMT_SRCS)) $(O)/obj/gen/amd-roots.o $(O)/obj/gen/sev-roots.o \
	$(patsubst $(O)/gen/%.c,$(O)/obj/gen/%.o,$(PB_SRCS))
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

.PHONY: all tests fixtures san check install install-hooks uninstall dist distcheck clean \
	demo demo-fw-update examples \
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

# Every object is compiled with -DSNPCERT_VERSION: a new VERSION makes them all
# again.  The file holds the VERSION of the last build, rewritten (so newer than
# every object) only when it changes; it must exist, as .SECONDARY ignores a
# missing prerequisite.
VERSION_STAMP := $(O)/.version
$(shell [ -e '$(STAMP)' ] && { echo '$(VERSION)' | cmp -s - '$(VERSION_STAMP)' || \
	echo '$(VERSION)' > '$(VERSION_STAMP)'; })
$(VERSION_STAMP): | $(STAMP)
	@echo '$(VERSION)' > $@

# ---- compilation ----------------------------------------------------------
$(O)/obj/%.o: %.c $(VERSION_STAMP) | $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/obj/gen/%.o: $(O)/gen/%.c $(VERSION_STAMP) | $(STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The built-in AMD roots, embedded as data.
$(O)/gen/amd-roots.c: formats/gen-amd-roots.sh $(ROOT_PEMS) | $(STAMP)
	@mkdir -p $(@D)
	sh formats/gen-amd-roots.sh $(ROOT_PEMS) > $@.tmp && mv $@.tmp $@
$(O)/gen/sev-roots.c: formats/gen-sev-roots.sh $(SEV_ROOTS) | $(STAMP)
	@mkdir -p $(@D)
	sh formats/gen-sev-roots.sh $(SEV_ROOTS) > $@.tmp && mv $@.tmp $@
# One protoc-c run makes both files (a pattern rule's targets are made
# together).  Whatever includes a generated header waits for all of them
# (the first build has no dependency files yet).
PROTOC_C ?= protoc-c
$(O)/gen/%.pb-c.c $(O)/gen/%.pb-c.h: formats/%.proto | $(STAMP)
	@mkdir -p $(@D)
	$(PROTOC_C) --proto_path=formats --c_out=$(@D) $<
$(call obj,formats/aeb.c tests/unit/test-aeb.c): $(PB_HDRS)

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

# The program links the shared library (so tests exercise the real ABI).
# In the build tree it finds it by its RUNPATH ($ORIGIN/../lib); the one
# make install installs is linked again without one (PROG_INST), as a
# distribution wants it: the library is found in LIBDIR by the loader.
LINK_PROG = $(CC) $(ALL_LDFLAGS) $(1) -o $@ $(O)/obj/snp-certctl/main.o \
	$(CLIA) $(FMTA) -L$(O)/lib -lsnpcert $(CLI_LIBS)
PROG_INST := $(O)/install/snp-certctl
PROG_RPATH := -Wl,-rpath,'$$ORIGIN/../lib'
$(PROG): $(O)/obj/snp-certctl/main.o $(CLIA) $(FMTA) $(LIBLINK)
	$(call LINK_PROG,$(PROG_RPATH))

$(PROG_INST): $(O)/obj/snp-certctl/main.o $(CLIA) $(FMTA) $(LIBLINK)
	@mkdir -p $(@D)
	$(call LINK_PROG)

# ---- test programs --------------------------------------------------------
# Unit tests link the internal objects statically: test-cli-*.c also get
# the program's objects, the others lib/ and formats/ only.
$(O)/tests/unit/test-cli-%: $(O)/obj/tests/unit/test-cli-%.o $(CLIA) $(LIBA) $(FMTA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(CLIA) $(LIBA) $(FMTA) $(CLI_LIBS) -lpthread

$(O)/tests/unit/test-%: $(O)/obj/tests/unit/test-%.o $(LIBA) $(FMTA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(FMTA) $(FMT_LIBS) -luuid -lpthread

# Helper programs (torture, bench, tools) link the shared library.
$(O)/tests/%: $(O)/obj/tests/%.o $(FMTA) $(LIBLINK)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -Wl,-rpath,'$$ORIGIN/../../lib' -o $@ $< $(FMTA) \
		-L$(O)/lib -lsnpcert $(FMT_LIBS) -luuid -lpthread -lm

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
$(O)/fuzz/%: tests/fuzz/%.c $(FMT_SRCS) $(LIB_SRCS) $(GEN_SRCS) $(PB_HDRS) $(wildcard formats/*.h lib/*.h) | $(STAMP)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(FMT_SRCS) $(LIB_SRCS) $(GEN_SRCS) $(FMT_LIBS) -luuid

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

$(FIXTURES)/.complete: tests/fixtures/gen-chains.sh tests/fixtures/make-vcek.sh \
		$(O)/tests/tools/sev-gen | $(STAMP)
	rm -rf $(FIXTURES)
	SEV_GEN=$(O)/tests/tools/sev-gen tests/fixtures/gen-chains.sh $(FIXTURES)

# The same tests built with ASan and UBSan, in $(SAN_O).
san: | $(STAMP)
	$(MAKE) O=$(SAN_O) SAN=1 tests

# ---- checks ----------------------------------------------------------------
# check: the plain build, the sanitizer build, the fixtures, then every
# suite (tests/run-all).  With T='NAME...', only those tests, on both
# builds; an unknown name fails before anything is built.  The builds run
# as many jobs as there are CPUs, unless make was given -j.
RUN_ALL = O=$(O) tests/run-all
CHECK_JOBS = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc 2>/dev/null || echo 1))
check:
ifneq ($(strip $(T)),)
	@$(RUN_ALL) -n $(addprefix -t ,$(T))
	$(MAKE) $(CHECK_JOBS) tests fixtures
	$(MAKE) $(CHECK_JOBS) san
	$(RUN_ALL) $(addprefix -t ,$(T))
else
	$(MAKE) $(CHECK_JOBS) tests fixtures fuzz-build
	$(MAKE) $(CHECK_JOBS) san
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

# The files the README's examples name, made afresh in $(O)/examples (run
# them there): AMD's sample Milan VCEK (PEM and DER, also as new-vcek.der)
# with AMD's Milan ASK and ARK, the same in a certificate directory certs/,
# a generated Milan test chain with its CRL in test/ (its root is trusted
# with --trust-root test/ark.pem), an opaque entry blob.bin, and an empty
# store/ and cache/.
EXAMPLES := $(O)/examples
examples: all fixtures
	rm -rf $(EXAMPLES)
	install -d -m 0755 $(EXAMPLES) $(EXAMPLES)/certs $(EXAMPLES)/test $(EXAMPLES)/store \
		$(EXAMPLES)/cache
	cp tests/data/milan-vcek.pem $(EXAMPLES)/vcek.pem
	openssl x509 -in tests/data/milan-vcek.pem -outform DER -out $(EXAMPLES)/vcek.der
	cp $(EXAMPLES)/vcek.der $(EXAMPLES)/new-vcek.der
	cp formats/amd-roots/milan/ask.pem formats/amd-roots/milan/ark.pem $(EXAMPLES)/
	cp $(EXAMPLES)/vcek.pem $(EXAMPLES)/ask.pem $(EXAMPLES)/ark.pem $(EXAMPLES)/certs/
	cp $(addprefix $(FIXTURES)/milan/,ark.pem ask.pem vcek.pem crl.der) $(EXAMPLES)/test/
	printf 'an opaque entry, kept byte for byte\n' > $(EXAMPLES)/blob.bin
	@echo "the README's examples run in $(EXAMPLES)"

deps:
	.ci/install-deps build

test-deps:
	.ci/install-deps test

# ---- install ----------------------------------------------------------------
# make install records, in DOCDIR, each file it installs (installed-files)
# and the directories it creates, those that did not exist
# (installed-directories); make uninstall removes exactly those files, then
# those directories left empty: never a file it did not install, nor a
# directory that was there before or holds anything else.  Install refuses
# (writing nothing) a symbolic link where one of its own directories (DOCDIR,
# SYSCONFDIR/snp-certctl, anything below them) would be; every file goes in
# by install(1), which replaces a link planted in its place.
INSTALLED_FILES := $(DOCDIR)/installed-files
INSTALLED_DIRS := $(DOCDIR)/installed-directories
OWN_DIRS := $(DOCDIR) $(SYSCONFDIR)/snp-certctl
# record LIST,WORDS: add the paths WORDS (shell words) to the record LIST.
record = m='$(DESTDIR)$(1)'; rm -f "$$m.tmp"; \
	{ [ ! -f "$$m" ] || cat "$$m"; [ -z "$(strip $(2))" ] || printf '%s\n' $(2); } | \
	sort -u > "$$m.tmp"; mv "$$m.tmp" "$$m"; chmod 0644 "$$m"
# check_own_dirs DIR...: fail if DIR, or one of its directories from the own
# directory it is in down, is a symbolic link below DESTDIR.
check_own_dirs = for d in $(1); do for r in $(OWN_DIRS); do \
		case "$$d/" in "$$r"/*) ;; *) continue ;; esac; p=$$r; rest=$${d\#"$$r"}; \
		while :; do \
			[ ! -L '$(DESTDIR)'"$$p" ] || { echo "make $@: $(DESTDIR)$$p is a symbolic link: not $(if $(filter uninstall,$@),removing,installing) through it" >&2; exit 1; }; \
			rest=$${rest\#/}; [ -n "$$rest" ] || break; c=$${rest%%/*}; p=$$p/$$c; rest=$${rest\#"$$c"}; \
		done; \
	done; done
# install_dirs DIR...: create DIR... below DESTDIR, recording each one made.
define install_dirs
	@set -e; $(call check_own_dirs,$(1) $(DOCDIR)); \
	new=; for d in $(1) $(DOCDIR); do \
		while [ -n "$$d" ] && [ ! -d '$(DESTDIR)'"$$d" ]; do new="$$new $$d"; d=$${d%/*}; done; \
	done; \
	echo "install -d $(addprefix $(DESTDIR),$(1))"; install -d $(addprefix '$(DESTDIR)',$(1) $(DOCDIR)); \
	$(call record,$(INSTALLED_DIRS),$$new)
endef
# install_files MODE,SRC...,DIR[,NAME]: install SRC... into DIR below DESTDIR
# (the one SRC as DIR/NAME with NAME), recording each file installed.
define install_files
	$(if $(strip $(2)),install -m $(1) $(2) $(DESTDIR)$(3)/$(4))
	@$(call record,$(INSTALLED_FILES),$(if $(4),$(3)/$(4),$(addprefix $(3)/,$(notdir $(2)))))
endef

# What install writes, generated afresh with the paths of this make.
GEN_INST := $(O)/install/gen
INSTALL_DIRS = $(BINDIR) $(LIBDIR)/pkgconfig $(INCLUDEDIR) \
	$(MANDIR)/man1 $(MANDIR)/man3 $(MANDIR)/man5 \
	$(DATADIR)/bash-completion/completions \
	$(DATADIR)/zsh/vendor-completions $(DATADIR)/fish/vendor_completions.d \
	$(DOCDIR)/examples $(DOCDIR)/LICENSES $(DOCDIR)/schema
ROLE_INST = $(DOCDIR)/examples/ansible/roles/snp_certctl_fw_update
HOOKS_DIRS = $(SYSTEMDUNITDIR) $(SYSCONFDIR)/snp-certctl/hooks.d \
	$(DOCDIR)/examples/hooks $(DOCDIR)/examples/cron.d $(DOCDIR)/examples/prometheus \
	$(addprefix $(ROLE_INST)/,tasks defaults meta)

install: all $(PROG_INST)
	$(call install_dirs,$(INSTALL_DIRS) $(HOOKS_DIRS))
	$(call install_files,0755,$(PROG_INST),$(BINDIR),snp-certctl)
	$(call install_files,0755,$(LIBSO),$(LIBDIR))
	ln -sfn libsnpcert.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libsnpcert.so
	@$(call record,$(INSTALLED_FILES),$(LIBDIR)/libsnpcert.so)
	$(call install_files,0644,lib/snpcert.h,$(INCLUDEDIR))
	@mkdir -p $(GEN_INST)
	$(SUBST_PC) lib/snpcert.pc.in > $(GEN_INST)/snpcert.pc
	$(call install_files,0644,$(GEN_INST)/snpcert.pc,$(LIBDIR)/pkgconfig)
	$(call install_files,0644,$(MAN1),$(MANDIR)/man1)
	$(call install_files,0644,$(MAN3),$(MANDIR)/man3)
	$(call install_files,0644,$(MAN5),$(MANDIR)/man5)
	$(call install_files,0644,$(wildcard completions/snp-certctl.bash),$(DATADIR)/bash-completion/completions,snp-certctl)
	$(call install_files,0644,$(wildcard completions/_snp-certctl),$(DATADIR)/zsh/vendor-completions)
	$(call install_files,0644,$(wildcard completions/snp-certctl.fish),$(DATADIR)/fish/vendor_completions.d)
	$(call install_files,0644,COPYING,$(DOCDIR))
	$(call install_files,0644,$(wildcard LICENSES/*.txt),$(DOCDIR)/LICENSES)
	$(call install_files,0644,$(wildcard snp-certctl/snp-certctl.conf.example),$(DOCDIR)/examples,snp-certctl.conf)
	$(call install_files,0644,$(SCHEMAS),$(DOCDIR)/schema)
	$(MAKE) --no-print-directory install-hooks
	@# The loader's cache, for the library just installed (root, no DESTDIR).
	$(if $(DESTDIR),,@[ "$$(id -u)" != 0 ] || ldconfig)

# What runs snp-certctl at the right moment (hooks/): systemd units with the
# installed program's path, the hooks directory, and the examples.
ROLE := hooks/ansible/roles/snp_certctl_fw_update
SUBST_BINDIR = sed -e 's|/usr/bin/snp-certctl|$(BINDIR)/snp-certctl|g'
UNITS := $(sort $(wildcard hooks/systemd/*.service hooks/systemd/*.socket hooks/systemd/*.timer))
install-hooks:
	$(call install_dirs,$(HOOKS_DIRS))
	@mkdir -p $(GEN_INST)/units $(GEN_INST)/cron.d
	for f in $(UNITS); do $(SUBST_BINDIR) $$f > $(GEN_INST)/units/$${f##*/} || exit 1; done
	$(SUBST_BINDIR) hooks/cron/snp-certctl > $(GEN_INST)/cron.d/snp-certctl
	$(call install_files,0644,$(addprefix $(GEN_INST)/units/,$(notdir $(UNITS))),$(SYSTEMDUNITDIR))
	$(call install_files,0644,$(GEN_INST)/cron.d/snp-certctl,$(DOCDIR)/examples/cron.d)
	$(call install_files,0755,$(filter-out %.conf,$(wildcard hooks/examples/*)),$(DOCDIR)/examples/hooks)
	$(call install_files,0644,hooks/examples/nginx-kds-mirror.conf,$(DOCDIR)/examples)
	$(call install_files,0644,hooks/ansible/fw-update.yml hooks/ansible/fleet.yml,$(DOCDIR)/examples/ansible)
	$(call install_files,0644,hooks/prometheus/snp-certctl.rules.yml,$(DOCDIR)/examples/prometheus)
	$(call install_files,0644,$(ROLE)/tasks/main.yml,$(ROLE_INST)/tasks)
	$(call install_files,0644,$(ROLE)/defaults/main.yml,$(ROLE_INST)/defaults)
	$(call install_files,0644,$(ROLE)/meta/main.yml,$(ROLE_INST)/meta)
	$(call install_files,0644,hooks/README.md,$(DOCDIR),README.hooks.md)

# The files install recorded (those still files or links), the two records,
# then the recorded directories left empty, deepest first; nothing without
# the record of the files, nothing through a symbolic link where DOCDIR is.
uninstall:
	@set -e; $(call check_own_dirs,$(DOCDIR)); \
	files=$$(cat '$(DESTDIR)$(INSTALLED_FILES)' 2>/dev/null || true); \
	dirs=$$(cat '$(DESTDIR)$(INSTALLED_DIRS)' 2>/dev/null || true); \
	[ -n "$$files" ] || { echo "make uninstall: no $(DESTDIR)$(INSTALLED_FILES): nothing recorded, nothing removed" >&2; exit 0; }; \
	echo "rm -f (the files make install installed, as $(DESTDIR)$(INSTALLED_FILES) lists them)"; \
	for f in $$files; do \
		if [ -L '$(DESTDIR)'"$$f" ] || [ -f '$(DESTDIR)'"$$f" ]; then rm -f '$(DESTDIR)'"$$f"; fi; \
	done; \
	rm -f '$(DESTDIR)$(INSTALLED_FILES)' '$(DESTDIR)$(INSTALLED_DIRS)'; \
	for d in $$(printf '%s\n' $$dirs | sort -r); do \
		if [ -d '$(DESTDIR)'"$$d" ] && rmdir '$(DESTDIR)'"$$d" 2>/dev/null; then \
			echo "rmdir $(DESTDIR)$$d"; fi; \
	done

# ---- dist -------------------------------------------------------------------
# snp-certctl-VERSION.tar.gz in the build directory: the files git tracks,
# as they are in the working tree, below snp-certctl-VERSION/, reproducibly
# (sorted, owner root, the last commit's time).  make distcheck unpacks it in
# $(O)/distcheck and runs make, make check, install and uninstall there
# (make distcheck T='NAME...': only those tests; see check).
DIST := snp-certctl-$(VERSION)
DIST_TAR := $(O)/$(DIST).tar.gz
dist: | $(STAMP)
	@[ "$$(git rev-parse --show-toplevel 2>/dev/null)" = '$(CURDIR)' ] || \
		{ echo "make dist: $(CURDIR) is not a git checkout: the tarball is made of the files git tracks" >&2; exit 1; }
	git ls-files -z | tar --null -T - --sort=name --owner=0 --group=0 --numeric-owner \
		--mtime=@$$(git log -1 --format=%ct) --transform 's|^|$(DIST)/|' -cf - | \
		gzip -n -9 > $(DIST_TAR).tmp
	mv $(DIST_TAR).tmp $(DIST_TAR)
	@echo "made $(DIST_TAR)"

distcheck: dist
	rm -rf $(O)/distcheck && mkdir -p $(O)/distcheck
	tar -C $(O)/distcheck -xzf $(DIST_TAR)
	$(MAKE) -C $(O)/distcheck/$(DIST) O=build -j2
	$(MAKE) -C $(O)/distcheck/$(DIST) O=build check
	$(MAKE) -C $(O)/distcheck/$(DIST) O=build install DESTDIR=$(O_ABS)/distcheck/root
	$(MAKE) -C $(O)/distcheck/$(DIST) O=build uninstall DESTDIR=$(O_ABS)/distcheck/root
	@left=$$(find $(O)/distcheck/root -mindepth 1); [ -z "$$left" ] || \
		{ echo "make distcheck: uninstall left:"; echo "$$left"; exit 1; } >&2
	rm -rf $(O)/distcheck
	@echo "$(DIST_TAR) is ready for distribution"

# Everything the build made is in $(O): remove it, if this Makefile made it
# (build/ in the tree always is ours).
clean:
	@if [ -e '$(STAMP)' ] || [ '$(O_ABS)' = '$(CURDIR)/build' ]; then \
		echo "rm -rf $(O)"; rm -rf '$(O)'; \
	elif [ -e '$(O)' ]; then \
		echo "make clean: $(O) has no .snpcert-build: not a build directory of this Makefile, not removing it" >&2; \
		exit 1; \
	fi
