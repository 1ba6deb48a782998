#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# mirror: the verified cache as a static tree (formats/mirror-layout.md),
# --hosts from real `status --json` documents of simulated Milan and Genoa
# hosts and from text lines, against the KDS stand-in
# (tests/fakes/kds-server.py, counting requests); hosts using the mirror
# (kds_mirror, --kds-mirror) served by a plain static HTTP server
# (python3 -m http.server): no KDS request when the mirror has it, the
# fallback on a miss and on a tampered entry, --offline.

load helpers

HW_MILAN=$(printf '%02x' $(seq 0 63))
HW_GENOA=$(printf '%02x' $(seq 64 127))

setup_file() {
	kds_file_setup
	old_vcek bl=3,tee=1,snp=7,ucode=115
}

teardown_file() {
	stop_kds http
}

setup() {
	common_setup
	simulated_host
	# Both test roots, for a fleet of Milan and Genoa hosts.
	unset SNP_CERTCTL_TRUST_ROOT
	ROOTS=(--trust-root "$SNPCERT_FIXTURES/milan/ark.pem"
		--trust-root "$SNPCERT_FIXTURES/genoa/ark.pem")
	M="$T/mirror"
}

teardown() {
	stop_jobs
}

# status --json of the simulated host as PRODUCT's test platform.
host_status() {
	fake_test_platform "$1"
	fake status --json
}

# Every path of DIR/index.json exists with its size and sha256, and DIR
# holds nothing else (but the index).
index_matches() {
	local dir=$1 path sum size n
	n=0
	while read -r path sum size; do
		[ -f "$dir/$path" ] || { echo "index: no $dir/$path"; return 1; }
		[ "$(sha256sum <"$dir/$path" | cut -d' ' -f1)" = "$sum" ] ||
			{ echo "index: sha256 of $path"; return 1; }
		[ "$(stat -c %s "$dir/$path")" = "$size" ] || { echo "index: size of $path"; return 1; }
		n=$((n + 1))
	done < <(jq -r '.entries[] | "\(.path) \(.sha256) \(.size)"' "$dir/index.json")
	[ "$(find "$dir" -type f ! -name index.json | wc -l)" = "$n" ] ||
		{ echo "index: $n entries, other files in $dir"; return 1; }
}

index_valid() {
	python3 - "$REPO/formats/mirror-index.schema.json" "$1/index.json" <<-'EOF'
		import json, sys, jsonschema
		schema = json.load(open(sys.argv[1]))
		jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[2])))
	EOF
}

@test "mirror --hosts: status --json documents of a Milan and a Genoa host, concatenated; one request per key" {
	host_status milan >"$T/milan.json"
	host_status genoa >"$T/genoa.json"
	assert_equal "$(jq -r .product "$T/genoa.json")" Genoa
	cat "$T/milan.json" "$T/genoa.json" "$T/milan.json" >"$T/fleet.json"
	run --separate-stderr certctl mirror "$M" --hosts "$T/fleet.json" --rate 50/s "${ROOTS[@]}"
	assert_success
	# Two VCEKs (each with its CA chain, needed to verify it) and the CRLs.
	assert_equal "$(kds_requests)" 6
	assert_equal "$(kds_requests "/vcek/v1/Milan/$HW_MILAN?")" 1
	assert_equal "$(kds_requests "/vcek/v1/Genoa/$HW_GENOA?")" 1
	assert_equal "$(grep -c '^snp-certctl: \[[1-6]/6\] ' <<<"$stderr")" 6
	[[ "$stderr" == *"[1/6] Milan VCEK hwid 00010203...3f TCB bl=3,tee=1,snp=8,ucode=115: fetched (5 left)"* ]]
	[[ "$stderr" == *"[3/6] Milan VCEK CA chain: in the cache (3 left)"* ]]
	[[ "$stderr" == *"mirror: 6 entries written, 4 fetched, 0 unchanged, 0 failed"* ]]
	# The cache's layout, path-only.
	[ -f "$M/vcek/Milan/$HW_MILAN/7308000000000103.der" ]
	[ -f "$M/vcek/Genoa/$HW_GENOA/480e000000000207.der" ]
	[ -f "$M/vcek/Milan/cert_chain.pem" ]
	[ -f "$M/vcek/Genoa/crl.der" ]
	cmp "$M/vcek/Milan/$HW_MILAN/7308000000000103.der" \
		"$T/cache/vcek/Milan/$HW_MILAN/7308000000000103.der"
	assert_equal "$(find "$M" -type f ! -perm 0644 | wc -l)" 0
	assert_equal "$(find "$M" -type d ! -perm 0755 | wc -l)" 0
	index_matches "$M"
	index_valid "$M"
	assert_equal "$(jq -r '.format' "$M/index.json")" 1
	assert_equal "$(jq -r '[.entries[] | .kind] | sort | join(" ")' "$M/index.json")" \
		"chain chain crl crl vcek vcek"
	assert_equal "$(jq -r '.entries[] | select(.product == "Milan" and .kind == "vcek") |
		"\(.hwid) \(.tcb.raw)"' "$M/index.json")" "$HW_MILAN $FX_TCB_MILAN"
	# Again: no request (the cache has it all), nothing rewritten.
	ino=$(stat -c %i "$M/vcek/Milan/cert_chain.pem")
	: >"$KDS_LOG"
	run --separate-stderr certctl mirror "$M" --hosts "$T/fleet.json" "${ROOTS[@]}" --json
	assert_success
	assert_equal "$(kds_requests)" 0
	assert_equal "$(jq -c '[.entries, .written, .unchanged, .fetched, .skipped, .failed]' <<<"$output")" \
		'[6,0,6,0,0,[]]'
	assert_equal "$(stat -c %i "$M/vcek/Milan/cert_chain.pem")" "$ino"
	json_keys_documented mirror
}

@test "mirror --hosts: text lines, comments, a key given twice (spec and raw), a Turin chip" {
	cat >"$T/hosts" <<-EOF
		# the fleet
		Milan $HW_MILAN bl=3,tee=1,snp=8,ucode=115

		milan $HW_MILAN $FX_TCB_MILAN
		  Turin ${FX_HWID_TURIN:0:16} fmc=1,bl=4,tee=3,snp=22,ucode=71
	EOF
	run --separate-stderr certctl mirror "$M" --hosts "$T/hosts" --rate 50 "${ROOTS[@]}" \
		--trust-root "$SNPCERT_FIXTURES/turin/ark.pem"
	assert_success
	assert_equal "$(kds_requests "/vcek/v1/Milan/$HW_MILAN?")" 1
	assert_equal "$(kds_requests "/vcek/v1/Turin/${FX_HWID_TURIN:0:16}?fmcSPL=1&")" 1
	assert_equal "$(kds_requests)" 6
	[ -f "$M/vcek/Turin/${FX_HWID_TURIN:0:16}/4700000016030401.der" ]
	index_matches "$M"
}

@test "mirror: the cache only; files appear whole (created as temporary names, renamed), the index last" {
	certctl fetch vcek --product Milan --hwid "$HW_MILAN" --tcb "$FX_TCB_MILAN" \
		"${ROOTS[@]}" -q -o /dev/null
	certctl fetch crl --product Milan "${ROOTS[@]}" -q -o /dev/null
	# The directories there already: a watch on a directory made meanwhile
	# comes too late for what is renamed into it at once.
	mkdir -p "$M/vcek/Milan/$HW_MILAN"
	inotifywait -m -r -e create,moved_to --format '%e %f' "$M" \
		>"$T/events" 2>"$T/inotify.err" &
	watcher=$!
	for i in $(seq 100); do
		grep -q 'Watches established' "$T/inotify.err" && break
		sleep 0.1
	done
	run --separate-stderr certctl mirror "$M" "${ROOTS[@]}"
	assert_success
	[[ "$stderr" == *"mirror: 3 entries written, 0 fetched, 0 unchanged, 0 failed"* ]]
	assert_equal "$(kds_requests)" 3 # the fetches above only: VCEK, its chain, CRL
	# Wait for the index's event, then stop watching.
	for i in $(seq 100); do
		grep -q '^MOVED_TO index.json$' "$T/events" && break
		sleep 0.1
	done
	kill "$watcher"
	# A file with a final name is never created (then written): only renamed into place,
	# written and fsync'd under a temporary name first.
	run grep -E "^CREATE [^.]" "$T/events"
	assert_failure
	assert_equal "$(grep -c '^MOVED_TO ' "$T/events")" 4
	assert_equal "$(grep '^MOVED_TO ' "$T/events" | tail -n 1)" "MOVED_TO index.json"
	index_matches "$M"
}

@test "mirror: a cached entry that does not verify is skipped with a warning, not mirrored" {
	certctl fetch vcek --product Milan --hwid "$HW_MILAN" --tcb "$FX_TCB_MILAN" \
		"${ROOTS[@]}" -q -o /dev/null
	# Another TCB's VCEK under this TCB's name.
	bad="$T/cache/vcek/Milan/$HW_MILAN/7307000000000103.der"
	cp "$T/cache/vcek/Milan/$HW_MILAN/7308000000000103.der" "$bad"
	run --separate-stderr certctl mirror "$M" "${ROOTS[@]}" --json
	assert_success
	[[ "$stderr" == *"warning: not mirroring 'vcek/Milan/$HW_MILAN/7307000000000103.der': the cached VCEK '$bad' does not verify: "* ]]
	[ ! -e "$M/vcek/Milan/$HW_MILAN/7307000000000103.der" ]
	[ -f "$M/vcek/Milan/$HW_MILAN/7308000000000103.der" ]
	assert_equal "$(jq -c '[.entries, .skipped]' <<<"$output")" '[2,1]'
	index_matches "$M"
	# Without the CA chain its VCEK cannot be verified (a private root): said, skipped.
	rm "$bad" "$T/cache/vcek/Milan/cert_chain.pem"
	run --separate-stderr certctl mirror "$T/m2" "${ROOTS[@]}" --json
	assert_success
	[[ "$stderr" == *"warning: not mirroring 'vcek/Milan/$HW_MILAN/7308000000000103.der': no Milan VCEK CA chain in the cache"* ]]
	assert_equal "$(jq -c '[.entries, .skipped]' <<<"$output")" '[0,1]'
	assert_equal "$(jq -c '.entries' "$T/m2/index.json")" '[]'
}

@test "mirror --hosts: a file at fault is an error naming it and its line (exit 2): no request, nothing written" {
	printf 'Milan %s bl=3,tee=1,snp=8,ucode=115\nMilan 0102 bl=3,tee=1,snp=8,ucode=115\n' \
		"$HW_MILAN" >"$T/bad"
	run --separate-stderr certctl mirror "$M" --hosts "$T/bad" "${ROOTS[@]}"
	assert_failure 2
	assert_equal "$stderr" "snp-certctl: $T/bad:2: the chip id is 4 hex digits, not 128"
	host_status milan >"$T/one.json"
	{ cat "$T/one.json"; printf '{"product": "Milan",\n "sev": {}}\n'; } >"$T/bad.json"
	n=$(wc -l <"$T/one.json")
	run --separate-stderr certctl mirror "$M" --hosts "$T/one.json" --hosts "$T/bad.json" \
		"${ROOTS[@]}"
	assert_failure 2
	assert_equal "$stderr" "snp-certctl: $T/bad.json:$((n + 1)): no \"sev\".\"chip_id\" (no SEV device, or the chip id is masked or unreadable)"
	printf '{"product": "Milan", "sev": {' >"$T/cut.json"
	run --separate-stderr certctl mirror "$M" --hosts "$T/cut.json"
	assert_failure 2
	[[ "$stderr" == "snp-certctl: $T/cut.json:1: not JSON: "* ]]
	run --separate-stderr certctl mirror "$M" --hosts "$T/none"
	assert_failure 2
	run --separate-stderr certctl mirror "$M" --rate 0
	assert_failure 2
	assert_equal "${stderr%%$'\n'*}" "snp-certctl: mirror: invalid --rate '0': want requests per second, e.g. 1, 0.1 or 5/s"
	run --separate-stderr certctl mirror
	assert_failure 2
	assert_equal "$(kds_requests)" 0
	[ ! -e "$M" ]
	assert_equal "$(find "$T/cache" -type f | wc -l)" 0
}

@test "mirror --hosts: KDS failing for one key: the others go on, exit 6, the index lists what is there" {
	printf 'Genoa %s %s\n' "$HW_GENOA" "$FX_TCB_GENOA" >"$T/hosts"
	certctl mirror "$M" --hosts "$T/hosts" --rate 50 "${ROOTS[@]}" -q
	printf 'Milan %s %s\n' "$HW_MILAN" "$FX_TCB_MILAN" >>"$T/hosts"
	# The stand-in now refuses every VCEK: Milan's fails, Genoa's is cached.
	kds_mode 404
	run --separate-stderr certctl mirror "$M" --hosts "$T/hosts" --rate 50 "${ROOTS[@]}" --json
	assert_failure 6
	[[ "$stderr" == *"snp-certctl: [1/6] Milan VCEK hwid 00010203...3f TCB bl=3,tee=1,snp=8,ucode=115: failed: KDS answered 404 for "*"(5 left)"* ]]
	[[ "$stderr" == *"[2/6] Genoa VCEK hwid 40414243...7f TCB bl=7,tee=2,snp=14,ucode=72: in the cache (4 left)"* ]]
	[[ "$stderr" == *"mirror: 2 entries written, 2 fetched, 3 unchanged, 1 failed"* ]]
	assert_equal "$(jq -r '.failed[0].what' <<<"$output")" \
		"Milan VCEK hwid 00010203...3f TCB bl=3,tee=1,snp=8,ucode=115"
	assert_equal "$(jq -r '.entries' <<<"$output")" 5
	assert_equal "$(jq -r '.error.exit' <<<"$output")" 6
	index_matches "$M"
	[ -f "$M/vcek/Genoa/$HW_GENOA/480e000000000207.der" ]
}

@test "mirror --hosts: a 429 with Retry-After is waited out as asked, and counted as one key" {
	printf 'Milan %s %s\n' "$HW_MILAN" "$FX_TCB_MILAN" >"$T/hosts"
	kds_mode 429 count=1 retry=1
	run --separate-stderr certctl mirror "$M" --hosts "$T/hosts" --rate 50 "${ROOTS[@]}"
	assert_success
	[[ "$stderr" == *"KDS rate-limited the request for Milan VCEK hwid 00010203...3f TCB bl=3,tee=1,snp=8,ucode=115 (429); retrying in "*" s as asked (attempt 2 of "* ]]
	assert_equal "$(kds_requests " 429")" 1
	assert_equal "$(kds_requests "/vcek/v1/Milan/$HW_MILAN?.* 200")" 1
	[[ "$stderr" == *"mirror: 3 entries written, 2 fetched, 0 unchanged, 0 failed"* ]]
	# Rate limiting: every request the stand-in saw was one the progress
	# lines announced (a key, its chain, the CRL), and the 429's retry.
	assert_equal "$(kds_requests)" 4
	# --offline: what the cache lacks fails (exit 6), no request.
	: >"$KDS_LOG"
	printf 'Milan %s bl=3,tee=1,snp=9,ucode=115\n' "$HW_MILAN" >>"$T/hosts"
	run --separate-stderr certctl mirror "$M" --hosts "$T/hosts" --offline "${ROOTS[@]}"
	assert_failure 6
	assert_equal "$(kds_requests)" 0
	[[ "$stderr" == *"mirror: 0 entries written, 0 fetched, 3 unchanged, 1 failed"* ]]
}

# A mirror of this host's keys (status --json -> mirror --hosts), served;
# then a fresh cache and an empty KDS log.
mirror_of_this_host() {
	host_status milan >"$T/host.json"
	certctl mirror "$M" --hosts "$T/host.json" --rate 50 "${ROOTS[@]}" -q
	serve_mirror "$M"
	export SNP_CERTCTL_CACHE_DIR="$T/cache2"
	export SNP_CERTCTL_TRUST_ROOT="$SNPCERT_FIXTURES/milan/ark.pem"
	: >"$KDS_LOG"
}

@test "hosts: refresh with kds_mirror set makes no KDS request when the mirror has the keys" {
	mirror_of_this_host
	old_table "$T/store/t.certs"
	printf 'kds_mirror = %s\n' "$MIRROR_URL" >"$T/m.conf"
	run --separate-stderr env SNP_CERTCTL_CONFIG="$T/m.conf" LD_PRELOAD="$FAKE_SO" \
		FAKE_SEV_STATE="$STATE" FAKE_SEV_LOG="$LOG" "$SNP_CERTCTL" refresh
	assert_success
	assert_output "updated $T/store/t.certs: installed the VCEK for the reported TCB bl=3,tee=1,snp=8,ucode=115 (was bl=3,tee=1,snp=7,ucode=115)"
	assert_equal "$(kds_requests)" 0
	assert_equal "$(mirror_requests "/vcek/Milan/$HW_MILAN/7308000000000103.der")" 1
	assert_equal "$(mirror_requests /vcek/Milan/cert_chain.pem)" 1
	cmp "$T/cache2/vcek/Milan/$HW_MILAN/7308000000000103.der" \
		"$M/vcek/Milan/$HW_MILAN/7308000000000103.der"
	# Idempotent: nothing asked of anyone.
	run --separate-stderr env SNP_CERTCTL_CONFIG="$T/m.conf" LD_PRELOAD="$FAKE_SO" \
		FAKE_SEV_STATE="$STATE" FAKE_SEV_LOG="$LOG" "$SNP_CERTCTL" refresh
	assert_success
	assert_equal "$(mirror_requests)" 2
	assert_equal "$(kds_requests)" 0
}

@test "hosts: a mirror miss falls back to KDS, said on stderr; --offline keeps to the mirror" {
	mirror_of_this_host
	run --separate-stderr certctl fetch vcek --product Milan --hwid "$HW_MILAN" \
		--tcb bl=3,tee=1,snp=9,ucode=115 --kds-mirror "$MIRROR_URL" -o "$T/v.der"
	assert_success
	assert_equal "$stderr" "snp-certctl: warning: mirror: Milan VCEK hwid 00010203...3f TCB bl=3,tee=1,snp=9,ucode=115: the mirror answered 404 for /vcek/Milan/$HW_MILAN/7309000000000103.der; asking KDS"
	assert_equal "$(kds_requests "/vcek/v1/Milan/$HW_MILAN?")" 1
	# --offline forbids KDS, not the mirror.
	: >"$KDS_LOG"
	run --separate-stderr certctl fetch vcek --product Milan --hwid "$HW_MILAN" \
		--tcb "$FX_TCB_MILAN" --kds-mirror "$MIRROR_URL" --offline -o "$T/w.der"
	assert_success
	cmp "$T/w.der" "$M/vcek/Milan/$HW_MILAN/7308000000000103.der"
	run --separate-stderr certctl fetch vcek --product Milan --hwid "$HW_MILAN" \
		--tcb bl=3,tee=1,snp=10,ucode=115 --kds-mirror "$MIRROR_URL" --offline -o "$T/x.der"
	assert_failure 6
	[[ "$stderr" == *"; --offline forbids asking KDS"$'\n'"snp-certctl: no usable Milan VCEK hwid 00010203...3f TCB bl=3,tee=1,snp=10,ucode=115 in the cache '$T/cache2' nor the mirror, and --offline forbids asking KDS" ]]
	assert_equal "$(kds_requests)" 0
	[ ! -e "$T/x.der" ]
	# refresh --offline through the mirror.
	old_table "$T/store/t.certs"
	run --separate-stderr fake refresh --offline --kds-mirror "$MIRROR_URL"
	assert_success
	assert_equal "$(kds_requests)" 0
	# The environment names it too.
	: >"$KDS_LOG"
	rm -rf "$T/cache2"
	run --separate-stderr env SNP_CERTCTL_KDS_MIRROR="$MIRROR_URL" "$SNP_CERTCTL" fetch vcek \
		--product Milan --hwid "$HW_MILAN" --tcb "$FX_TCB_MILAN" -o "$T/y.der"
	assert_success
	assert_equal "$(kds_requests)" 0
	cmp "$T/y.der" "$M/vcek/Milan/$HW_MILAN/7308000000000103.der"
	# A bad mirror URL is a usage error, wherever it comes from.
	run --separate-stderr certctl fetch vcek --product Milan --hwid "$HW_MILAN" \
		--tcb "$FX_TCB_MILAN" --kds-mirror 'ftp://x/'
	assert_failure 2
	[[ "$stderr" == "snp-certctl: command line: invalid kds_mirror 'ftp://x/': want an http:// or https:// URL without a query"* ]]
	printf '# a mirror\nkds_mirror = http://m/?x=1\n' >"$T/bad.conf"
	run --separate-stderr certctl -C "$T/bad.conf" fetch vcek --product Milan \
		--hwid "$HW_MILAN" --tcb "$FX_TCB_MILAN"
	assert_failure 2
	assert_equal "$stderr" "snp-certctl: $T/bad.conf:2: invalid kds_mirror 'http://m/?x=1': want an http:// or https:// URL without a query"
}

@test "hosts: a mirror that does not answer is asked once, with one attempt's time-out; KDS for the rest of the run" {
	# A mirror that takes connections and never answers; it counts them.
	python3 - "$T/dead.port" "$T/dead.conns" <<-'EOF' 3>&- &
		import socket, sys
		s = socket.socket()
		s.bind(("127.0.0.1", 0))
		s.listen(16)
		open(sys.argv[1], "w").write(str(s.getsockname()[1]))
		held = []
		while True:
		    c, _ = s.accept()
		    held.append(c)
		    open(sys.argv[2], "a").write("conn\n")
	EOF
	for i in $(seq 100); do [ -s "$T/dead.port" ] && break; sleep 0.05; done
	export SNP_CERTCTL_CACHE_DIR="$T/cache2"
	export SNP_CERTCTL_TRUST_ROOT="$SNPCERT_FIXTURES/milan/ark.pem"
	old_table "$T/store/t.certs"
	: >"$KDS_LOG"
	# Time-outs of 1 s per attempt, 20 s in all: KDS would be retried for
	# 20 s; the mirror gets 1 s for a request, once.
	run --separate-stderr env SNP_CERTCTL_KDS_TIMEOUT=1 SNP_CERTCTL_KDS_DEADLINE=20 \
		LD_PRELOAD="$FAKE_SO" FAKE_SEV_STATE="$STATE" FAKE_SEV_LOG="$LOG" "$SNP_CERTCTL" \
		refresh --kds-mirror "http://127.0.0.1:$(cat "$T/dead.port")/kds"
	assert_success
	assert_output --partial "updated $T/store/t.certs: installed the VCEK for the reported TCB"
	assert_equal "$(wc -l <"$T/dead.conns")" 1
	assert_equal "$(grep -c 'warning: mirror: ' <<<"$stderr")" 1
	[[ "$stderr" == *"did not answer within 1 s; asking KDS (the mirror is not asked again in this run)"* ]]
	assert_equal "$(kds_requests "/vcek/v1/Milan/$HW_MILAN?")" 1
	assert_equal "$(kds_requests /vcek/v1/Milan/cert_chain)" 1
}

@test "hosts: a tampered VCEK on the mirror is refused, KDS asked, only the good one cached" {
	mirror_of_this_host
	good="$M/vcek/Milan/$HW_MILAN/7308000000000103.der"
	cp "$good" "$T/good.der"
	# Another TCB's VCEK (signed by the right ASK) served under this TCB's name.
	bash "$REPO/tests/fixtures/make-vcek.sh" "$SNPCERT_FIXTURES/milan" milan "$HW_MILAN" \
		bl=3,tee=1,snp=7,ucode=115 "$good"
	old_table "$T/store/t.certs"
	run --separate-stderr fake refresh --kds-mirror "$MIRROR_URL"
	assert_success
	[[ "$stderr" == *"warning: mirror: Milan VCEK hwid 00010203...3f TCB bl=3,tee=1,snp=8,ucode=115: it does not verify: "*"; asking KDS"* ]]
	assert_equal "$(kds_requests "/vcek/v1/Milan/$HW_MILAN?")" 1
	assert_equal "$(mirror_requests "/vcek/Milan/$HW_MILAN/7308000000000103.der")" 1
	cached="$T/cache2/vcek/Milan/$HW_MILAN/7308000000000103.der"
	run cmp -s "$cached" "$good"
	assert_failure
	certctl verify "$T/store/t.certs" --tcb "$FX_TCB_MILAN" --hwid "$HW_MILAN" -q
	assert_equal "$(find "$T/cache2" -type f | wc -l)" 2 # the KDS VCEK and the chain
	# Garbage on the mirror: refused the same way.
	head -c 900 /dev/urandom >"$M/vcek/Milan/cert_chain.pem"
	rm -rf "$T/cache2"
	: >"$KDS_LOG"
	run --separate-stderr certctl fetch ca --product Milan --kds-mirror "$MIRROR_URL" -o "$T/ca.pem"
	assert_success
	[[ "$stderr" == *"warning: mirror: Milan VCEK CA chain: "*"; asking KDS"* ]]
	assert_equal "$(kds_requests /vcek/v1/Milan/cert_chain)" 1
	cmp "$T/ca.pem" "$T/cache2/vcek/Milan/cert_chain.pem"
}

@test "hosts: check --online judges the mirror (kds-mirror), listed only with one" {
	mirror_of_this_host
	run --separate-stderr fake check --online --kds-mirror "$MIRROR_URL" --json
	assert_equal "$(jq -r '.checks[] | select(.name == "kds-mirror") | .result' <<<"$output")" pass
	assert_equal "$(jq -r '.checks[] | select(.name == "kds-mirror") | .reason' <<<"$output")" \
		"the mirror '$MIRROR_URL' serves vcek/Milan/cert_chain.pem ($(stat -c %s "$M/vcek/Milan/cert_chain.pem") bytes)"
	rm "$M/vcek/Milan/cert_chain.pem"
	run --separate-stderr fake check --online --kds-mirror "$MIRROR_URL" --json
	assert_equal "$(jq -r '.checks[] | select(.name == "kds-mirror") | .result' <<<"$output")" fail
	assert_equal "$(jq -r '.checks[] | select(.name == "kds-mirror") | .reason' <<<"$output")" \
		"the mirror answered 404 for /vcek/Milan/cert_chain.pem"
	run --separate-stderr fake check --online --json
	assert_equal "$(jq -r '[.checks[] | select(.name == "kds-mirror")] | length' <<<"$output")" 0
}

@test "hosts: fw-update takes the VCEK for the new reported TCB from the mirror, no KDS request" {
	new=bl=4,tee=2,snp=9,ucode=116
	# The fleet's new TCB, mirrored ahead of the rollout (a text line).
	printf 'Milan %s %s\n' "$HW_MILAN" "$new" >"$T/rollout"
	certctl mirror "$M" --hosts "$T/rollout" --rate 50 "${ROOTS[@]}" -q
	serve_mirror "$M"
	export SNP_CERTCTL_CACHE_DIR="$T/cache2" SNP_CERTCTL_TRUST_ROOT="$SNPCERT_FIXTURES/milan/ark.pem"
	: >"$KDS_LOG"
	test_table milan "$T/store/t.certs"
	set_state current_tcb=0x7409000000000204
	run --separate-stderr fake fw-update --reported-tcb "$new" --kds-mirror "$MIRROR_URL"
	assert_success
	assert_output "updated $T/store/t.certs: installed the VCEK for the reported TCB $new (was bl=3,tee=1,snp=8,ucode=115)"
	assert_equal "$(kds_requests)" 0
	assert_equal "$(mirror_requests "/vcek/Milan/$HW_MILAN/7409000000000204.der")" 1
}

# The cache with this host's VCEK, its chain and the CRL (no mirror yet).
cache_of_this_host() {
	certctl fetch vcek --product Milan --hwid "$HW_MILAN" --tcb "$FX_TCB_MILAN" \
		"${ROOTS[@]}" -q -o /dev/null
	certctl fetch crl --product Milan "${ROOTS[@]}" -q -o /dev/null
}

@test "mirror: a directory of DIR swapped for a link while mirror writes: nothing is written outside DIR" {
	command -v strace >/dev/null || fail "strace is needed to hold mirror between its steps"
	cache_of_this_host
	mkdir -p "$T/outside/Milan"
	# Every mkdir held 0.7 s: while vcek/Milan is being made, vcek becomes a link out
	# (a web root's owner, www-data, may do that to a mirror run as root).
	# (LeakSanitizer cannot run under ptrace.)
	ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" strace -o /dev/null -e trace=mkdir,mkdirat \
		-e inject=mkdir,mkdirat:delay_exit=700000 "$SNP_CERTCTL" mirror "$M" "${ROOTS[@]}" 2>"$T/err" &
	pid=$!
	for i in $(seq 200); do
		[ -d "$M/vcek/Milan" ] && break
		sleep 0.02
	done
	mv "$M/vcek" "$T/vcek.moved"
	ln -s "$T/outside" "$M/vcek"
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 1
	assert_equal "$(cat "$T/err")" "snp-certctl: refusing to write below '$M/vcek': it is a symbolic link, not a directory"
	assert_equal "$(find "$T/outside" -type f | wc -l)" 0
	[ ! -e "$M/index.json" ]
}

@test "mirror: a link or a hard link at a file's name, even to identical bytes, is replaced by a file of DIR" {
	cache_of_this_host
	certctl mirror "$M" "${ROOTS[@]}" -q
	crl="$M/vcek/Milan/crl.der" chain="$M/vcek/Milan/cert_chain.pem"
	mv "$crl" "$T/crl-outside.der"
	ln -s "$T/crl-outside.der" "$crl"
	cp "$chain" "$T/chain-outside.pem"
	ln -f "$T/chain-outside.pem" "$chain"
	run --separate-stderr certctl mirror "$M" "${ROOTS[@]}" --json
	assert_success
	assert_equal "$(jq -c '[.written, .unchanged]' <<<"$output")" '[2,1]'
	[ -f "$crl" ]
	[ ! -L "$crl" ]
	assert_equal "$(stat -c %h "$chain")" 1
	assert_equal "$(stat -c %h "$T/chain-outside.pem")" 1
	index_matches "$M"
}

@test "mirror: a run killed before its rename leaves a temporary file; the next run removes it, and only such files" {
	command -v strace >/dev/null || fail "strace is needed to kill mirror at its rename"
	cache_of_this_host
	run strace -o /dev/null -e trace=rename,renameat,renameat2 \
		-e inject=rename,renameat,renameat2:signal=SIGKILL:when=2 \
		"$SNP_CERTCTL" mirror "$M" "${ROOTS[@]}" -q
	assert_failure 137
	assert_equal "$(find "$M" -name '.snp-certctl.*' -type f | wc -l)" 1
	[ ! -e "$M/index.json" ]
	: >"$M/vcek/.htaccess"
	certctl mirror "$M" "${ROOTS[@]}" -q
	assert_equal "$(find "$M" -name '.snp-certctl.*' | wc -l)" 0
	[ -f "$M/vcek/.htaccess" ]
	rm "$M/vcek/.htaccess"
	index_matches "$M"
}

@test "mirror: one run writes DIR at a time; another waits the lock timeout, then exit 3" {
	cache_of_this_host
	mkdir "$M"
	flock "$M" sleep 3 &
	holder=$!
	sleep 0.3
	SNP_CERTCTL_LOCK_TIMEOUT=0.3 run --separate-stderr certctl mirror "$M" "${ROOTS[@]}"
	assert_failure 3
	assert_equal "$stderr" "snp-certctl: cannot lock the mirror directory '$M': another mirror run held it past the lock timeout"
	[ ! -e "$M/index.json" ]
	SNP_CERTCTL_LOCK_TIMEOUT=10 run --separate-stderr certctl mirror "$M" "${ROOTS[@]}"
	assert_success
	index_matches "$M"
	kill "$holder" 2>/dev/null || true
}

@test "mirror: a run that replaces a file and is killed before its index leaves no index with a stale sha256" {
	command -v strace >/dev/null || fail "strace is needed to kill mirror at its rename"
	cache_of_this_host
	certctl mirror "$M" "${ROOTS[@]}" -q
	# KDS publishes a new CRL (signed by the same ARK), the cache takes it.
	mkdir "$T/ca"
	: >"$T/ca/index.txt"
	echo 02 >"$T/ca/crlnumber"
	printf '[ca]\ndefault_ca=c\n[c]\ndatabase=%s\ncrlnumber=%s\n[crl_ext]\nauthorityKeyIdentifier=keyid:always\n' \
		"$T/ca/index.txt" "$T/ca/crlnumber" >"$T/ca/cnf"
	openssl ca -batch -config "$T/ca/cnf" -gencrl -cert "$SNPCERT_FIXTURES/milan/ark.pem" \
		-keyfile "$SNPCERT_FIXTURES/milan/ark.key" -crl_lastupdate 20250101000000Z \
		-crl_nextupdate 20491231235959Z -crlexts crl_ext -md sha384 \
		-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:48 -sigopt rsa_mgf1_md:sha384 \
		-out "$T/ca/crl.pem" 2>/dev/null
	openssl crl -in "$T/ca/crl.pem" -outform der -out "$T/cache/vcek/Milan/crl.der"
	run cmp -s "$T/cache/vcek/Milan/crl.der" "$M/vcek/Milan/crl.der"
	assert_failure
	# Killed at its second rename: the new CRL is in place, the index not yet written.
	run strace -o /dev/null -e trace=rename,renameat,renameat2 \
		-e inject=rename,renameat,renameat2:signal=SIGKILL:when=2 \
		"$SNP_CERTCTL" mirror "$M" "${ROOTS[@]}" -q
	assert_failure 137
	cmp "$T/cache/vcek/Milan/crl.der" "$M/vcek/Milan/crl.der"
	# An index a reader sees is true of the files: here, none.
	[ ! -e "$M/index.json" ]
	certctl mirror "$M" "${ROOTS[@]}" -q
	index_matches "$M"
}
