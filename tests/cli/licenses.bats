#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Licences: every source file names its licence in an SPDX-License-Identifier
# line at its top, every licence named has its text in LICENSES/, and COPYING
# says which parts are under which.

load helpers

setup() {
	common_setup
}

# The files of the tree, one per line, relative to it: what git tracks plus
# new files not ignored, or, in an unpacked tarball (no git of its own),
# every file but the build directory's.
tree_files() {
	if [ "$(git -C "$REPO" rev-parse --show-toplevel 2>/dev/null)" = "$REPO" ]; then
		git -C "$REPO" ls-files --cached --others --exclude-standard |
			while IFS= read -r f; do [ -f "$REPO/$f" ] && echo "$f"; done
	else
		(cd "$REPO" && find . -path ./build -prune -o -type f -print | sed 's|^\./||')
	fi
}

# Files that are not source code and carry no SPDX line: documentation
# (Markdown, the change log), the licence texts themselves, data (AMD's
# published certificates, JSON schemas, which have no comment syntax) and
# git's own configuration.
not_source() {
	grep -vE -e '\.md$' -e '^CHANGELOG$' -e '^COPYING$' -e '^LICENSES/' \
		-e '^formats/amd-roots/.*\.pem$' -e '^formats/sev-roots/.*\.cert$' -e '^tests/data/' -e '\.json$' -e '^\.gitignore$'
}

# check_spdx ROOT FILE...: every FILE (relative to ROOT) has an
# SPDX-License-Identifier in its first three lines; lists those that lack one.
check_spdx() {
	local root=$1 f bad=0
	shift
	for f in "$@"; do
		head -n 3 "$root/$f" | grep -q 'SPDX-License-Identifier: [A-Za-z0-9.+-]' && continue
		echo "no SPDX-License-Identifier: $f"
		bad=1
	done
	return $bad
}

@test "licences: every source file has an SPDX-License-Identifier at its top" {
	local files
	mapfile -t files < <(tree_files | not_source)
	[ "${#files[@]}" -ge 150 ] || fail "only ${#files[@]} source files found"
	check_spdx "$REPO" "${files[@]}"
}

@test "licences: the check fails on a file without one" {
	mkdir -p "$T/tree"
	printf '#!/bin/sh\n# SPDX-License-Identifier: GPL-2.0-or-later\n' > "$T/tree/good.sh"
	printf '#!/bin/sh\necho no licence\n' > "$T/tree/bad.sh"
	run check_spdx "$T/tree" good.sh bad.sh
	assert_failure
	assert_output "no SPDX-License-Identifier: bad.sh"
}

@test "licences: every identifier used has its text in LICENSES/, COPYING names it; no text unused" {
	local ids id bad=0
	ids=$(tree_files | not_source | (cd "$REPO" && xargs -d '\n' head -q -n 3) |
		sed -n 's/.*SPDX-License-Identifier: \([A-Za-z0-9.+-]*\).*/\1/p' | sort -u)
	[ "$(wc -l <<< "$ids")" -ge 2 ]
	for id in $ids; do
		[ -s "$REPO/LICENSES/$id.txt" ] || { echo "no LICENSES/$id.txt"; bad=1; }
		grep -q "^  $id " "$REPO/COPYING" || { echo "COPYING does not name $id"; bad=1; }
	done
	for f in "$REPO"/LICENSES/*.txt; do
		id=$(basename "$f" .txt)
		grep -qx -- "$id" <<< "$ids" || { echo "LICENSES/$id.txt: no file uses it"; bad=1; }
	done
	# The texts are the licences they are named after.
	grep -q 'GNU GENERAL PUBLIC LICENSE' "$REPO/LICENSES/GPL-2.0-or-later.txt"
	grep -q 'Version 2, June 1991' "$REPO/LICENSES/GPL-2.0-or-later.txt"
	grep -q 'GNU LESSER GENERAL PUBLIC LICENSE' "$REPO/LICENSES/LGPL-2.1-or-later.txt"
	grep -q 'Version 2.1, February 1999' "$REPO/LICENSES/LGPL-2.1-or-later.txt"
	return $bad
}

@test "licences: the library and the codecs are LGPL, the program GPL" {
	local f bad=0
	for f in "$REPO"/lib/*.[ch] "$REPO"/formats/*.[ch]; do
		head -n 2 "$f" | grep -q 'SPDX-License-Identifier: LGPL-2.1-or-later' ||
			{ echo "not LGPL-2.1-or-later: ${f#"$REPO"/}"; bad=1; }
	done
	for f in "$REPO"/snp-certctl/*.[ch]; do
		head -n 2 "$f" | grep -q 'SPDX-License-Identifier: GPL-2.0-or-later' ||
			{ echo "not GPL-2.0-or-later: ${f#"$REPO"/}"; bad=1; }
	done
	return $bad
}
