#!/bin/sh
# Berth's managed PostgreSQL: makes the cluster at first start (owner and database named by
# POSTGRES_USER and POSTGRES_DB, password POSTGRES_PASSWORD), then runs the server in the
# foreground, reachable with a password from the app's network only.
set -eu
BIN=/usr/lib/postgresql/15/bin
PGDATA=/var/lib/berth-postgres/data
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s' "$POSTGRES_PASSWORD" > "$pwfile"
  "$BIN/initdb" --pgdata="$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 >/dev/null
  rm -f "$pwfile"
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
  "$BIN/pg_ctl" --pgdata="$PGDATA" --options="-c listen_addresses='' -c unix_socket_directories=/tmp" --wait start >/dev/null
  "$BIN/createdb" --host=/tmp --username="$POSTGRES_USER" "$POSTGRES_DB"
  "$BIN/pg_ctl" --pgdata="$PGDATA" --wait stop >/dev/null
fi
exec "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp
