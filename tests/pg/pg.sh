#!/usr/bin/env bash
# tests/pg/pg.sh - a real PostgreSQL server for the tests, on 127.0.0.1.
#
#   pg.sh start DIR     initdb a cluster in DIR (once), start it on a free
#                       port, create database "rawzone"; prints the URL
#                       postgresql://rawzone@127.0.0.1:PORT/rawzone as the
#                       last line of stdout and writes it to DIR/url
#   pg.sh stop DIR      fast shutdown, data kept (start again reuses it)
#   pg.sh crash DIR     immediate shutdown (a crash; recovery on next start)
#   pg.sh destroy DIR   stop, then remove DIR
#   pg.sh available     0 if Debian's postgresql server is installed, 77
#                       (skip) if not - 1 when CI=true
#
# The server runs as the postgres user when started as root (PostgreSQL
# refuses root), listens only on 127.0.0.1, and trusts local connections
# for the role "rawzone": it is a throwaway for tests, never a template.
set -euo pipefail

bindir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] && [ -x "$d/postgres" ] || return 1
	echo "$d"
}

# reachable DIR: as root, let the postgres user traverse DIR's parents (a
# test's scratch directory is 0700): o+x, not o+r, on those that lack it.
reachable() {
	local p
	[ "$(id -u)" -eq 0 ] || return 0
	p=$(dirname "$1")
	while [ "$p" != / ]; do
		runuser -u postgres -- test -x "$p" || chmod o+x "$p"
		p=$(dirname "$p")
	done
}

as_owner() { # command... (as postgres when we are root)
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cmd=${1:-}
case "$cmd" in
available)
	if bindir >/dev/null && command -v python3 >/dev/null; then exit 0; fi
	echo "PostgreSQL server binaries not found (Debian package postgresql)" >&2
	[ "${CI:-}" = true ] && exit 1
	exit 77
	;;
start)
	dir=${2:?pg.sh start DIR}
	bin=$(bindir) || { echo "pg.sh: no PostgreSQL server installed" >&2; exit 1; }
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	reachable "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
		as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust \
			--no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
			{ cat "$dir/initdb.log" >&2; exit 1; }
		free_port >"$dir/port"
	fi
	port=$(cat "$dir/port")
	as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=on -c max_connections=40" \
		start >/dev/null || { tail -n 20 "$dir/server.log" >&2; exit 1; }
	as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt \
		-c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rawzone') THEN CREATE ROLE rawzone LOGIN; END IF; END \$\$" >/dev/null
	if ! as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt \
		-c "SELECT 1 FROM pg_database WHERE datname = 'rawzone'" | grep -q 1; then
		as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres -O rawzone rawzone
	fi
	url="postgresql://rawzone@127.0.0.1:$port/rawzone"
	echo "$url" >"$dir/url"
	echo "$url"
	;;
stop | crash)
	dir=${2:?pg.sh $cmd DIR}
	bin=$(bindir) || exit 1
	[ -f "$dir/data/postmaster.pid" ] || exit 0
	as_owner "$bin/pg_ctl" -D "$dir/data" -m "$([ "$cmd" = crash ] && echo immediate || echo fast)" \
		-w -t 60 stop >/dev/null 2>&1 || true
	;;
destroy)
	dir=${2:?pg.sh destroy DIR}
	"$0" stop "$dir" || true
	rm -rf "$dir"
	;;
*)
	sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
	[ "$cmd" = --help ] || [ "$cmd" = -h ]
	;;
esac
