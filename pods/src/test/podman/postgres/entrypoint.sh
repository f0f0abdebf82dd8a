#!/bin/bash
# Official-image layout: initdb on first start, then `exec postgres` (postgres is the container's
# main process). `entrypoint.sh supervisor` instead runs supervisor.sh as the main process, which
# restarts PostgreSQL inside the container (as Patroni and Spilo's runit do). PGPORT is the port.
set -euo pipefail
: "${PGDATA:?PGDATA must be set}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb -D "$PGDATA" --auth=trust -U postgres --no-sync >/dev/null
  cat >> "$PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
log_line_prefix = '%m [%p] '
log_connections = on
shared_buffers = 16MB
CONF
  echo "entrypoint: initialised $PGDATA"
fi
# Scenario (d): after a crash (postmaster.pid left behind), restore the data directory "from a
# backup" to a new place: a copy with a new inode, without postmaster.pid (pg_basebackup leaves it
# out). The dead server's segment, keyed and stamped by the old inode, is then never recycled: a leak.
if [ "${RESTORE_ON_RESTART:-}" = 1 ] && [ -f "$PGDATA/postmaster.pid" ]; then
  cp -a "$PGDATA" "$PGDATA.restored"
  rm -rf "$PGDATA"
  mv "$PGDATA.restored" "$PGDATA"
  rm -f "$PGDATA/postmaster.pid"
  echo "entrypoint: restored $PGDATA to a new place (inode $(stat -c %i "$PGDATA"))"
fi
if [ "${1:-}" = supervisor ]; then
  exec /usr/local/bin/supervisor.sh
fi
exec postgres -D "$PGDATA"
