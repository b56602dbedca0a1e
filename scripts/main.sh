#!/usr/bin/env bash
# Set up, then run the main job: the exact benchmarks of the paper's instance, then self-play agents trained
# on its alternating-offers protocol (break-off 0.1, 10 rounds), evaluated against the exact SPE.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh train,plot
mkdir -p runs
.venv/bin/infobargain solve --scenario pure_math --first-proposer coin_flip --plot runs/pure_math_benchmarks.png
.venv/bin/infobargain train --config configs/paper_selfplay.toml --out "runs/paper_selfplay-$(date +%Y%m%d-%H%M%S)"
