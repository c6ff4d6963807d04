#!/usr/bin/env bash
# Installs what `make test` needs beyond Go, so that on a fresh Debian
# machine the README's two commands are enough: a C compiler (the race
# detector needs cgo), Debian's chromium (the browser scenario) and Node.js
# with npm (the browser scenario and the interop suite's peers), and with
# RUCHE_TEST_POSTGRES PostgreSQL's client tools (the backup tests) and server
# programs (the fault tests, which restart a server of their own). As root it
# installs them with apt-get; otherwise it says what to install and fails.
# With RUCHE_TEST_POSTGRES set, it also starts the local PostgreSQL cluster
# when it is down, and fails when the server does not answer: the PostgreSQL
# half of the suite fails, never skips.
set -euo pipefail

missing=()
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
[ -x /usr/bin/chromium ] || missing+=(chromium)
{ command -v node >/dev/null && command -v npm >/dev/null; } || missing+=(nodejs npm)
# The backup round trip on PostgreSQL runs pg_dump and pg_restore; the
# fault tests start PostgreSQL servers of their own (initdb, pg_ctl).
if [ -n "${RUCHE_TEST_POSTGRES:-}" ]; then
	{ command -v pg_dump >/dev/null && command -v pg_restore >/dev/null; } || missing+=(postgresql-client)
	{ command -v initdb >/dev/null || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; } || missing+=(postgresql)
fi

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
		echo "make test needs: ${missing[*]} — install them (on Debian: sudo apt-get install ${missing[*]}) and run make test again" >&2
		exit 1
	fi
	echo "installing ${missing[*]} (apt-get)"
	apt-get update -q
	export DEBIAN_FRONTEND=noninteractive
	for pkg in "${missing[@]}"; do
		case $pkg in
		chromium) apt-get install -y -q chromium ;; # with its recommended fonts, for the screenshots
		*) apt-get install -y -q --no-install-recommends "$pkg" ;;
		esac
	done
fi
node --version >/dev/null

if [ -n "${RUCHE_TEST_POSTGRES:-}" ] && command -v pg_isready >/dev/null; then
	hostport=$(sed -E 's#^[a-z]+://([^/@]*@)?([^/?]*).*#\2#' <<<"$RUCHE_TEST_POSTGRES")
	host=${hostport%%:*}
	port=${hostport##*:}
	[ "$port" != "$hostport" ] || port=5432
	if ! pg_isready -q -h "$host" -p "$port" && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
		echo "starting PostgreSQL"
		pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
		for _ in $(seq 1 30); do pg_isready -q -h "$host" -p "$port" && break; sleep 1; done
	fi
	pg_isready -h "$host" -p "$port" >/dev/null || { echo "PostgreSQL at $host:$port does not answer (RUCHE_TEST_POSTGRES)" >&2; exit 1; }
fi
