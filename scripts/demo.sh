#!/usr/bin/env bash
# npm run demo: set up what the demo needs, then analyse the shipped demo capture with the CLI
# (the whole pipeline in one process: decode -> flows -> Isolation Forest + rules -> report).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${DEMO_OUT:-$root/demo-output}
capture=${DEMO_CAPTURE:-$root/data/samples/demo.pcap}

say() { printf '\033[1mdemo:\033[0m %s\n' "$*"; }
fail() { printf 'demo: %s\n' "$*" >&2; exit 1; }

command -v node >/dev/null || fail "Node.js 20+ is required (node not found on PATH)."
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || fail "Node.js 20+ is required (found $(node --version))."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing node modules (npm ci)"
  npm ci --no-audit --no-fund || fail "npm ci failed; see the messages above."
fi

# The compiled CLI (npx netsentry runs it while it matches the sources; else it compiles them on the fly).
node apps/cli/scripts/build.js --if-stale >/dev/null || say "building apps/cli/dist failed; npx netsentry compiles the TypeScript sources instead"

[ -f "$capture" ] || fail "the demo capture $capture is missing (it is shipped in data/samples/; regenerate it with 'npm run lab -- run lab/scenarios/demo.yaml --out data/samples' as root)."
[ -f apps/cli/src/main.ts ] || fail "the CLI (apps/cli) is not built yet in this checkout: nothing to run."

baseline=${DEMO_BASELINE:-$root/data/samples/baseline.pcap}
rm -rf "$out"; mkdir -p "$out"
# Train on normal traffic first, then detect on the suspect capture: the workflow we recommend.
if [ -f "$baseline" ]; then
  say "training the Isolation Forest on the benign baseline $baseline"
  npx --no-install netsentry train "$baseline" -o "$out/model.json" || fail "netsentry train failed."
  model_args=(--model "$out/model.json")
else
  say "no baseline capture ($baseline): the model will be trained on the first part of the input"
  model_args=()
fi
say "analysing $capture"
set +e
npx --no-install netsentry analyze "$capture" "${model_args[@]}" --out "$out"
rc=$?
set -e
[ $rc -le 1 ] || fail "netsentry analyze failed (exit $rc)."
say "done. Open $out/report.html in a browser; machine-readable results are in $out/summary.json."
say "For the full service stack (Kafka, PostgreSQL, sensors, aggregator, detector, console): see README.md, 'Running the services'."
