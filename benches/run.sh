#!/usr/bin/env bash
# Builds, checks and times every benchmark; writes benches/report/REPORT.md.
#   bash benches/run.sh            full run (ADBench-like sizes, ~15 min on 2 cores)
#   bash benches/run.sh --quick    small sizes, ~3 min; report in benches/out/quick-report/
# Other options: --no-jax, --no-enzyme, --no-plain-flags, --only gmm,ba, --report-only (rebuild REPORT.md from results.json),
#                --out DIR (report directory), --plugin-flags "-mllvm -ferment-X" (added to every
#                compile that loads the plugin: an A/B of one option on the same plugin build).
#   bash benches/run.sh --setup ...  first installs the optional Enzyme peer, best effort:
#                                    python3.11 -m pip install enzyme-ad (not used by CI)
#   bash benches/run.sh --mpi [G T]  the MPI benchmark only (benches/mpi/run.sh, report/MPI.md)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
command -v "$PY" >/dev/null || { echo "python3 is required" >&2; exit 2; }
if [ "${1:-}" = "--setup" ]; then
    shift
    EPY=${ENZYME_PYTHON:-python3.11}
    if command -v "$EPY" >/dev/null; then
        "$EPY" -m pip install enzyme-ad || echo "enzyme-ad install failed: the Enzyme peer will be skipped" >&2
    else
        echo "$EPY not found (enzyme-ad needs Python 3.11): the Enzyme peer will be skipped" >&2
    fi
fi
if [ "${1:-}" = "--mpi" ]; then
    shift
    exec bash benches/mpi/run.sh "$@"   # the MPI benchmark (issue 17): benches/mpi/
fi
exec "$PY" benches/run.py "$@"
