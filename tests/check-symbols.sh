#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# check-symbols.sh LIBSO SYMFILE: the functions libsnpcert exports must be
# exactly the global list of its version script, all in a version node.
set -eu
if [ $# -ne 2 ]; then
	echo "usage: $0 LIBSO SYMFILE" >&2
	exit 2
fi
lib=$1 sym=$2
for f in "$lib" "$sym"; do
	[ -r "$f" ] || { echo "check-symbols: cannot read '$f'" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The global: names of every node (comments, local: sections and the names
# of the nodes a node depends on, "} LIBSNPCERT_1;", dropped).
sed -e 's|/\*.*\*/||g' -e 's|/\*.*||' -e 's|.*\*/||' \
	-e 's|}[[:space:]]*[A-Za-z_][A-Za-z0-9_.]*[[:space:]]*;|};|g' "$sym" | tr -s ' \t;{}' '\n' |
	awk '/^global:$/ { g = 1; next } /^local:$/ { g = 0; next }
	     /^[A-Za-z_][A-Za-z0-9_]*$/ && g' | sort -u > "$tmp/want"
# Defined dynamic symbols, minus the version nodes themselves (type A).
nm -D --defined-only "$lib" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
	sort -u > "$tmp/have"
# Every exported symbol must carry a version.
unversioned=$(nm -D --defined-only --with-symbol-versions "$lib" 2>/dev/null |
	awk '$2 != "A" && $3 !~ /@/' || true)

status=0
if ! cmp -s "$tmp/want" "$tmp/have"; then
	echo "check-symbols: exported symbols of $lib differ from $sym:" >&2
	diff "$tmp/want" "$tmp/have" | sed -n 's/^</  missing:   /p; s/^>/  unlisted:  /p' >&2
	status=1
fi
if [ -n "$unversioned" ]; then
	echo "check-symbols: unversioned exports in $lib:" >&2
	echo "$unversioned" >&2
	status=1
fi
[ $status -eq 0 ] && echo "check-symbols: $(wc -l < "$tmp/have") symbols, all in $sym"
exit $status
