"""Training throughput of the RLlib backend (1 and 2 env runners) beside the library's vector-env PPO.

Both train both players on the same game (the default ``[env]`` table) and count environment steps, i.e.
decisions of either player. For RLlib, ``train`` is steps per second of whole training iterations (sampling
plus learning, as ``metrics.csv``'s ``steps_per_second``) and ``sample`` is steps per second of the env
runners' sampling alone; the first iteration (actor start-up, warm-up) is not counted. For ``mappo`` the rate
comes from its ``metrics.csv`` (``step`` over ``wall_time``, first update excluded).

    python benchmarks/bench_rllib.py [--iterations 3] [--mappo-steps 60000] [--cpus 2]

Runs a local Ray with ``--cpus`` CPUs; the env runners take one CPU each, learning runs in this process.
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from pathlib import Path

from infobargain.training.config import RunConfig


def rllib_throughput(runners: int, iterations: int, cpus: int) -> tuple[float, float]:
    """(train, sample) environment steps per second of RLlib PPO with ``runners`` env runners."""
    import ray
    import torch
    from ray.rllib.utils.metrics import ENV_RUNNER_RESULTS, ENV_RUNNER_SAMPLING_TIMER, NUM_ENV_STEPS_SAMPLED, TIMERS

    from infobargain.training.rllib import algorithm_config

    config = RunConfig()
    config.run.algorithm = "rllib_ppo"
    config.rllib_ppo.num_env_runners = runners
    torch.set_num_threads(config.run.threads)  # as the backend does
    ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        algorithm = algorithm_config(config).build_algo()
        try:
            algorithm.train()  # warm-up
            steps = seconds = sampling = 0.0
            for _ in range(iterations):
                began = time.perf_counter()
                result = algorithm.train()
                seconds += time.perf_counter() - began
                steps += result[ENV_RUNNER_RESULTS][NUM_ENV_STEPS_SAMPLED]
                sampling += result[TIMERS][ENV_RUNNER_SAMPLING_TIMER]
        finally:
            algorithm.stop()
    finally:
        ray.shutdown()
    return steps / seconds, steps / sampling


def mappo_throughput(total_steps: int, threads: int) -> float:
    """Environment steps per second of the vector-env PPO, from its metrics.csv."""
    from infobargain.training.mappo import train
    from infobargain.training.rundir import RunDirectory

    config = RunConfig()
    config.run.total_steps = total_steps
    config.run.checkpoint_every = 10**6
    config.run.threads = threads
    with tempfile.TemporaryDirectory() as folder:
        run = RunDirectory(Path(folder) / "run", config)
        try:
            train(config, run, show_progress=False)
        finally:
            run.close()
        with open(run.metrics_path, newline="") as handle:
            rows = [(float(row["step"]), float(row["wall_time"])) for row in csv.DictReader(handle)]
    (first_step, first_wall), (last_step, last_wall) = rows[0], rows[-1]
    return (last_step - first_step) / (last_wall - first_wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=3, help="timed RLlib iterations (4000 steps each)")
    parser.add_argument("--mappo-steps", type=int, default=60_000)
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--runners", type=int, nargs="+", default=[0, 1, 2], help="env runner counts (0: sample in-process)"
    )
    args = parser.parse_args()

    defaults = RunConfig()
    print(f"game: {defaults.env['game']}, {defaults.env['protocol']}, {defaults.env['offer_space']} offers; ", end="")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; steps = decisions of either player")
    print(
        f"rllib: {defaults.rllib_ppo.num_envs_per_env_runner} games per env runner, "
        f"{defaults.rllib_ppo.train_batch_size} steps per iteration, {args.iterations} timed iterations after one warm-up"
    )
    print(f"{'backend':<40} {'train steps/s':>14} {'sample steps/s':>15}")
    for runners in args.runners:
        train_rate, sample_rate = rllib_throughput(runners, args.iterations, args.cpus)
        label = (
            f"rllib PPO, {runners} env runner"
            + ("s" if runners != 1 else "")
            + (" (in-process)" if not runners else "")
        )
        print(f"{label:<40} {train_rate:>14,.0f} {sample_rate:>15,.0f}", flush=True)
    rate = mappo_throughput(args.mappo_steps, defaults.run.threads)
    label = f"mappo (vector env, {defaults.mappo.num_envs} games)"
    print(f"{label:<40} {rate:>14,.0f} {'-':>15}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
