"""Self-play PPO throughput on each device torch sees (CPU, and a GPU if there is one), in one run.

Prints decisions per second of whole training updates (rollout + PPO epochs) for a few sizes of batch and
network, so you can see when a GPU pays off: the env steps in numpy on the CPU either way.

    python benchmarks/bench_mappo_device.py [--updates 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import torch

from infobargain.training import mappo
from infobargain.training.config import RunConfig
from infobargain.training.rundir import RunDirectory


def decisions_per_second(device: str, num_envs: int, hidden: int, updates: int) -> float:
    config = RunConfig()
    config.override([f"mappo.num_envs={num_envs}", f"mappo.hidden_size={hidden}", "run.checkpoint_every=1000"])
    config.run.device = device
    steps_per_update = num_envs * 2  # about two decisions per game with subgame starts
    config.run.total_steps = steps_per_update * (updates + 1)
    with tempfile.TemporaryDirectory() as folder:
        run = RunDirectory(folder, config)
        started = time.perf_counter()
        mappo.train(config, run, show_progress=False)
        elapsed = time.perf_counter() - started
        run.close()
        with open(f"{folder}/metrics.csv") as handle:
            last = handle.readlines()[-1].split(",")[0]
    return float(last) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    name = torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU"
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {name}")
    print(f"{'num_envs':>9}{'hidden':>8}" + "".join(f"{device + ' dec/s':>16}" for device in devices))
    for num_envs, hidden in ((1024, 128), (8192, 128), (8192, 512), (32768, 512)):
        rates = [
            statistics.median(decisions_per_second(device, num_envs, hidden, args.updates) for _ in range(args.repeats))
            for device in devices
        ]
        print(f"{num_envs:>9}{hidden:>8}" + "".join(f"{rate:>16,.0f}" for rate in rates))


if __name__ == "__main__":
    main()
