#!/usr/bin/env bash
# `npm test`: from a fresh clone to a full test run with one command.
#
#  1. installs what is missing: apt packages (when root), node modules (npm ci), Kafka jars;
#  2. starts Kafka on 127.0.0.1:9092 if no broker answers (or uses KAFKA_BROKERS), checks
#     PostgreSQL (starting the local cluster if it is down);
#  3. runs lint, typecheck and every project's jest tests;
#  4. stops what it started, and exits non-zero if any step failed.
#
# What cannot be set up is named in a summary; tests that need it report themselves skipped.
# Environment: KAFKA_BROKERS, DATABASE_URL, NETSENTRY_SKIP_APT=1, NETSENTRY_SKIP_INSTALL=1,
# JEST_ARGS (extra jest arguments, e.g. a path filter).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
export CI="${CI:-true}"

say() { printf '\n== %s\n' "$*"; }
MISSING=()      # things we could not set up (reported at the end)
FAILED=()       # steps that failed
STARTED_KAFKA=0
STARTED_PG=""
T0=$SECONDS

cleanup() {
  if [[ "$STARTED_KAFKA" == 1 ]]; then
    say "stopping the Kafka broker this run started"
    bash infra/kafka/stop.sh || true
  fi
  if [[ -n "$STARTED_PG" ]]; then
    say "stopping PostgreSQL cluster $STARTED_PG (started by this run)"
    pg_ctlcluster --skip-systemctl-redirect $STARTED_PG stop || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. apt packages ----------------------------------------------------------------------
APT_PACKAGES=(libpcap-dev tshark tcpdump nmap hping3 docker-compose chromium python3-sklearn
  softflowd tcpreplay socat dnsmasq-base iproute2 iputils-ping curl argus-server argus-client
  build-essential python3)
command -v java >/dev/null || APT_PACKAGES+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || APT_PACKAGES+=(maven)
[[ -d /etc/postgresql ]] || APT_PACKAGES+=(postgresql)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
apt_missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${APT_PACKAGES[@]}"; do installed "$p" || apt_missing+=("$p"); done
fi
if ((${#apt_missing[@]})); then
  if [[ "${NETSENTRY_SKIP_APT:-}" == 1 ]]; then
    MISSING+=("apt packages (NETSENTRY_SKIP_APT=1): ${apt_missing[*]}")
  elif [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    say "installing apt packages: ${apt_missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections 2>/dev/null || true
    if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/tmp/netsentry-apt.log 2>&1; then
      echo "installed ${#apt_missing[@]} packages"
    else
      # Try one by one so one unavailable package does not block the others.
      for p in "${apt_missing[@]}"; do
        apt-get install -y -qq --no-install-recommends "$p" >>/tmp/netsentry-apt.log 2>&1 || MISSING+=("apt package $p (apt-get failed, see /tmp/netsentry-apt.log)")
      done
    fi
  else
    MISSING+=("apt packages (not root, install them yourself): ${apt_missing[*]}")
  fi
fi

# --- 2. node modules ----------------------------------------------------------------------
if [[ "${NETSENTRY_SKIP_INSTALL:-}" != 1 ]]; then
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    say "installing node modules (npm ci)"
    if ! npm ci --no-audit --no-fund; then
      # npm ci refuses a lock file that lacks other platforms' optional binaries (darwin/win32
      # builds of @swc/core, @next/swc...), which registry mirrors that carry only this platform
      # produce. npm install resolves the same versions from the lock and tolerates that.
      say "npm ci refused the lock file (see above); falling back to npm install"
      if ! npm install --no-audit --no-fund; then
        echo "npm install failed: node modules are missing or stale; cannot run the tests" >&2
        exit 1
      fi
    fi
  fi
fi

# The compiled CLI, which `npx netsentry` (apps/cli/bin/netsentry.js) runs while it matches the
# sources; without it the bin compiles the TypeScript on the fly (slower start, same results).
say "the compiled CLI (apps/cli/dist)"
node apps/cli/scripts/build.js --if-stale || echo "building apps/cli/dist failed; npx netsentry compiles the TypeScript sources instead" >&2
# The compiled services (dist/), which scripts/service.js runs while they match the sources, as
# the Docker image does; the specs that start services then test what ships.
say "the compiled services (dist/)"
node scripts/build-services.js --if-stale || echo "building dist/ failed; the services run from the TypeScript sources instead" >&2

# --- 3. Kafka -----------------------------------------------------------------------------
say "Kafka"
# Jars first, even when a broker is already running: the restart test starts its own broker.
if ! bash infra/kafka/start.sh --fetch; then
  MISSING+=("Kafka jars: infra/kafka/start.sh --fetch failed (needs java 17+ and mvn with network access to Maven Central)")
fi
if [[ -n "${KAFKA_BROKERS:-}" ]]; then
  if node infra/kafka/probe.js "$KAFKA_BROKERS"; then
    echo "using KAFKA_BROKERS=$KAFKA_BROKERS"
  else
    MISSING+=("Kafka: KAFKA_BROKERS=$KAFKA_BROKERS does not answer")
  fi
elif node infra/kafka/probe.js 127.0.0.1:9092; then
  echo "reusing the broker on 127.0.0.1:9092"
  export KAFKA_BROKERS=127.0.0.1:9092
else
  if out="$(bash infra/kafka/start.sh)"; then
    STARTED_KAFKA=1
    export KAFKA_BROKERS=127.0.0.1:9092
    echo "$out"
  else
    MISSING+=("Kafka: infra/kafka/start.sh failed (needs java 17+ and mvn, or KAFKA_BROKERS); Kafka tests will fail")
  fi
fi

# --- 4. PostgreSQL ------------------------------------------------------------------------
say "PostgreSQL"
pg_up() { node -e "
  const { Client } = require('pg');
  const u = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/netsentry'); u.pathname = '/postgres';
  const c = new Client({ connectionString: u.toString(), connectionTimeoutMillis: 3000 });
  c.connect().then(() => c.query('SELECT 1')).then(() => c.end()).then(() => process.exit(0), () => process.exit(1));" 2>/dev/null; }
if pg_up; then
  echo "PostgreSQL answers"
else
  if command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]]; then
    ver="$(ls /etc/postgresql | sort -V | tail -1)"
    echo "PostgreSQL is down; starting cluster $ver main"
    if pg_ctlcluster --skip-systemctl-redirect "$ver" main start; then
      STARTED_PG="$ver main"
      for _ in $(seq 1 30); do pg_up && break; sleep 0.5; done
    fi
  fi
  # A cluster this run just installed uses password auth over TCP; tests log in as postgres with
  # trust on 127.0.0.1 (as on the development machines), so allow exactly that, once.
  if ! pg_up && [[ " ${apt_missing[*]:-} " == *" postgresql "* && -d /etc/postgresql ]]; then
    ver="$(ls /etc/postgresql | sort -V | tail -1)"
    hba="/etc/postgresql/$ver/main/pg_hba.conf"
    if [[ -f "$hba" ]] && ! grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
      echo "allowing trust login for postgres from 127.0.0.1 in $hba (cluster installed by this run)"
      sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
      if ! pg_ctlcluster --skip-systemctl-redirect "$ver" main reload 2>/dev/null; then
        pg_ctlcluster --skip-systemctl-redirect "$ver" main start && STARTED_PG="$ver main"
      fi
      for _ in $(seq 1 20); do pg_up && break; sleep 0.5; done
    fi
  fi
  pg_up || MISSING+=("PostgreSQL: nothing answers at ${DATABASE_URL:-postgres://postgres@127.0.0.1:5432} (trust login for user postgres expected); database tests will fail")
fi

# --- 5. lint, typecheck, tests --------------------------------------------------------------
step() {
  local name="$1"; shift
  say "$name: $*"
  local t=$SECONDS
  if "$@"; then echo "$name passed in $((SECONDS - t)) s"; else FAILED+=("$name"); echo "$name FAILED in $((SECONDS - t)) s"; fi
}
# The Nx module-boundary rule reads the cached project graph; without one it silently skips.
step project-graph npx nx show projects --json
step lint npx eslint .
step typecheck npx tsc -p tsconfig.json --noEmit
# shellcheck disable=SC2086
step jest npx jest --ci --maxWorkers=2 ${JEST_ARGS:-}

# --- summary --------------------------------------------------------------------------------
say "summary ($((SECONDS - T0)) s)"
if ((${#MISSING[@]})); then
  echo "Could not set up (tests needing these fail or report themselves skipped):"
  printf '  - %s\n' "${MISSING[@]}"
fi
if ((${#FAILED[@]})); then
  echo "FAILED: ${FAILED[*]}"
  exit 1
fi
echo "all steps passed"
