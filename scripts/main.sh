#!/usr/bin/env bash
# Set up, then run the main job: the exact benchmarks of the paper's instance.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh train,plot
mkdir -p runs
.venv/bin/infobargain solve --scenario pure_math --first-proposer coin_flip --plot runs/pure_math_benchmarks.png
