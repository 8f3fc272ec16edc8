#!/usr/bin/env bash
# Stops the broker that start.sh started on KAFKA_PORT (default 9092), by the PID it recorded:
# SIGTERM (Kafka shuts down cleanly, flushing logs and leaving the KRaft quorum), then SIGKILL
# after KAFKA_STOP_TIMEOUT seconds (30). Does nothing when no broker was started here.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${KAFKA_CACHE_DIR:-$ROOT/.cache/kafka}"
PORT="${KAFKA_PORT:-9092}"
DATA="${KAFKA_DATA_DIR:-$CACHE/data-$PORT}"
PIDFILE="$DATA/kafka.pid"
TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

if [[ ! -f "$PIDFILE" ]]; then
  echo "kafka: no broker started by start.sh on port $PORT ($PIDFILE absent)" >&2
  exit 0
fi
PID="$(cat "$PIDFILE")"
if ! kill -0 "$PID" 2>/dev/null; then
  rm -f "$PIDFILE"; echo "kafka: pid $PID already gone" >&2; exit 0
fi
kill -TERM "$PID"
deadline=$((SECONDS + TIMEOUT))
while kill -0 "$PID" 2>/dev/null; do
  if (( SECONDS >= deadline )); then
    echo "kafka: pid $PID still alive after ${TIMEOUT}s, killing" >&2
    kill -KILL "$PID" 2>/dev/null || true
    break
  fi
  sleep 0.2
done
rm -f "$PIDFILE"
echo "kafka: stopped broker pid $PID (port $PORT)" >&2
