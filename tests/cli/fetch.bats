#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# fetch: VCEKs, CA chains and CRLs from a loopback KDS stand-in
# (tests/fakes/kds-server.py) over HTTP and HTTPS, the cache, --offline,
# and every fault the stand-in can play, with the exit code and message,
# and the cache and the -o file untouched after each failure.

load 'helpers'

HWID_MILAN=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
TCB_MILAN=bl=3,tee=1,snp=8,ucode=115
DESC_MILAN="Milan VCEK hwid 00010203...3f TCB bl=3,tee=1,snp=8,ucode=115"

setup_file() {
	need_fixtures
	# The legacy SEV CEKs the stand-in serves: the test platform's (signed by
	# its ASK), and under another chip id its unsigned firmware copy.
	local fx="$SNPCERT_FIXTURES/sev" hex
	hex=$(xxd -p -c 256 "$fx/id.bin")
	mkdir -p "$BATS_FILE_TMPDIR/ceks"
	cp "$fx/cek.cert" "$BATS_FILE_TMPDIR/ceks/${hex^^}.cert"
	cp "$fx/cek-fw.cert" "$BATS_FILE_TMPDIR/ceks/$(printf 'AB%.0s' $(seq 64)).cert"
	start_kds http --cek-dir "$BATS_FILE_TMPDIR/ceks"
	start_kds https --tls --ca-out "$BATS_FILE_TMPDIR/ca.pem" \
		--csp-port-file "$BATS_FILE_TMPDIR/csp.port" --client-out "$BATS_FILE_TMPDIR/client"
	start_kds wrongname --tls --cert-name wrong.invalid --ca-out "$BATS_FILE_TMPDIR/ca-wrong.pem"
	start_kds stalled --stall-connect
	wait_kds http && wait_kds https && wait_kds wrongname && wait_kds stalled
}

teardown_file() {
	stop_kds http https wrongname stalled
}

setup() {
	common_setup
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY no_proxy NO_PROXY SNP_CERTCTL_KDS_CA
	# A generous per-attempt time-out: the stand-in signs a fresh VCEK on the
	# first request and the sanitizer pass of `make check` is slow.  The
	# tests of time-outs set 1 s themselves.
	export SNP_CERTCTL_KDS_TIMEOUT=10 SNP_CERTCTL_KDS_DEADLINE=4
	HTTP_URL="http://127.0.0.1:$(cat "$BATS_FILE_TMPDIR/http.port")"
	HTTP_PORT=$(cat "$BATS_FILE_TMPDIR/http.port")
	HTTPS_PORT=$(cat "$BATS_FILE_TMPDIR/https.port")
	STALLED_PORT=$(cat "$BATS_FILE_TMPDIR/stalled.port")
	WRONG_PORT=$(cat "$BATS_FILE_TMPDIR/wrongname.port")
	export SNP_CERTCTL_KDS_URL=$HTTP_URL
	export SNP_CERTCTL_TRUST_ROOT="$SNPCERT_FIXTURES/milan/ark.pem"
	LOG="$BATS_FILE_TMPDIR/kds.log"
	: >"$LOG"
	echo ok >"$BATS_FILE_TMPDIR/mode"
}

mode() {
	echo "$*" >"$BATS_FILE_TMPDIR/mode"
}

requests() { # [PATTERN]: how many requests the stand-ins logged
	grep -c -- "${1:-GET}" "$LOG" || true
}

fetch_milan() {
	certctl fetch --product milan --hwid "$HWID_MILAN" --tcb "$TCB_MILAN" "$@"
}

# The endpoint for providers (client certificates required) of the https stand-in.
csp_setup() {
	CSP_PORT=$(cat "$BATS_FILE_TMPDIR/csp.port")
	export SNP_CERTCTL_KDS_CA="$BATS_FILE_TMPDIR/ca.pem"
	export SNP_CERTCTL_KDS_CSP_URL="https://localhost:$CSP_PORT"
	C="$BATS_FILE_TMPDIR/client"
	CLIENT=(--client-cert "$C/client.pem" --client-key "$C/client.key")
	VLEK_REQ="/vlek/v1/Milan/cert?blSPL=3&teeSPL=1&snpSPL=8&ucodeSPL=115"
	HS_REQ="/vlek/v1/Milan/hash_sticks?blSPL=3&teeSPL=1&snpSPL=8&ucodeSPL=115"
}

# The hashstick the stand-in makes for a chip id and query (kds-server.py hashstick()).
expected_hashstick() {
	python3 -c 'import hashlib, sys
out, i = b"", 0
while len(out) < 432:
    out += hashlib.sha256(("%s?%s#%d" % (sys.argv[1], sys.argv[2], i)).encode()).digest()
    i += 1
sys.stdout.buffer.write(out[:432])' "$1" "${HS_REQ#*\?}"
}

# Every file in the cache with its digest: proves it did not change.
cache_state() {
	(cd "$T/cache" && find . -type f -print0 | sort -z | xargs -0r sha256sum)
}

# Milliseconds since the epoch, for sanity bounds on how long a run took.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# Run a failing fetch and check nothing changed: EXIT MESSAGE [FETCH ARGS].
fails_untouched() {
	local code=$1 msg=$2 before out_before
	shift 2
	echo "previous output" >"$T/out.der"
	before=$(cache_state)
	out_before=$(fingerprint "$T/out.der")
	run --separate-stderr fetch_milan -o "$T/out.der" "$@"
	assert_failure "$code"
	[[ "$stderr" == *"$msg"* ]] || { echo "stderr: $stderr"; echo "want: $msg"; return 1; }
	assert_equal "$(cache_state)" "$before"
	assert_equal "$(fingerprint "$T/out.der")" "$out_before"
	assert_equal "$(ls -A "$T" | grep -c snp-certctl || true)" 0
}

@test "fetch: a Milan VCEK over HTTP, verified, cached, written as DER" {
	run --separate-stderr fetch_milan -o "$T/vcek.der"
	assert_success
	assert_equal "$(requests "/vcek/v1/Milan/$HWID_MILAN?blSPL=3&teeSPL=1&snpSPL=8&ucodeSPL=115 200")" 1
	assert_equal "$(requests "/vcek/v1/Milan/cert_chain 200")" 1
	cached="$T/cache/vcek/Milan/$HWID_MILAN/7308000000000103.der"
	cmp "$T/vcek.der" "$cached"
	assert_equal "$(stat -c %a "$cached")" 644
	assert_equal "$(stat -c %a "$T/cache/vcek/Milan")" 755
	test -s "$T/cache/vcek/Milan/cert_chain.pem"
	openssl x509 -inform der -in "$T/vcek.der" -noout -subject | grep -q 'CN *= *SEV-VCEK'
}

@test "fetch: PEM on stdout without -o, .pem output, raw TCB" {
	run --separate-stderr fetch_milan
	assert_success
	assert_line --index 0 -- '-----BEGIN CERTIFICATE-----'
	run --separate-stderr certctl fetch vcek --product Milan --hwid "$HWID_MILAN" \
		--tcb 0x7308000000000103 -o "$T/vcek.pem"
	assert_success
	head -1 "$T/vcek.pem" | grep -q -- '-----BEGIN CERTIFICATE-----'
}

@test "fetch: a cache hit makes no request" {
	fetch_milan -o "$T/a.der"
	assert_equal "$(requests)" 2
	run --separate-stderr fetch_milan -o "$T/b.der"
	assert_success
	assert_equal "$(requests)" 2
	cmp "$T/a.der" "$T/b.der"
}

@test "fetch --offline: a hit is served from the cache, a miss exits 6" {
	fetch_milan -o /dev/null
	: >"$LOG"
	run --separate-stderr fetch_milan --offline -o "$T/v.der"
	assert_success
	test -s "$T/v.der"
	run --separate-stderr certctl fetch --product milan --hwid "$HWID_MILAN" \
		--tcb bl=3,tee=1,snp=8,ucode=116 --offline -o "$T/miss.der"
	assert_failure 6
	assert_equal "$stderr" "snp-certctl: no usable Milan VCEK hwid 00010203...3f TCB bl=3,tee=1,snp=8,ucode=116 in the cache '$T/cache', and --offline forbids asking KDS"
	assert_equal "$(requests)" 0
	[ ! -e "$T/miss.der" ]
}

@test "fetch: a corrupted cache entry is not used, it is fetched again" {
	fetch_milan -o /dev/null
	cached="$T/cache/vcek/Milan/$HWID_MILAN/7308000000000103.der"
	good=$(sha256sum <"$cached")
	head -c 300 /dev/urandom >"$cached"
	: >"$LOG"
	run --separate-stderr fetch_milan -o "$T/v.der"
	assert_success
	[[ "$stderr" == *"cached VCEK '$cached' does not verify: it is not a certificate; fetching it again"* ]]
	assert_equal "$(requests /vcek/v1/Milan/0001)" 1
	cmp "$T/v.der" "$cached"
	# The same offline: a corrupted entry is a miss.
	head -c 300 /dev/urandom >"$cached"
	run --separate-stderr fetch_milan --offline
	assert_failure 6
}

@test "fetch: over HTTPS, the server certificate and host name verified" {
	export SNP_CERTCTL_KDS_CA="$BATS_FILE_TMPDIR/ca.pem"
	run --separate-stderr fetch_milan --kds-url "https://localhost:$HTTPS_PORT" -o "$T/v.der"
	assert_success
	test -s "$T/v.der"
	rm -rf "$T/cache"
	run --separate-stderr fetch_milan --kds-url "https://127.0.0.1:$HTTPS_PORT" -o "$T/v.der"
	assert_success
}

@test "fetch: an unusable SNP_CERTCTL_KDS_CA (exit 1)" {
	SNP_CERTCTL_KDS_CA="$T/none.pem" run --separate-stderr \
		fetch_milan --kds-url "https://localhost:$HTTPS_PORT"
	assert_failure 1
	assert_equal "$stderr" "snp-certctl: cannot load KDS CA file '$T/none.pem': No such file or directory"
	echo "not a certificate" >"$T/junk.pem"
	SNP_CERTCTL_KDS_CA="$T/junk.pem" run --separate-stderr \
		fetch_milan --kds-url "https://localhost:$HTTPS_PORT"
	assert_failure 1
	assert_equal "$stderr" "snp-certctl: cannot load KDS CA file '$T/junk.pem': it holds no PEM certificates"
	[ -z "$(cache_state)" ]
}

@test "fetch: a FIFO as SNP_CERTCTL_KDS_CA is refused, never waited on" {
	mkfifo "$T/ca.pem"
	SNP_CERTCTL_KDS_CA="$T/ca.pem" run --separate-stderr \
		timeout 10 "$SNP_CERTCTL" fetch --product milan --hwid "$HWID_MILAN" --tcb "$TCB_MILAN" \
		--kds-url "https://localhost:$HTTPS_PORT"
	assert_failure 1
	assert_equal "$stderr" "snp-certctl: refusing '$T/ca.pem': not a regular file"
	[ -z "$(cache_state)" ]
}

@test "fetch: a proxy from http_proxy is used, no_proxy is honoured" {
	# The stand-in as the proxy: it is asked for the whole URL.
	http_proxy="http://127.0.0.1:$HTTP_PORT" run --separate-stderr \
		certctl fetch ca --product milan --kds-url http://kds.invalid -o "$T/chain.pem"
	assert_success
	assert_equal "$(requests "GET http://kds.invalid/vcek/v1/Milan/cert_chain 200")" 1
	# A dead proxy fails (6); the same with the host in no_proxy goes direct.
	rm -rf "$T/cache"
	http_proxy=http://127.0.0.1:1 run --separate-stderr certctl fetch ca --product milan
	assert_failure 6
	http_proxy=http://127.0.0.1:1 no_proxy=127.0.0.1 run --separate-stderr \
		certctl fetch ca --product milan
	assert_success
	assert_equal "$(requests "GET /vcek/v1/Milan/cert_chain 200")" 1
}

@test "fetch: HTTPS fails without the test CA (exit 6)" {
	run --separate-stderr fetch_milan --kds-url "https://localhost:$HTTPS_PORT"
	assert_failure 6
	assert_equal "$stderr" "snp-certctl: cannot talk to KDS at 'https://localhost:$HTTPS_PORT' over TLS: the server certificate does not verify: unable to get local issuer certificate"
	[ -z "$(cache_state)" ]
}

@test "fetch: HTTPS fails for a certificate of another host name (exit 6)" {
	export SNP_CERTCTL_KDS_CA="$BATS_FILE_TMPDIR/ca-wrong.pem"
	run --separate-stderr fetch_milan --kds-url "https://localhost:$WRONG_PORT"
	assert_failure 6
	assert_equal "$stderr" "snp-certctl: cannot talk to KDS at 'https://localhost:$WRONG_PORT' over TLS: the server certificate does not verify: hostname mismatch"
	run --separate-stderr fetch_milan --kds-url "https://127.0.0.1:$WRONG_PORT"
	assert_failure 6
	assert_equal "$stderr" "snp-certctl: cannot talk to KDS at 'https://127.0.0.1:$WRONG_PORT' over TLS: the server certificate does not verify: IP address mismatch"
	[ -z "$(cache_state)" ]
}

@test "fetch: 404 is final (exit 6) and names what was asked for" {
	mode 404
	fails_untouched 6 "snp-certctl: KDS answered 404 for $DESC_MILAN"
	assert_equal "$(requests)" 1
}

@test "fetch: 429 with Retry-After: 1 is honoured, then the second request succeeds" {
	mode 429 count=1 retry=1
	start=$(now_ms)
	run --separate-stderr fetch_milan -o "$T/v.der"
	end=$(now_ms)
	assert_success
	assert_equal "$(requests "/vcek/v1/Milan/$HWID_MILAN")" 2
	assert_equal "$(requests " 429")" 1
	# The wait honoured Retry-After: at least a second between the attempts.
	[ $((end - start)) -ge 1000 ]
	test -s "$T/v.der"
	# and it was said, at normal verbosity (Retry-After plus up to 10 % of 2 s).
	[[ "$stderr" =~ ^"snp-certctl: KDS rate-limited the request for $DESC_MILAN (429); retrying in 1"(.[12])?" s as asked (attempt 2 of 5)"$ ]] ||
		{ echo "stderr: $stderr"; return 1; }
}

@test "fetch: Retry-After as an HTTP-date is honoured" {
	mode 429 count=1 retry-date=2
	start=$(now_ms)
	run --separate-stderr fetch_milan -o "$T/v.der"
	end=$(now_ms)
	assert_success
	assert_equal "$(requests " 429")" 1
	# A date has whole seconds: 1 or 2 s from now, as the client's clock reads it.
	[ $((end - start)) -ge 1000 ]
	[[ "$stderr" =~ "(429); retrying in "[12](.[0-9])?" s as asked (attempt 2 of 5)" ]] ||
		{ echo "stderr: $stderr"; return 1; }
}

@test "fetch -q: retries are not said, the final error is" {
	mode 500 count=1
	run --separate-stderr fetch_milan -q -o "$T/v.der"
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(requests " 500")" 1
	mode 404
	run --separate-stderr fetch_milan -q --tcb bl=3,tee=1,snp=8,ucode=117
	assert_failure 6
	assert_equal "$stderr" "snp-certctl: KDS answered 404 for Milan VCEK hwid 00010203...3f TCB bl=3,tee=1,snp=8,ucode=117"
}

@test "fetch: KDS rate-limiting past the deadline gives up (exit 6)" {
	mode 429 retry=1
	fails_untouched 6 "snp-certctl: KDS rate-limited the request for $DESC_MILAN (429); gave up after"
	[ "$(requests " 429")" -ge 3 ]
	# Every retry was said: one line per wait, then the error.
	[[ "$stderr" =~ "(429); retrying in 1"(.[12])?" s as asked (attempt 2 of 5)" ]]
	[[ "$stderr" =~ "(429); retrying in 1"(.[12])?" s as asked (attempt 3 of 5)" ]]
	assert_equal "$(grep -c 'retrying in' <<<"$stderr")" $(($(requests " 429") - 1))
}

@test "fetch: a server that rate-limits for good is asked 5 times at most" {
	mode 429 retry=1
	export SNP_CERTCTL_KDS_DEADLINE=30
	fails_untouched 6 "(429); gave up after 5 attempts over"
	assert_equal "$(requests " 429")" 5
	[[ "$stderr" == *"(attempt 5 of 5)"* ]]
}

@test "fetch: a Retry-After beyond the deadline is not waited for (exit 6)" {
	mode 429 retry=3600
	fails_untouched 6 "(429) and asked to retry after 300 s, past the 4 s deadline"
	assert_equal "$(requests)" 1
}

@test "fetch: 500 is retried with backoff, then succeeds" {
	mode 500 count=1
	run --separate-stderr fetch_milan -o "$T/v.der"
	assert_success
	assert_equal "$(requests "/vcek/v1/Milan/$HWID_MILAN")" 2
	# The first backoff: 1 s cut by up to half at random.
	[[ "$stderr" =~ ^"snp-certctl: KDS answered 500 for $DESC_MILAN; retrying in "(0.[5-9]|1)" s (attempt 2 of 5)"$ ]] ||
		{ echo "stderr: $stderr"; return 1; }
}

@test "fetch: 500 until the deadline gives up (exit 6)" {
	mode 500
	fails_untouched 6 "snp-certctl: KDS answered 500 for $DESC_MILAN; gave up after"
}

@test "fetch: a KDS slower than the time-out (exit 6)" {
	mode slow delay=5
	export SNP_CERTCTL_KDS_TIMEOUT=1 SNP_CERTCTL_KDS_DEADLINE=2
	fails_untouched 6 "snp-certctl: KDS at '$HTTP_URL' did not answer within 1 s"
	[[ "$stderr" == "snp-certctl: KDS at '$HTTP_URL' did not answer within 1 s; retrying in "*" s (attempt 2 of 5)"* ]]
}

@test "fetch: a fractional time-out per attempt" {
	mode slow delay=5
	export SNP_CERTCTL_KDS_TIMEOUT=0.5 SNP_CERTCTL_KDS_DEADLINE=0.5
	start=$(now_ms)
	fails_untouched 6 "snp-certctl: KDS at '$HTTP_URL' did not answer within 0.5 s"
	end=$(now_ms)
	# A sanity bound, not a benchmark: well under the whole second of old.
	[ $((end - start)) -lt 3000 ]
}

@test "fetch: a refused connection fails in about a second (exit 6), its retries said" {
	# The default time-out and deadline: a refused connection is not waited out.
	export SNP_CERTCTL_KDS_TIMEOUT=10 SNP_CERTCTL_KDS_DEADLINE=60
	start=$(now_ms)
	fails_untouched 6 "snp-certctl: cannot connect to KDS at 'http://127.0.0.1:1': Connection refused; gave up after 3 attempts over" \
		--kds-url http://127.0.0.1:1
	end=$(now_ms)
	# A generous sanity bound (it takes about 0.6 s; it took 60 s before libcurl).
	[ $((end - start)) -lt 5000 ]
	[[ "$stderr" =~ ^"snp-certctl: cannot connect to KDS at 'http://127.0.0.1:1': Connection refused; retrying in 0."[1-3]" s (attempt 2 of 3)" ]] ||
		{ echo "stderr: $stderr"; return 1; }
	[[ "$stderr" =~ "Connection refused; retrying in 0."[2-5]" s (attempt 3 of 3)" ]]
	assert_equal "$(wc -l <<<"$stderr")" 3
}

@test "fetch: a host that never takes the connection (exit 6)" {
	export SNP_CERTCTL_KDS_TIMEOUT=1 SNP_CERTCTL_KDS_DEADLINE=2
	local url="http://127.0.0.1:$STALLED_PORT"
	fails_untouched 6 "snp-certctl: cannot connect to KDS at '$url': no connection within 1 s; gave up after 2 attempts" \
		--kds-url "$url"
	[[ "$stderr" == "snp-certctl: cannot connect to KDS at '$url': no connection within 1 s; retrying in "*" s (attempt 2 of 5)"* ]]
}

@test "fetch: an oversized reply (exit 4)" {
	mode oversized
	fails_untouched 4 "snp-certctl: KDS reply for $DESC_MILAN is larger than 64 KiB: not a certificate"
	assert_equal "$(requests)" 1
	# Without a Content-Length, the cap holds as the body comes.
	mode oversized length=none
	fails_untouched 4 "snp-certctl: KDS reply for $DESC_MILAN is larger than 64 KiB: not a certificate"
	assert_equal "$(requests)" 2
}

@test "fetch: garbage (exit 4)" {
	mode garbage
	fails_untouched 4 "snp-certctl: KDS reply for $DESC_MILAN is malformed"
	assert_equal "$(requests)" 1
}

@test "fetch: a VCEK for another TCB (exit 4)" {
	mode wrong-tcb
	fails_untouched 4 "snp-certctl: the VCEK KDS sent for $DESC_MILAN does not verify: it is for TCB bl=3,tee=1,snp=8,ucode=116, not bl=3,tee=1,snp=8,ucode=115"
}

@test "fetch: a VCEK for another chip (exit 4)" {
	mode wrong-chip
	fails_untouched 4 "snp-certctl: the VCEK KDS sent for $DESC_MILAN does not verify: it is for chip 00010203...c0, not 00010203...3f"
}

@test "fetch: a VCEK signed by an untrusted ASK (exit 4), the CA chain not cached either" {
	mode wrong-signer
	fails_untouched 4 "snp-certctl: the VCEK KDS sent for $DESC_MILAN does not verify: VCEK signature does not verify"
	assert_equal "$(requests cert_chain)" 1
	[ -z "$(cache_state)" ]
}

@test "fetch ca: the CA chain as PEM, cached" {
	run --separate-stderr certctl fetch ca --product milan -o "$T/chain.pem"
	assert_success
	cmp "$T/chain.pem" "$T/cache/vcek/Milan/cert_chain.pem"
	assert_equal "$(grep -c 'BEGIN CERTIFICATE' "$T/chain.pem")" 2
	run --separate-stderr certctl fetch ca --product milan
	assert_success
	assert_equal "$(requests)" 1
	assert_line --index 0 -- '-----BEGIN CERTIFICATE-----'
	run --separate-stderr certctl fetch ca --vlek --product milan -o "$T/vlek-chain.pem"
	assert_success
	assert_equal "$(requests /vlek/v1/Milan/cert_chain)" 1
	openssl x509 -in "$T/vlek-chain.pem" -noout -subject | grep -q 'SEV-VLEK-Milan'
}

@test "fetch ca: a chain ending in an untrusted ARK (exit 4), garbage (exit 4)" {
	mode wrong-signer target=chain
	before=$(cache_state)
	run --separate-stderr certctl fetch ca --product milan -o "$T/chain.pem"
	assert_failure 4
	assert_equal "$stderr" "snp-certctl: Milan VCEK CA chain from KDS does not verify: its ARK 'ARK-Milan' is not the trusted Milan root"
	[ ! -e "$T/chain.pem" ]
	assert_equal "$(cache_state)" "$before"
	mode garbage target=chain
	run --separate-stderr certctl fetch ca --product milan
	assert_failure 4
	assert_equal "$stderr" "snp-certctl: Milan VCEK CA chain from KDS does not verify: it is not two PEM certificates (ASK, then ARK)"
	# A VCEK needs the test chain (its ARK is not built in): the failure shows.
	run --separate-stderr fetch_milan
	assert_failure 4
	assert_equal "$stderr" "snp-certctl: Milan VCEK CA chain from KDS does not verify: it is not two PEM certificates (ASK, then ARK)"
	assert_equal "$(cache_state)" "$before"
}

@test "fetch crl: DER, verified against the trusted ARK; another ARK's CRL (exit 4)" {
	run --separate-stderr certctl fetch crl --product milan -o "$T/crl.der"
	assert_success
	cmp "$T/crl.der" "$SNPCERT_FIXTURES/milan/crl.der"
	cmp "$T/crl.der" "$T/cache/vcek/Milan/crl.der"
	run --separate-stderr certctl fetch crl --product milan -o "$T/crl.pem"
	assert_success
	assert_equal "$(requests)" 1
	head -1 "$T/crl.pem" | grep -q -- '-----BEGIN X509 CRL-----'
	rm -rf "$T/cache"
	mode wrong-signer target=crl
	run --separate-stderr certctl fetch crl --product milan -o "$T/crl2.der"
	assert_failure 4
	assert_equal "$stderr" "snp-certctl: Milan VCEK CRL from KDS does not verify: it is not a DER CRL signed by the trusted ARK-Milan with the AMD PSS parameters"
	[ ! -e "$T/crl2.der" ]
	[ -z "$(cache_state)" ]
}

@test "fetch: a CA chain older than 7 days and a CRL older than a day are fetched again" {
	certctl fetch ca --product milan -o /dev/null
	certctl fetch crl --product milan -o /dev/null
	assert_equal "$(requests)" 2
	touch -d '6 days ago' "$T/cache/vcek/Milan/cert_chain.pem"
	touch -d '20 hours ago' "$T/cache/vcek/Milan/crl.der"
	certctl fetch ca --product milan -o /dev/null
	certctl fetch crl --product milan -o /dev/null
	assert_equal "$(requests)" 2
	touch -d '8 days ago' "$T/cache/vcek/Milan/cert_chain.pem"
	touch -d '2 days ago' "$T/cache/vcek/Milan/crl.der"
	# Offline, the stale entries still serve (the CRL with a warning).
	run --separate-stderr certctl fetch crl --product milan --offline -o /dev/null
	assert_success
	[[ "$stderr" == *"the cached Milan VCEK CRL '$T/cache/vcek/Milan/crl.der' is out of date; --offline keeps it"* ]]
	certctl fetch ca --product milan --offline -o /dev/null
	assert_equal "$(requests)" 2
	certctl fetch ca --product milan -o /dev/null
	certctl fetch crl --product milan -o /dev/null
	assert_equal "$(requests /vcek/v1/Milan/cert_chain)" 2
	assert_equal "$(requests /vcek/v1/Milan/crl)" 2
	# Fetched anew means rewritten: fresh again.
	[ -n "$(find "$T/cache/vcek/Milan/cert_chain.pem" -mmin -1)" ]
}

@test "fetch: Turin asks for the first 8 bytes of the chip id, fmcSPL first" {
	export SNP_CERTCTL_TRUST_ROOT="$SNPCERT_FIXTURES/turin/ark.pem"
	run --separate-stderr certctl fetch --product turin \
		--hwid 0123456789abcdef00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000ff \
		--tcb fmc=1,bl=4,tee=3,snp=22,ucode=71 -o "$T/turin.der"
	assert_success
	assert_equal "$(requests "GET /vcek/v1/Turin/0123456789abcdef?fmcSPL=1&blSPL=4&teeSPL=3&snpSPL=22&ucodeSPL=71 200")" 1
	test -s "$T/cache/vcek/Turin/0123456789abcdef/4700000016030401.der"
	# The 16-digit form is the same request, now cached.
	run --separate-stderr certctl fetch --product turin --hwid 0123456789abcdef \
		--tcb 0x4700000016030401 -o "$T/turin2.der"
	assert_success
	assert_equal "$(requests /vcek/v1/Turin/0123)" 1
	cmp "$T/turin.der" "$T/turin2.der"
}

@test "fetch: Genoa, with --json" {
	export SNP_CERTCTL_TRUST_ROOT="$SNPCERT_FIXTURES/genoa/ark.pem"
	hw=$(printf '%02x' $(seq 64 127))
	run --separate-stderr certctl fetch --json --product genoa --hwid "$hw" \
		--tcb bl=7,tee=2,snp=14,ucode=72
	assert_success
	assert_equal "$(requests "/vcek/v1/Genoa/$hw?blSPL=7&teeSPL=2&snpSPL=14&ucodeSPL=72 200")" 1
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["kind"] == "vcek" and d["product"] == "Genoa", d
assert d["hwid"] == sys.argv[2], d
assert d["tcb"] == {"bl": 7, "tee": 2, "snp": 14, "ucode": 72, "raw": "0x480e000000000207"}, d
assert d["from_cache"] is False and d["output"] is None, d
assert d["cache"].endswith("/vcek/Genoa/%s/480e000000000207.der" % sys.argv[2]), d
assert len(d["sha256"]) == 64 and d["not_after"] == "2049-12-31T23:59:59Z", d
' "$output" "$hw"
}

@test "fetch: the real AMD roots need no CA chain request; a test VCEK fails them (exit 4)" {
	unset SNP_CERTCTL_TRUST_ROOT
	mode ok
	run --separate-stderr fetch_milan
	assert_failure 4
	[[ "$stderr" == *"the VCEK KDS sent for $DESC_MILAN does not verify: VCEK"* ]]
	assert_equal "$(requests cert_chain)" 0
	[ -z "$(cache_state)" ]
}

@test "fetch: usage errors (exit 2)" {
	run --separate-stderr certctl fetch --product milan --tcb "$TCB_MILAN"
	assert_failure 2
	[[ "$stderr" == *"fetching a VCEK needs --hwid and --tcb"* ]]
	run --separate-stderr certctl fetch --product milan --hwid abcd --tcb "$TCB_MILAN"
	assert_failure 2
	[[ "$stderr" == *"invalid chip id 'abcd': want 128 hex digits"* ]]
	run --separate-stderr certctl fetch --product milan --hwid "$HWID_MILAN" --tcb bl=3
	assert_failure 2
	[[ "$stderr" == *"invalid TCB 'bl=3' for Milan"* ]]
	run --separate-stderr certctl fetch --hwid "$HWID_MILAN" --tcb "$TCB_MILAN"
	assert_failure 2
	[[ "$stderr" == *"no product"* ]]
	run --separate-stderr certctl fetch cert --product milan
	assert_failure 2
	run --separate-stderr certctl fetch ca --product milan --kds-url ftp://127.0.0.1/
	assert_failure 2
	[[ "$stderr" == *"invalid KDS URL 'ftp://127.0.0.1/'"* ]]
	SNP_CERTCTL_KDS_TIMEOUT=soon run --separate-stderr certctl fetch ca --product milan
	assert_failure 2
	[[ "$stderr" == *"invalid SNP_CERTCTL_KDS_TIMEOUT 'soon'"* ]]
	assert_equal "$(requests)" 0
}

@test "fetch -o onto a device writes to it and never replaces it" {
	local before
	before=$(stat -c '%F %t:%T %i' /dev/null)
	certctl fetch ca --product milan -o /dev/null
	[ "$(stat -c '%F %t:%T %i' /dev/null)" = "$before" ]
	[ -c /dev/null ]
}

@test "fetch -o onto a symbolic link replaces the link, never the file it names" {
	echo precious > "$T/outside"
	ln -s "$T/outside" "$T/v.der"
	run --separate-stderr timeout 10 "$SNP_CERTCTL" fetch ca --product milan -o "$T/v.der"
	assert_success
	[ "$(cat "$T/outside")" = precious ]
	[ -f "$T/v.der" ]
	[ ! -L "$T/v.der" ]
	[ -s "$T/v.der" ]
	# A link the user named to a character device is followed: /dev/stdout is one.
	ln -s /dev/null "$T/null"
	certctl fetch ca --product milan -o "$T/null"
	[ -L "$T/null" ]
	# A link to a FIFO is no device: replaced like any link, never opened.
	mkfifo "$T/outside-fifo"
	ln -s "$T/outside-fifo" "$T/f.der"
	run --separate-stderr timeout 10 "$SNP_CERTCTL" fetch ca --product milan -o "$T/f.der"
	assert_success
	[ -p "$T/outside-fifo" ]
	[ -f "$T/f.der" ]
	[ ! -L "$T/f.der" ]
}

@test "fetch -o onto a FIFO is refused, never waited on" {
	mkfifo "$T/fifo"
	run --separate-stderr timeout 10 "$SNP_CERTCTL" fetch ca --product milan -o "$T/fifo"
	assert_failure 1
	assert_equal "$stderr" "snp-certctl: refusing to write '$T/fifo': it is a FIFO"
	[ -p "$T/fifo" ]
}

@test "fetch: a FIFO planted in the cache is neither read nor written, never waited on" {
	mkdir -p "$T/cache/vcek/Milan"
	mkfifo "$T/cache/vcek/Milan/cert_chain.pem"
	run --separate-stderr timeout 10 "$SNP_CERTCTL" fetch ca --product milan -o "$T/ca.pem"
	assert_success
	[ -s "$T/ca.pem" ]
	[[ "$stderr" == *"refusing '$T/cache/vcek/Milan/cert_chain.pem': not a regular file"* ]]
	[[ "$stderr" == *"cannot cache: refusing to write '$T/cache/vcek/Milan/cert_chain.pem': it is a FIFO"* ]]
	[ -p "$T/cache/vcek/Milan/cert_chain.pem" ]
}

@test "fetch --platform: the chip id and reported TCB from the firmware" {
	fake_sev_setup
	fake_test_platform milan
	run --separate-stderr fake fetch --platform -o "$T/v.der"
	assert_success
	assert_equal "$(kds_requests "/vcek/v1/Milan/$HWID_MILAN?blSPL=3&teeSPL=1&snpSPL=8&ucodeSPL=115 200")" 1
	cmp "$T/v.der" "$T/cache/vcek/Milan/$HWID_MILAN/7308000000000103.der"
	# The same platform with --json: from the cache now.
	run --separate-stderr fake fetch vcek --platform --json
	assert_success
	jq -e --arg hw "$HWID_MILAN" '.product == "Milan" and .hwid == $hw
		and .tcb.raw == "0x7308000000000103" and .from_cache == true' <<<"$output"
	assert_equal "$(kds_requests)" 2
}

@test "fetch --platform: --product overrides the detected product; Turin asks for 8 bytes" {
	fake_sev_setup
	fake_test_platform turin
	run --separate-stderr fake fetch --platform --product turin -o "$T/t.der"
	assert_success
	assert_equal "$(kds_requests "GET /vcek/v1/Turin/0123456789abcdef?fmcSPL=1&blSPL=4&teeSPL=3&snpSPL=22&ucodeSPL=71 200")" 1
}

@test "fetch --platform: conflicts (exit 2), a masked chip id or no device (exit 5)" {
	fake_sev_setup
	fake_test_platform milan
	run --separate-stderr fake fetch --platform --hwid "$HWID_MILAN"
	assert_failure 2
	[[ "$stderr" == *"--platform conflicts with --hwid"* ]]
	run --separate-stderr fake fetch --platform --tcb "$TCB_MILAN"
	assert_failure 2
	[[ "$stderr" == *"--platform conflicts with --tcb"* ]]
	run --separate-stderr fake fetch ca --platform
	assert_failure 2
	[[ "$stderr" == *"--platform is for fetching a VCEK"* ]]
	set_state mask_chip_id=1
	run --separate-stderr fake fetch --platform
	assert_failure 5
	assert_equal "$stderr" "snp-certctl: cannot fetch this platform's VCEK: the firmware masks the chip id (mask_chip_id); use a VLEK instead"
	set_state mask_chip_id=0 present=0
	run --separate-stderr fake fetch --platform
	assert_failure 5
	assert_equal "$(kds_requests)" 0
}

# ---- the endpoint for cloud providers: VLEK and hashsticks (mutual TLS) ----

@test "fetch vlek: with the client certificate, the VLEK for the TCB, verified against the vlek cert_chain, then cached" {
	csp_setup
	run --separate-stderr certctl fetch vlek --product milan --tcb "$TCB_MILAN" "${CLIENT[@]}" \
		-o "$T/vlek.der" --json
	assert_success
	[ "$(jq -r '.kind + " " + .request + " " + (.from_cache|tostring)' <<<"$output")" = \
		"vlek $VLEK_REQ false" ]
	[ "$(jq -r .kds_url <<<"$output")" = "https://localhost:$CSP_PORT" ]
	openssl x509 -inform der -in "$T/vlek.der" -noout -subject | grep -q 'CN = SEV-VLEK'
	cmp "$T/vlek.der" "$T/cache/vlek/Milan/cert/7308000000000103.der"
	[ -f "$T/cache/vlek/Milan/cert_chain.pem" ]
	grep -qxF "GET $VLEK_REQ 200" "$LOG"
	grep -qxF "GET /vlek/v1/Milan/cert_chain 200" "$LOG"
	# A cached VLEK makes no request at all.
	: >"$LOG"
	run --separate-stderr certctl fetch vlek --product milan --tcb "$TCB_MILAN" "${CLIENT[@]}" --json
	assert_success
	[ "$(jq -r .from_cache <<<"$output")" = true ]
	[ "$(requests)" = 0 ]
	run --separate-stderr certctl fetch vlek --product milan --tcb "$TCB_MILAN" --offline
	assert_success
	[[ "$output" == "-----BEGIN CERTIFICATE-----"* ]]
}

@test "fetch vlek: no client certificate is refused in the handshake: exit 6 and says what to give, nothing cached" {
	csp_setup
	run --separate-stderr certctl fetch vlek --product milan --tcb "$TCB_MILAN" -o "$T/vlek.der"
	[ "$status" -eq 6 ]
	assert_equal "$stderr" "snp-certctl: cannot talk to KDS at 'https://localhost:$CSP_PORT' over TLS: the server wants a client certificate (TLS alert: handshake failure): give --client-cert and --client-key"
	[ ! -e "$T/vlek.der" ]
	[ -z "$(cache_state)" ]
}

@test "fetch vlek, hashsticks: a client certificate of another CA is refused: exit 6, once, naming the file" {
	csp_setup
	run --separate-stderr certctl fetch hashsticks --product milan --hwid "$HWID_MILAN" \
		--tcb "$TCB_MILAN" --client-cert "$C/wrong.pem" --client-key "$C/wrong.key" -o "$T/out"
	[ "$status" -eq 6 ]
	[[ "$stderr" == *"the server refused the client certificate '$C/wrong.pem' (TLS alert: unknown ca)" ]]
	run --separate-stderr certctl fetch vlek --product milan --tcb "$TCB_MILAN" \
		--client-cert "$C/wrong.pem" --client-key "$C/wrong.key"
	[ "$status" -eq 6 ]
	assert_equal "$stderr" "snp-certctl: cannot talk to KDS at 'https://localhost:$CSP_PORT' over TLS: the server refused the client certificate '$C/wrong.pem' (TLS alert: unknown ca)"
	[ ! -e "$T/out" ]
	[ -z "$(cache_state)" ]
	[ "$(requests /vlek/)" = 0 ]
}

@test "fetch vlek: the client certificate and key are read as trusted files, never opened by TLS" {
	csp_setup
	local vlek=(fetch vlek --product milan --tcb "$TCB_MILAN")
	# A FIFO as the key or the certificate: refused at once, no request.
	mkfifo "$T/k.fifo"
	run --separate-stderr timeout 20 "$SNP_CERTCTL" "${vlek[@]}" --client-cert "$C/client.pem" \
		--client-key "$T/k.fifo"
	assert_equal "$status" 1
	assert_equal "$stderr" "snp-certctl: refusing the client key '$T/k.fifo': not a regular file"
	run --separate-stderr timeout 20 "$SNP_CERTCTL" "${vlek[@]}" --client-cert "$T/k.fifo" \
		--client-key "$C/client.key"
	assert_equal "$status" 1
	assert_equal "$stderr" "snp-certctl: refusing the client certificate '$T/k.fifo': not a regular file"
	# As root: another user's key, or one others may write, is refused (through a link too).
	cp "$C/client.key" "$T/nobody.key"
	chmod 600 "$T/nobody.key"
	chown nobody "$T/nobody.key"
	ln -s "$T/nobody.key" "$T/link.key"
	run --separate-stderr certctl "${vlek[@]}" --client-cert "$C/client.pem" --client-key "$T/link.key"
	assert_failure 1
	[[ "$stderr" == "snp-certctl: refusing the client key '$T/link.key': "*"not owned by root"* ]]
	cp "$C/client.pem" "$T/open.pem"
	chmod 666 "$T/open.pem"
	run --separate-stderr certctl "${vlek[@]}" --client-cert "$T/open.pem" --client-key "$C/client.key"
	assert_failure 1
	[[ "$stderr" == "snp-certctl: refusing the client certificate '$T/open.pem': "*"writable by group or others"* ]]
	# An encrypted key: refused before asking anything (never a prompt).
	openssl pkey -in "$C/client.key" -aes256 -passout pass:secret -out "$T/enc.key"
	chmod 600 "$T/enc.key"
	run --separate-stderr certctl "${vlek[@]}" --client-cert "$C/client.pem" --client-key "$T/enc.key" < /dev/null
	assert_failure 1
	assert_equal "$stderr" "snp-certctl: refusing the client key '$T/enc.key': it is encrypted, and snp-certctl never asks for a passphrase; give it unencrypted (openssl pkey -in KEY -out PLAIN, mode 0600)"
	[ "$(requests /vlek/)" = 0 ]
	# A key others may read works, with a warning.
	cp "$C/client.key" "$T/readable.key"
	chmod 644 "$T/readable.key"
	run --separate-stderr certctl "${vlek[@]}" --client-cert "$C/client.pem" --client-key "$T/readable.key" -o "$T/vlek.der"
	assert_success
	assert_equal "$stderr" "snp-certctl: warning: the client key '$T/readable.key' is readable by group or others: chmod 0600 it"
	[ -s "$T/vlek.der" ]
}

@test "fetch vlek: a VLEK that does not verify (signed by the ASK, or for another TCB) exits 4 and is neither cached nor written" {
	csp_setup
	for fault in wrong-signer wrong-tcb; do
		mode "$fault target=vlek"
		run --separate-stderr certctl fetch vlek --product milan --tcb "$TCB_MILAN" "${CLIENT[@]}" \
			-o "$T/vlek.der"
		[ "$status" -eq 4 ]
		[[ "$stderr" == "snp-certctl: the VLEK KDS sent for Milan VLEK TCB bl=3,tee=1,snp=8,ucode=115 does not verify: "* ]]
		[ ! -e "$T/vlek.der" ]
		[ -z "$(find "$T/cache" -name '*.der')" ]
	done
	mode "wrong-tcb target=vlek"
	run --separate-stderr certctl fetch vlek --product milan --tcb "$TCB_MILAN" "${CLIENT[@]}"
	[[ "$stderr" == *"it is for TCB bl=3,tee=1,snp=8,ucode=116, not bl=3,tee=1,snp=8,ucode=115" ]]
}

@test "fetch hashsticks: POSTs the chip id, writes the 432-byte hashstick, caches it; a cached one makes no request" {
	csp_setup
	run --separate-stderr certctl fetch hashsticks --product milan --hwid "$HWID_MILAN" \
		--tcb "$TCB_MILAN" "${CLIENT[@]}" -o "$T/hs.bin"
	assert_success
	grep -qxF "POST $HS_REQ 200" "$LOG"
	cmp "$T/hs.bin" <(expected_hashstick "$HWID_MILAN")
	cmp "$T/hs.bin" "$T/cache/vlek/Milan/hash_sticks/$HWID_MILAN/7308000000000103.bin"
	: >"$LOG"
	run --separate-stderr certctl fetch hashsticks --product milan --hwid "$HWID_MILAN" \
		--tcb "$TCB_MILAN" "${CLIENT[@]}" -o "$T/hs2.bin" --json
	assert_success
	[ "$(jq -r '.kind + " " + .hwid + " " + (.from_cache|tostring)' <<<"$output")" = \
		"hashsticks $HWID_MILAN true" ]
	[ "$(requests /vlek/)" = 0 ]
	cmp "$T/hs.bin" "$T/hs2.bin"
}

@test "fetch hashsticks: a cached hashstick someone else could have planted is not used" {
	csp_setup
	local d="$T/cache/vlek/Milan/hash_sticks/$HWID_MILAN"
	mkdir -p "$d"
	head -c 432 /dev/urandom > "$T/planted.bin"
	ln -s "$T/planted.bin" "$d/7308000000000103.bin"
	chown -R nobody "$T/cache"
	chmod -R 777 "$T/cache"
	run --separate-stderr certctl fetch hashsticks --product milan --hwid "$HWID_MILAN" \
		--tcb "$TCB_MILAN" "${CLIENT[@]}" -o "$T/hs.bin"
	assert_success
	[[ "$stderr" == "snp-certctl: warning: refusing the cached hashstick '$d/7308000000000103.bin': "*"; fetching it again"* ]]
	grep -qxF "POST $HS_REQ 200" "$LOG"
	cmp "$T/hs.bin" <(expected_hashstick "$HWID_MILAN")
	# --offline: nothing usable, nothing written.
	run --separate-stderr certctl fetch hashsticks --product milan --hwid "$HWID_MILAN" \
		--tcb "$TCB_MILAN" --offline -o "$T/hs-offline.bin"
	[ "$status" -eq 6 ]
	[ ! -e "$T/hs-offline.bin" ]
}

@test "fetch hashsticks: KDS's \"not found\" exits 6, a reply that is not a hashstick exits 4, nothing cached or written" {
	csp_setup
	local other=ff${HWID_MILAN:2}
	run --separate-stderr certctl fetch hashsticks --product milan --hwid "$other" \
		--tcb "$TCB_MILAN" "${CLIENT[@]}" -o "$T/hs.bin"
	[ "$status" -eq 6 ]
	assert_equal "$stderr" "snp-certctl: KDS has no Milan hashstick hwid ff010203... TCB bl=3,tee=1,snp=8,ucode=115 (\"not found\")"
	mode "garbage target=hashsticks"
	run --separate-stderr certctl fetch hashsticks --product milan --hwid "$HWID_MILAN" \
		--tcb "$TCB_MILAN" "${CLIENT[@]}" -o "$T/hs.bin"
	[ "$status" -eq 4 ]
	[[ "$stderr" == *"is malformed: not a hash_sticks result with a 432-byte hashstick for this chip" ]]
	[ ! -e "$T/hs.bin" ]
	[ -z "$(cache_state)" ]
}

@test "fetch vlek, hashsticks: --platform asks for the reported TCB (and the chip id); usage errors exit 2" {
	csp_setup
	fake_sev_setup
	set_state reported_tcb=0x7308000000000103 chip_id="$HWID_MILAN"
	run --separate-stderr fake fetch vlek --platform --product milan "${CLIENT[@]}" -o "$T/v.der"
	assert_success
	grep -qxF "GET $VLEK_REQ 200" "$BATS_FILE_TMPDIR/kds.log"
	run --separate-stderr fake fetch hashsticks --platform --product milan "${CLIENT[@]}" \
		-o "$T/hs.bin"
	assert_success
	cmp "$T/hs.bin" <(expected_hashstick "$HWID_MILAN")
	run --separate-stderr certctl fetch hashsticks --product milan --hwid "$HWID_MILAN" \
		--tcb "$TCB_MILAN" "${CLIENT[@]}"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"hashsticks are binary: give -o PATH"* ]]
	run --separate-stderr certctl fetch vlek --product milan --hwid "$HWID_MILAN" --tcb "$TCB_MILAN"
	[ "$status" -eq 2 ]
	run --separate-stderr certctl fetch vcek --product milan --hwid "$HWID_MILAN" \
		--tcb "$TCB_MILAN" "${CLIENT[@]}"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"--client-cert, --client-key and --csp-url are for 'vlek' and 'hashsticks'"* ]]
}

# ---- fetch cek: the legacy SEV CEK ------------------------------------------

cek_setup() {
	FX="$SNPCERT_FIXTURES/sev"
	CEK_ID=$(xxd -p -c 256 "$FX/id.bin")
	CEK_ID=${CEK_ID^^}
	BAD_ID=$(printf 'AB%.0s' $(seq 64))
	# The test platform's private root: its ASK then its ARK, as AMD's ask_ark files.
	cat "$FX/ask.cert" "$FX/ark.cert" >"$T/ask_ark.cert"
	ROOT=(--trust-root "$T/ask_ark.cert")
}

@test "fetch cek: from KDS, verified by the trust root's ASK, cached, then from the cache" {
	cek_setup
	run --separate-stderr certctl fetch cek --id "${CEK_ID,,}" "${ROOT[@]}" -o "$T/cek.cert"
	assert_success
	cmp "$T/cek.cert" "$FX/cek.cert"
	cmp "$T/cache/cek/id/$CEK_ID.cert" "$FX/cek.cert"
	assert_equal "$(requests "GET /cek/id/$CEK_ID 200")" 1
	run --separate-stderr certctl fetch cek --id "$CEK_ID" "${ROOT[@]}" --json
	assert_success
	assert_equal "$(requests)" 1
	json_check_wrapper fetch "$output"
	assert_equal "$(jq -r .kind <<<"$output")" cek
	assert_equal "$(jq -r .id <<<"$output")" "$CEK_ID"
	assert_equal "$(jq -r .request <<<"$output")" "/cek/id/$CEK_ID"
	assert_equal "$(jq -r .from_cache <<<"$output")" true
	assert_equal "$(jq -r .cache <<<"$output")" "$T/cache/cek/id/$CEK_ID.cert"
	assert_equal "$(jq -r .sha256 <<<"$output")" "$(sha256sum <"$FX/cek.cert" | cut -d' ' -f1)"
	# Without the trust root, no pinned AMD ASK signed it: the cached copy is refused too.
	run --separate-stderr certctl fetch cek --id "$CEK_ID" --offline -o "$T/x.cert"
	assert_failure 6
	[[ "$stderr" == *"does not verify: the CEK is not signed by any pinned AMD ASK"* ]] ||
		{ echo "stderr: $stderr"; return 1; }
	[ ! -e "$T/x.cert" ]
}

@test "fetch cek --platform: the id from GET_ID2 of the device" {
	cek_setup
	fake_sev_setup
	set_state "sev_chain=$FX"
	run --separate-stderr fake fetch cek --platform "${ROOT[@]}" -o "$T/cek.cert" --product rome
	assert_success
	cmp "$T/cek.cert" "$FX/cek.cert"
	grep -q ' SEV_GET_ID2 ok$' "$LOG"
	assert_equal "$(kds_requests "GET /cek/id/$CEK_ID 200")" 1
	set_state mask_chip_id=1
	run --separate-stderr fake fetch cek --platform "${ROOT[@]}" -o "$T/cek2.cert"
	assert_failure 5
	assert_equal "$stderr" "snp-certctl: cannot fetch this platform's CEK: the firmware masks the chip id (mask_chip_id)"
	set_state mask_chip_id=0 errno_SEV_GET_ID2=5
	run --separate-stderr fake fetch cek --platform "${ROOT[@]}" -o "$T/cek2.cert"
	assert_failure 5
	assert_equal "$stderr" "snp-certctl: SEV_GET_ID2 failed on '$T/sev': Input/output error"
	[ ! -e "$T/cek2.cert" ]
}

@test "fetch cek: a CEK from KDS that does not verify is refused, not cached, nothing written" {
	cek_setup
	echo "previous output" >"$T/out.cert"
	run --separate-stderr certctl fetch cek --id "$BAD_ID" "${ROOT[@]}" -o "$T/out.cert"
	assert_failure 4
	assert_equal "$stderr" "snp-certctl: the SEV CEK of chip ABABABAB... from KDS does not verify: the CEK is not signed by any pinned AMD ASK, and the CEK has no signature by the --trust-root ASK"
	assert_equal "$(cat "$T/out.cert")" "previous output"
	[ ! -e "$T/cache/cek" ] || [ -z "$(find "$T/cache/cek" -type f)" ]
	# Garbage in place of the CEK: the same.
	mode garbage target=cek
	run --separate-stderr certctl fetch cek --id "$CEK_ID" "${ROOT[@]}" -o "$T/out.cert"
	assert_failure 4
	[[ "$stderr" == *"from KDS does not verify: it is not a SEV certificate"* ]] ||
		{ echo "stderr: $stderr"; return 1; }
	assert_equal "$(cat "$T/out.cert")" "previous output"
	[ -z "$(find "$T/cache" -type f)" ]
}

@test "fetch cek --offline: a miss exits 6 and asks nothing" {
	cek_setup
	run --separate-stderr certctl fetch cek --id "$CEK_ID" "${ROOT[@]}" --offline -o "$T/c.cert"
	assert_failure 6
	assert_equal "$stderr" "snp-certctl: no usable SEV CEK of chip ${CEK_ID:0:8}... in the cache '$T/cache', and --offline forbids asking KDS"
	assert_equal "$(requests)" 0
	[ ! -e "$T/c.cert" ]
}

@test "fetch cek: 429 with Retry-After is honoured" {
	cek_setup
	mode 429 count=1 retry=1 target=cek
	start=$(now_ms)
	run --separate-stderr certctl fetch cek --id "$CEK_ID" "${ROOT[@]}" -o "$T/c.cert"
	end=$(now_ms)
	assert_success
	[ $((end - start)) -ge 1000 ]
	assert_equal "$(requests " 429")" 1
	assert_equal "$(requests "GET /cek/id/$CEK_ID 200")" 1
	[[ "$stderr" =~ "(429); retrying in 1" ]] || { echo "stderr: $stderr"; return 1; }
	cmp "$T/c.cert" "$FX/cek.cert"
}

@test "fetch cek: bad options and ids" {
	cek_setup
	run --separate-stderr certctl fetch cek -o "$T/c.cert"
	assert_failure 2
	[[ "$stderr" == *"fetching a CEK needs --id HEX or --platform"* ]]
	run --separate-stderr certctl fetch cek --id 00 -o "$T/c.cert"
	assert_failure 2
	[[ "$stderr" == *"invalid chip id '00': want 128 hex digits per socket"* ]]
	run --separate-stderr certctl fetch cek --id "$CEK_ID"
	assert_failure 2
	[[ "$stderr" == *"a CEK is binary: give -o PATH"* ]]
	run --separate-stderr certctl fetch cek --id "$CEK_ID" --product Venice -o "$T/c.cert"
	assert_failure 2
	[[ "$stderr" == *"invalid product 'Venice' for a CEK"* ]]
	run --separate-stderr certctl fetch cek --id "$CEK_ID" --platform -o "$T/c.cert"
	assert_failure 2
	run --separate-stderr certctl fetch cek --id "$CEK_ID" --tcb 0x1 -o "$T/c.cert"
	assert_failure 2
	[[ "$stderr" == *"--tcb is not for 'cek'"* ]]
	run --separate-stderr certctl fetch vcek --id "$CEK_ID"
	assert_failure 2
	run --separate-stderr certctl fetch cek --id "$CEK_ID" --trust-root "$FX/pek.cert" -o "$T/c.cert"
	assert_failure 4
	[[ "$stderr" == *"is not an AMD CA certificate"* ]]
	assert_equal "$(requests)" 0
	[ ! -e "$T/c.cert" ]
}
