#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo `make demo` runs, on built-in defaults: build a real certificate
# table from AMD's sample Milan VCEK and the built-in AMD roots, show it,
# verify it, then update it in place under the exclusive lock while a
# VMM-style reader holds its shared lock.  The program is that of
# SNPCERT_BUILD (default: build/ in the tree); writes only below DEMO_DIR
# (default: demo/ in that build directory).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SNPCERT_BUILD:-$top/build}
prog=$build/snp-certctl/snp-certctl
dir=${DEMO_DIR:-$build/demo}
table=$dir/host.certs
note_guid=5e1c0de0-0000-4000-8000-000000000001

step() {
	printf '\n==> %s\n' "$*"
}
run() {
	printf '$ %s\n' "$*" | sed "s|$top/||g"
	"$@"
}

rm -rf "$dir"
mkdir -p "$dir"
# The demo stands alone: the store is its own directory, an empty config.
: > "$dir/demo.conf"
export SNP_CERTCTL_STORE="$dir" SNP_CERTCTL_CONFIG="$dir/demo.conf"

step "Build a table from a real Milan VCEK; ASK and ARK come from the built-in AMD roots"
run "$prog" build -o "$table" --vcek "$top/tests/data/milan-vcek.pem"

step "Show every entry"
run "$prog" show "$table"

step "Verify the chain to the built-in ARK-Milan, and that the VCEK is for TCB bl=2,tee=0,snp=5,ucode=68"
run "$prog" verify "$table" --tcb bl=2,tee=0,snp=5,ucode=68

step "Update the table in place while a reader holds the shared lock for 2 seconds"
inode_before=$(stat -c %i "$table")
"$prog" lock --shared "$table" -- sleep 2 &
reader=$!
sleep 0.3
printf 'host note, kept byte for byte\n' > "$dir/note.bin"
run "$prog" update "$table" --entry "$note_guid=$dir/note.bin"
wait "$reader"
inode_after=$(stat -c %i "$table")
echo "inode before $inode_before, after $inode_after: $(
	[ "$inode_before" = "$inode_after" ] && echo "updated in place" || echo "REPLACED")"
[ "$inode_before" = "$inode_after" ]

step "The updated table still verifies"
run "$prog" verify --quiet "$table"
run "$prog" show "$table" | tail -n 3

printf '\nDemo done: the table is %s\n' "$table"
