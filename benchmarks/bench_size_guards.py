"""How fast oversized requests are refused: each command of issue 16 that ran out of memory or for minutes, run as
a fresh ``infobargain`` process (imports included, as a user sees it); the median wall time of a few runs, the exit
code and the one-line message. A ``solve --help`` run gives the start-up cost to compare with.

Usage::

    .venv/bin/python benchmarks/bench_size_guards.py            # 3 runs of each
    .venv/bin/python benchmarks/bench_size_guards.py --runs 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

INSTANCE = {"prior": [0.5, 0.5], "sender_utility": [[1, 0], [0, 1]], "receiver_utility": [[1, 0], [0, 1]]}


def commands(folder: Path) -> dict[str, list[str]]:
    signals = folder / "signals.json"
    signals.write_text(json.dumps({**INSTANCE, "signals": 100_000}))
    return {
        "start-up (solve --help)": ["solve", "--help"],
        "solve --scenario random:1000x1000:0": ["solve", "--scenario", "random:1000x1000:0"],
        "solve --max-rounds 100000000": ["solve", "--max-rounds", "100000000"],
        "train --grid-size 100000": ["train", "--grid-size", "100000", "--out", str(folder / "run")],
        "play --instance signals.json (100000 signals)": [
            "play",
            "--instance",
            str(signals),
            "--sender",
            "spe",
            "--receiver",
            "spe",
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for label, argv in commands(Path(folder)).items():
            times, done = [], None
            for _ in range(options.runs):
                started = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "infobargain.cli", *argv], capture_output=True, text=True)
                times.append(time.perf_counter() - started)
            assert done is not None
            message = done.stderr.strip().splitlines()[-1][:110] if done.stderr.strip() else ""
            print(f"{label:<48} exit {done.returncode}  median {statistics.median(times):.2f} s  {message}")


if __name__ == "__main__":
    main()
