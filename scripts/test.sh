#!/usr/bin/env bash
# Set up, then lint and run the whole test suite (slow tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh train,plot,dev,rllib
.venv/bin/ruff check infobargain tests benchmarks
.venv/bin/python -m pytest -n 2 "$@"
