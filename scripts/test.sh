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
NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --site-dir build/site  # warnings fail (not --quiet: it hides them)
# The learning gate (tests/test_learning_gate.py, a few CPU minutes of training) runs on the first install only:
# the second differs in Gymnasium, PettingZoo and Ray, which the learner and its exact checks do not run through.
for venv in .venv .venv-rllib; do
  echo "== tests on $venv: $("$venv/bin/python" -c 'import gymnasium, pettingzoo; print("gymnasium", gymnasium.__version__, "pettingzoo", pettingzoo.__version__)')"
  gate=run
  [ "$venv" = .venv-rllib ] && gate=skip  # the learning gate: once, on the install the learners run the same on
  INFOBARGAIN_LEARNING_GATE=$gate "$venv/bin/python" -m pytest -n 2 -m "" "$@"  # -m "": the slow tests too
done
.venv-benchmarl/bin/python -m pytest -n 2 -m "" tests/test_benchmarl.py  # only what this install adds
