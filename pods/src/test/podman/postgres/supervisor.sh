#!/bin/bash
# A supervisor as the container's main process (Patroni, Spilo's runit, wrapper scripts): it starts
# PostgreSQL and starts it again whenever it exits, inside the same container. Backends of a killed
# postmaster that survive (e.g. stopped ones) keep its segment attached, and every restart fails
# with "pre-existing shared memory block ... is still in use" until they are gone.
child=0
trap 'echo "supervisor: stopping"; [ $child -gt 0 ] && kill -INT $child; wait $child; exit 0' TERM INT
while true; do
  postgres -D "$PGDATA" &
  child=$!
  wait $child
  rc=$?
  echo "supervisor: postgres (pid $child) exited with $rc; restarting in 1 s"
  sleep 1
done
