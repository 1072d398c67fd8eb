#!/usr/bin/env bash
# Builds, checks and times every benchmark; writes benches/report/REPORT.md.
#   bash benches/run.sh            full run (ADBench-like sizes, ~15 min on 2 cores)
#   bash benches/run.sh --quick    small sizes, ~3 min; report in benches/out/quick-report/
# Other options: --no-jax, --only gmm,ba, --report-only (rebuild REPORT.md from results.json),
#                --out DIR (report directory).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
command -v "$PY" >/dev/null || { echo "python3 is required" >&2; exit 2; }
exec "$PY" benches/run.py "$@"
