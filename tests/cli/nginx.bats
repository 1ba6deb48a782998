#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The shipped nginx snippet (hooks/examples/nginx-kds-mirror.conf) in a real
# nginx serving a mirror made by `snp-certctl mirror`: the content types and
# caching headers formats/mirror-layout.md gives, dot files (the mirror's
# temporary names) never served, no listing, and a host refreshing from it.

load helpers

HW_MILAN=$(printf '%02x' $(seq 0 63))
OLDTCB=bl=3,tee=1,snp=7,ucode=115

setup_file() {
	kds_file_setup
	old_vcek "$OLDTCB"
}

teardown_file() {
	stop_kds http
}

setup() {
	common_setup
	command -v nginx >/dev/null || fail "nginx is missing: make test-deps (Debian: nginx-light)"
	simulated_host
	W="$T/www"
	M="$W/kds"
	mkdir -p "$W"
}

teardown() {
	[ -s "$T/nginx/nginx.pid" ] && kill "$(cat "$T/nginx/nginx.pid")" 2>/dev/null
	stop_jobs
}

# serve_nginx: nginx on a free loopback port with the shipped snippet as it
# is, but for its root (the web root $W); MIRROR_URL is the mirror's URL.
serve_nginx() {
	local port i
	mkdir -p "$T/nginx/tmp"
	sed "s|^\(\s*root\) /srv/www;|\1 $W;|" "$REPO/hooks/examples/nginx-kds-mirror.conf" \
		>"$T/nginx/snippet.conf"
	grep -q "root $W;" "$T/nginx/snippet.conf"
	for i in 1 2 3; do
		port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		cat >"$T/nginx/nginx.conf" <<-EOF
			$([ "$(id -u)" = 0 ] && echo 'user root;')
			pid $T/nginx/nginx.pid;
			error_log $T/nginx/error.log;
			events {}
			http {
			    access_log $T/nginx/access.log;
			    client_body_temp_path $T/nginx/tmp;
			    proxy_temp_path $T/nginx/tmp;
			    fastcgi_temp_path $T/nginx/tmp;
			    server {
			        listen 127.0.0.1:$port;
			        include $T/nginx/snippet.conf;
			    }
			}
		EOF
		rm -f "$T/nginx/nginx.pid"
		nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -g 'daemon off;' 2>>"$T/nginx/start.log" 3>&- &
		for _ in $(seq 100); do
			python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
				"$port" 2>/dev/null && { MIRROR_URL="http://127.0.0.1:$port/kds"; return 0; }
			kill -0 $! 2>/dev/null || break
			sleep 0.05
		done
	done
	cat "$T/nginx/start.log" "$T/nginx/error.log" >&2
	return 1
}

# head PATH: "STATUS CONTENT-TYPE | CACHE-CONTROL" of GET $MIRROR_URL/PATH.
head_of() {
	python3 - "$MIRROR_URL/$1" <<-'EOF'
		import sys, urllib.error, urllib.request
		try:
		    r = urllib.request.urlopen(sys.argv[1], timeout=10)
		except urllib.error.HTTPError as e:
		    r = e
		print(r.status, r.headers.get("Content-Type"), "|", r.headers.get("Cache-Control"))
	EOF
}

# The mirror of this host's VCEK for its reported TCB, a CEK and a dot file.
make_mirror() {
	printf 'Milan %s %s\n' "$HW_MILAN" "$FX_TCB_MILAN" >"$T/hosts"
	run --separate-stderr certctl mirror "$M" --hosts "$T/hosts" --rate 50/s
	assert_success
	VCEK_PATH="vcek/Milan/$HW_MILAN/${FX_TCB_MILAN#0x}.der"
	[ -f "$M/$VCEK_PATH" ]
	[ -f "$M/vcek/Milan/crl.der" ]
	[ -f "$M/vcek/Milan/cert_chain.pem" ]
	# What a CEK is served as (snp-certctl writes cek/id/<ID>.cert), and
	# a temporary name as mirror makes them.
	mkdir -p "$M/cek/id"
	head -c 2084 /dev/zero >"$M/cek/id/00AB.cert"
	echo half >"$M/.snp-certctl.abc123"
}

@test "nginx: the shipped snippet serves the mirror with the types and caching of mirror-layout.md" {
	make_mirror
	serve_nginx
	assert_equal "$(head_of "$VCEK_PATH")" \
		"200 application/pkix-cert | public, max-age=31536000, immutable"
	assert_equal "$(head_of cek/id/00AB.cert)" \
		"200 application/octet-stream | public, max-age=31536000, immutable"
	assert_equal "$(head_of vcek/Milan/cert_chain.pem)" \
		"200 application/x-pem-file | public, max-age=604800"
	assert_equal "$(head_of vcek/Milan/crl.der)" "200 application/pkix-crl | public, max-age=86400"
	assert_equal "$(head_of index.json)" "200 application/json | no-cache"
	# Temporary names are never served, nor is any listing.
	assert_equal "$(head_of .snp-certctl.abc123)" "404 text/html | None"
	assert_equal "$(head_of vcek/Milan/)" "403 text/html | None"
}

@test "nginx: a host refreshes from the mirror nginx serves, no KDS request" {
	make_mirror
	serve_nginx
	# A table of the VCEK for an older TCB; the host's cache of its own, empty.
	old_table "$T/store/t.certs"
	: >"$KDS_LOG"
	SNP_CERTCTL_CACHE_DIR="$T/host-cache" run --separate-stderr fake refresh \
		--kds-mirror "$MIRROR_URL"
	assert_success
	assert_output --partial "updated $T/store/t.certs: installed the VCEK for the reported TCB"
	assert_equal "$(kds_requests)" 0
	grep -q "\"GET /kds/$VCEK_PATH HTTP/1.1\" 200" "$T/nginx/access.log"
	cmp "$T/host-cache/$VCEK_PATH" "$M/$VCEK_PATH"
}
