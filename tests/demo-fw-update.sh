#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# `make demo-fw-update`: a firmware update on a simulated SEV-SNP host, end
# to end, with nothing real at stake.  The firmware is the LD_PRELOAD
# simulation (tests/fakes/sev.so), AMD KDS is the loopback stand-in
# (tests/fakes/kds-server.py) serving VCEKs of a generated Milan test chain.
# snp-certctl itself is the real program, that of SNPCERT_BUILD (default:
# build/ in the tree).  Writes only below DEMO_DIR (default: demo/fw-update
# in that build directory) and the fixtures (SNPCERT_FIXTURES, default
# build/fixtures).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SNPCERT_BUILD:-$top/build}
prog=$build/snp-certctl/snp-certctl
fx=${SNPCERT_FIXTURES:-$top/build/fixtures}
dir=${DEMO_DIR:-$build/demo/fw-update}

step() {
	printf '\n==> %s\n' "$*"
}
run() {
	printf '$ %s\n' "$*" | sed -e "s|$top/||g" -e "s|$dir/|demo/|g"
	"$@"
}

step "Generate a test chain (ARK, ASK, VCEKs) with the openssl CLI (once, ~30 s)"
"$top/tests/fixtures/gen-chains.sh" "$fx"

rm -rf "$dir"
mkdir -p "$dir/store" "$dir/cache" "$dir/hooks"
: > "$dir/demo.conf"
hwid=$(printf '%02x' $(seq 0 63))
cat > "$dir/sev.state" <<EOT
api_major=1
api_minor=55
build_id=21
state=1
current_tcb=0x7308000000000103
reported_tcb=0x7308000000000103
chip_id=$hwid
guest_count=2
EOT

python3 "$top/tests/fakes/kds-server.py" --fixtures "$fx" --port-file "$dir/kds.port" \
	--log "$dir/kds.log" --idle 120 --parent-pid $$ > "$dir/kds.out" 2>&1 &
kds=$!
trap 'kill $kds 2>/dev/null || true' EXIT
i=0
until [ -s "$dir/kds.port" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$dir/kds.out" >&2; exit 1; }
	sleep 0.1
done

# The simulated host: its firmware, KDS, store and trust in the test root.
export LD_PRELOAD="$build/tests/fakes/sev.so" FAKE_SEV_STATE="$dir/sev.state" \
	FAKE_SEV_LOG="$dir/sev.log" FAKE_SEV_DEVICE="$dir/sev" SNP_CERTCTL_DEVICE="$dir/sev" \
	SNP_CERTCTL_CONFIG="$dir/demo.conf" SNP_CERTCTL_STORE="$dir/store" \
	SNP_CERTCTL_CACHE_DIR="$dir/cache" SNP_CERTCTL_HOOKS_DIR="$dir/hooks" \
	SNP_CERTCTL_KDS_URL="http://127.0.0.1:$(cat "$dir/kds.port")" SNP_CERTCTL_PRODUCT=Milan \
	SNP_CERTCTL_TRUST_ROOT="$fx/milan/ark.pem" ASAN_OPTIONS=verify_asan_link_order=0

step "A table for the host's current reported TCB (bl=3,tee=1,snp=8,ucode=115)"
run "$prog" build -o "$dir/store/host.certs" --vcek "$fx/milan/vcek.pem" \
	--ask "$fx/milan/ask.pem" --ark "$fx/milan/ark.pem"
run "$prog" status

step "A hook that logs each event (hooks run at pre-update, locked, post-update)"
cat > "$dir/hooks/50-log" <<'EOT'
#!/bin/sh
echo "hook: $SNP_CERTCTL_EVENT old=${SNP_CERTCTL_OLD_TCB:-?} new=${SNP_CERTCTL_NEW_TCB:-?}" >&2
EOT
chmod 755 "$dir/hooks" "$dir/hooks/50-log"

step "The firmware update: the locks are held across the firmware step, then SNP_COMMIT and SNP_SET_CONFIG, then the new VCEK"
cat > "$dir/apply-firmware" <<EOT
#!/bin/sh
# Stands in for the vendor's firmware tool: the new firmware raises the TCB.
echo "firmware step: installing firmware with TCB bl=4,tee=2,snp=9,ucode=116"
sed -i 's/^current_tcb=.*/current_tcb=0x7409000000000204/' "$dir/sev.state"
EOT
chmod 755 "$dir/apply-firmware"
run "$prog" fw-update --commit --reported-tcb current -- "$dir/apply-firmware"

step "The table now carries the VCEK for the new reported TCB, in place"
run "$prog" show "$dir/store/host.certs" | sed -n '1,2p;/tcb/p'
run "$prog" status | tail -n 2
echo "firmware commands issued: $(grep -o 'SNP_[A-Z_]*' "$dir/sev.log" | sort -u | tr '\n' ' ')"
echo "KDS requests: $(wc -l < "$dir/kds.log")"

step "A refresh now has nothing to do: no KDS request, no lock"
run "$prog" refresh
echo "KDS requests: $(wc -l < "$dir/kds.log")"
printf '\nDemo done (files under %s)\n' "$dir"
