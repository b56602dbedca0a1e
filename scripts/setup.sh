#!/usr/bin/env bash
# Creates a virtual environment (once) and installs infobargain with the given extras into it.
# Usage: scripts/setup.sh [EXTRAS] [VENV]   (defaults: train,plot and .venv)
# Torch is pinned to the local CPU build first: an unpinned torch would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-train,plot}"
venv="${2:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
if [[ ",$extras," == *",train,"* ]]; then
  "$venv/bin/python" -m pip install --quiet "torch==2.13.0"
fi
"$venv/bin/python" -m pip install --quiet -e ".[$extras]"
# Compile the exact polygon walk once (numba caches the machine code next to its source): ~15 s here rather
# than in the first solve or environment that needs it.
"$venv/bin/infobargain" solve --scenario pure_math > /dev/null
