#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo `make demo` runs, on built-in defaults: build a real certificate
# table from AMD's sample Milan VCEK and the built-in AMD roots, show it,
# verify it, then update it in place under the exclusive lock while a
# VMM-style reader holds its shared lock.  The program is that of
# SNPCERT_BUILD (default: build/ in the tree); writes only below DEMO_DIR
# (default: demo/ in that build directory).
#
# Every command the demo runs is printed first ("$ ..."), exactly as the
# shell runs it: run CODE prints CODE, then evaluates it, in DEMO_DIR, with
# the build's snp-certctl first in PATH.
# shellcheck disable=SC2016 # CODE is quoted as printed; run expands it
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SNPCERT_BUILD:-$top/build}
dir=${DEMO_DIR:-$build/demo}

step() {
	printf '\n==> %s\n' "$*"
}
run() {
	printf '$ %s\n' "$1"
	eval "$1"
}

rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
PATH=$build/snp-certctl:$PATH

step "The demo stands alone: the store is this directory, the configuration empty"
run ': > demo.conf'
run 'export SNP_CERTCTL_STORE="$PWD" SNP_CERTCTL_CONFIG="$PWD/demo.conf"'
run "cp '$top/tests/data/milan-vcek.pem' vcek.pem"

step "Build a table from a real Milan VCEK; ASK and ARK come from the built-in AMD roots"
run 'snp-certctl build -o host.certs --vcek vcek.pem'

step "Show every entry"
run 'snp-certctl show host.certs'

step "Verify the chain to the built-in ARK-Milan, and that the VCEK is for TCB bl=2,tee=0,snp=5,ucode=68"
run 'snp-certctl verify host.certs --tcb bl=2,tee=0,snp=5,ucode=68'

step "Update the table in place while a reader holds the shared lock for 2 seconds"
run 'stat -c "inode %i" host.certs > inode.before'
run 'snp-certctl lock --shared host.certs -- sleep 2 & reader=$!'
run 'sleep 0.3'
run "printf 'host note, kept byte for byte\\n' > note.bin"
run 'snp-certctl update host.certs --entry 5e1c0de0-0000-4000-8000-000000000001=note.bin'
run 'wait "$reader"'
run 'stat -c "inode %i" host.certs > inode.after'
echo "$(cat inode.before) before, $(cat inode.after) after: $(
	cmp -s inode.before inode.after && echo "updated in place" || echo "REPLACED")"
cmp -s inode.before inode.after

step "The updated table still verifies"
run 'snp-certctl verify --quiet host.certs'
run 'snp-certctl show host.certs | tail -n 3'

printf '\nDemo done: the table is %s\n' "$dir/host.certs"
