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
if [ "${1:-}" = supervisor ]; then
  exec /usr/local/bin/supervisor.sh
fi
exec postgres -D "$PGDATA"
