#!/usr/bin/env bash
# `npm run bench`: every bench/*.bench.ts in sequence (never in parallel: they measure the machine),
# each run with `node -r @swc-node/register`; the services they start run compiled (dist/, built
# here when stale), as in the Docker image. Benchmarks print markdown tables; this script adds a
# heading per file and exits non-zero if any benchmark failed. BENCH_FILTER=<substring> runs a subset.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
shopt -s nullglob
files=(bench/*.bench.ts)
if ((${#files[@]} == 0)); then echo "no benchmarks in bench/"; exit 0; fi
failed=()
node scripts/build-services.js --if-stale >&2 || echo "building dist/ failed: the services run from the TypeScript sources" >&2
echo "# NetSentry benchmarks ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, node $(node -v))"
for f in "${files[@]}"; do
  [[ -n "${BENCH_FILTER:-}" && "$f" != *"$BENCH_FILTER"* ]] && continue
  echo
  echo "## $(basename "$f" .bench.ts)"
  echo
  t=$SECONDS
  if ! node -r @swc-node/register "$f"; then failed+=("$f"); fi
  echo
  echo "_($((SECONDS - t)) s)_"
done
if ((${#failed[@]})); then echo; echo "FAILED: ${failed[*]}"; exit 1; fi
