#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The Makefile: every build product under the build directory, make clean
# removing exactly that, and `make check T=NAME` running one test alone.
# It tests the Makefile, not a build: tests/run-all runs it once, with the
# plain build.

load helpers

setup() {
	common_setup
}

# make in a plain environment: none of the settings of the make, run-all
# and bats this runs under (MAKEFLAGS, O, T, SNPCERT_*, bats' own, and the
# libexec directory bats puts first in PATH, whose bats cannot run alone).
clean_make() {
	local path
	path=$(tr ':' '\n' <<< "$PATH" | grep -v '/bats-core$' | paste -sd:)
	env -i PATH="$path" HOME="$HOME" TMPDIR="${TMPDIR:-/tmp}" LANG=C.UTF-8 make "$@"
}

# Whether the tree is a git checkout of its own (not an unpacked tarball,
# which may lie inside another checkout's build directory).
in_git() {
	[ "$(git -C "$REPO" rev-parse --show-toplevel 2>/dev/null)" = "$REPO" ]
}

# A fresh clone of the repository with the working tree's changes on top
# (committed there), so what is tested is what is in the tree.  From an
# unpacked tarball (no git): the tree without its build directory, made a
# repository of its own.
fresh_clone() {
	if ! in_git; then
		mkdir -p "$1"
		tar -C "$REPO" --exclude=./build -cf - . | tar -C "$1" -xf -
		git -C "$1" init -q
		git -C "$1" add -A
		git -C "$1" -c user.name=test -c user.email=test@invalid commit -qm tarball
		return
	fi
	git clone -q "$REPO" "$1"
	git -C "$REPO" diff --binary HEAD > "$T/changes.diff"
	[ ! -s "$T/changes.diff" ] || git -C "$1" apply --binary "$T/changes.diff"
	git -C "$REPO" ls-files -z --others --exclude-standard |
		tar -C "$REPO" --null -T - -cf - | tar -C "$1" -xf -
	git -C "$1" add -A
	git -C "$1" -c user.name=test -c user.email=test@invalid commit -qm "working tree" \
		--allow-empty
	[ -z "$(git -C "$1" status --porcelain --ignored)" ]
}

@test "make: in a fresh clone all made is under build/, make clean leaves it as it was; dist is the tracked files, reproducibly; distcheck: make, make check T=NAME from scratch, install and uninstall in the tarball" {
	local version dist n
	version=$(sed -n 's/^VERSION := //p' "$REPO/Makefile")
	dist="snp-certctl-$version"
	fresh_clone "$T/clone"
	cd "$T/clone"
	run clean_make -s dist
	assert_success
	assert_output "made build/$dist.tar.gz"
	# Exactly the tracked files, below snp-certctl-VERSION/, owned by 0/0.
	diff <(git ls-files | sed "s|^|$dist/|" | sort) <(tar -tzf "build/$dist.tar.gz" | sort)
	tar -tvzf "build/$dist.tar.gz" | awk '$2 != "0/0" { print; bad = 1 } END { exit bad }'
	# Reproducible: the same tree gives the same bytes.
	cp "build/$dist.tar.gz" "$T/first.tar.gz"
	clean_make -s dist > /dev/null
	cmp "$T/first.tar.gz" "build/$dist.tar.gz"

	# distcheck: unpacked in build/distcheck, make (the program and the
	# library), then make check T=show from there: the tests, the sanitizer
	# build and the fixtures are made on demand, and only show.bats runs, on
	# both builds; then install and uninstall.
	run clean_make distcheck T=show
	assert_success
	n=$(grep -c '^@test' tests/cli/show.bats)
	local top="$T/clone/build/distcheck/$dist"
	assert_line --partial "cc -D_GNU_SOURCE"
	[ "$(grep -c '^# ==== ' <<< "$output")" = 2 ]
	assert_line "# ==== cli ($top/build): tests/cli/show.bats"
	assert_line "# ==== cli ($top/build/san): tests/cli/show.bats"
	assert_line "$((2 * n)) passed, 0 failed"
	assert_line --regexp "^install -m 0755 build/install/snp-certctl $T/clone/build/distcheck/root/usr/local/bin/snp-certctl\$"
	assert_line "build/$dist.tar.gz is ready for distribution"
	[ ! -e build/distcheck ]
	run git status --porcelain --ignored
	assert_output '!! build/'
	run clean_make clean
	assert_success
	run git status --porcelain --ignored
	assert_output ''
}

@test "make dist: from an unpacked tarball (no git checkout) it refuses" {
	mkdir "$T/tree"
	tar -C "$REPO" --exclude=./build --exclude=./.git -cf - . | tar -C "$T/tree" -xf -
	run clean_make -s -C "$T/tree" O="$T/o" dist
	assert_failure
	assert_output --partial "is not a git checkout"
	[ ! -e "$T/o/snp-certctl-"*.tar.gz ]
}

@test "make check T=NAME: a unit test alone, with or without test-; several names" {
	local n t
	n=$(build_unit_plan test-ghcb)
	for t in test-ghcb ghcb; do
		run clean_make -s -C "$REPO" O="$SNPCERT_O" check T="$t"
		assert_success
		[ "$(grep -c '^# ==== ' <<< "$output")" = 2 ]
		assert_line "# ==== unit $SNPCERT_O/tests/unit/test-ghcb"
		assert_line "# ==== unit $SNPCERT_O/san/tests/unit/test-ghcb"
		assert_line "$((2 * n)) passed, 0 failed"
	done
	run clean_make -s -C "$REPO" O="$SNPCERT_O" check T="ghcb main"
	assert_success
	[ "$(grep -c '^# ==== ' <<< "$output")" = 4 ]
	assert_line "$((2 * n + 2 * $(grep -c '^@test' "$REPO/tests/cli/main.bats"))) passed, 0 failed"
}

# The number of TAP results unit test $1 of the plain build prints.
build_unit_plan() {
	"$SNPCERT_O/tests/unit/$1" | sed -n 's/^1\.\.//p'
}

@test "make check T=NAME: an unknown name fails at once, naming the tests there are" {
	run clean_make -C "$REPO" O="$T/none" check T="show nosuchtest"
	assert_failure 2
	assert_output --partial "unknown test 'nosuchtest': there is no tests/cli/nosuchtest.bats and no tests/unit/test-nosuchtest.c"
	assert_output --regexp "bats files:.* show "
	assert_output --regexp "unit tests:.* test-ghcb "
	refute_output --partial "# ===="
	# Nothing was built.
	[ ! -e "$T/none" ]
}

@test "make clean: removes only a build directory of its own; O is never the tree" {
	mkdir "$T/mine"
	echo keep > "$T/mine/file"
	run clean_make -C "$REPO" O="$T/mine" clean
	assert_failure
	assert_output --partial "make clean: $T/mine has no .snpcert-build: not a build directory of this Makefile, not removing it"
	[ "$(cat "$T/mine/file")" = keep ]
	for o in . "$REPO" .. lib tests/cli; do
		run clean_make -C "$REPO" O="$o" clean
		assert_failure 2
		assert_output --regexp "O=$o is (the source tree or above it|inside a source directory)"
	done
	[ -f "$REPO/Makefile" ]
	[ -f "$REPO/tests/unit/tap.h" ]
}
