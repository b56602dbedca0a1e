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
constraints="$(mktemp)"
trap 'rm -f "$constraints"' EXIT
if [[ ",$extras," == *",train,"* || ",$extras," == *",benchmarl,"* ]]; then
  "$venv/bin/python" -m pip install --quiet "torch==2.13.0"
  echo "torch==2.13.0" >"$constraints"  # and kept: BenchMARL's torchvision would otherwise upgrade it
fi
"$venv/bin/python" -m pip install --quiet --constraint "$constraints" -e ".[$extras]"
# Compile the numba kernels once (their machine code is cached next to their sources): ~20 s here rather than
# in the first solve, environment or test that needs them.
"$venv/bin/python" scripts/warm_up.py
