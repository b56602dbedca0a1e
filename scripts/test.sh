#!/usr/bin/env bash
# Set up, then lint and run the whole test suite (slow tests included) on the installs users get:
#   .venv        the newest Gymnasium and PettingZoo that pip resolves for a plain install (no Ray);
#   .venv-rllib  the same plus the rllib extra, whose Ray pins an older Gymnasium;
#   .venv-benchmarl  the benchmarl extra, whose BenchMARL pins an older TorchRL: its own tests only.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh train,plot,dev,clients,docs .venv
.venv/bin/python -m pip install --quiet --upgrade gymnasium pettingzoo  # newest, even in an older .venv
bash scripts/setup.sh train,plot,dev,rllib,clients .venv-rllib
bash scripts/setup.sh benchmarl,dev .venv-benchmarl
.venv/bin/ruff check infobargain tests benchmarks
.venv/bin/mypy infobargain  # the package's types (settings in pyproject.toml)
NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --site-dir build/site  # warnings fail (not --quiet: it hides them)
# The first install runs everything (-m "": the slow tests and the learning gate too). The second differs only in
# Gymnasium, PettingZoo and Ray: it runs the fast tier and every test of a module that uses those libraries (or
# SuperSuit, Tianshou, TorchRL) itself, slow ones included (the `install` mark, set by tests/conftest.py).
versions() { "$1/bin/python" -c 'import gymnasium, pettingzoo; print("gymnasium", gymnasium.__version__, "pettingzoo", pettingzoo.__version__)'; }
echo "== tests on .venv: $(versions .venv)"
.venv/bin/python -m pytest -n 2 --maxschedchunk 2 -m "" "$@"
echo "== tests on .venv-rllib: $(versions .venv-rllib)"
.venv-rllib/bin/python -m pytest -n 2 --maxschedchunk 2 -m "not slow or install" "$@"
.venv-benchmarl/bin/python -m pytest -n 2 -m "" tests/test_benchmarl.py  # only what this install adds
