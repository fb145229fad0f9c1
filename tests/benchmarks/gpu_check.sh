#!/usr/bin/env bash
# Every check of the CUDA path in one call (see tests/benchmarks/gpu_check.py for the steps).
#
#   OUT=/some/empty/folder bash tests/benchmarks/gpu_check.sh [--budget-s 480] [--cpu]
#
# Run from the repository root. The GPU machine has python3 with torch, numpy, networkx and
# pytest, and none of the app's packages (PySide6, pyqtgraph): the engine runs from the tree
# (PYTHONPATH=.) and the tests run are the engine's, which need no Qt. Results land in $OUT:
# summary.md, summary.json, steps.log. A failing step is recorded and the rest still run.
set -u
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-python3}"
export PYTHONPATH=. PYTHONUNBUFFERED=1 QT_QPA_PLATFORM=offscreen
exec "$PYTHON" tests/benchmarks/gpu_check.py "$@"
