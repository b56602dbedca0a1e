"""BenchMARL's algorithms on the bargaining game: the game as a BenchMARL task, and each masked discrete algorithm
trained through the registry into the library's players. Runs where the ``benchmarl`` extra is installed
(scripts/test.sh sets up .venv-benchmarl for it); skips elsewhere."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("benchmarl", reason="BenchMARL is not installed (pip install 'infobargain[benchmarl]')")

from infobargain.agents.tabular import SituationIndex
from infobargain.envs.information_bargaining_v1 import raw_env
from infobargain.evaluation.exploitability import exact_exploitability
from infobargain.training.benchmarl_marl import ALGORITHMS, BargainingTask
from infobargain.training.config import RunConfig
from infobargain.training.runner import run_training

GAME = {"game": "split_pie", "protocol": "ultimatum", "first_proposer": "coin_flip", "grid_size": 5}


def test_the_task_has_one_group_per_role_with_masks_and_a_global_state() -> None:
    task = BargainingTask.BARGAINING.get_task(config=GAME)
    env = task.get_env_fun(num_envs=1, continuous_actions=False, seed=0, device="cpu")()
    assert task.group_map(env) == {"sender": ["sender_0"], "receiver": ["receiver_0"]}
    assert set(task.action_mask_spec(env).keys()) == {"sender", "receiver"}
    assert task.state_spec(env) is not None and task.info_spec(env) is None
    rollout = env.rollout(10)  # random legal actions until the deal or the breakdown
    assert bool(rollout["next", "done"][-1])
    waiting = rollout["sender", "action_mask"][:, 0].sum(-1) == 1  # the waiting side may only ACCEPT
    assert waiting.any()
    assert task.max_steps(env) >= len(rollout)


@pytest.mark.parametrize("name", sorted(ALGORITHMS))
def test_each_algorithm_trains_players_the_exact_evaluation_scores(name: str, tmp_path: Path) -> None:
    budget = 200  # one batch: the test checks the path through BenchMARL, not learning
    quick = {"frames_per_batch": 200, "n_envs": 2, "minibatch_iters": 2, "optimizer_steps": 4}  # BenchMARL's: slow
    config = RunConfig.from_dict(
        {"run": {"algorithm": f"benchmarl_{name}", "total_steps": budget}, "env": GAME, f"benchmarl_{name}": quick}
    )
    summary, trained = run_training(config, tmp_path / name, show_progress=False)
    assert 0 < trained.decisions <= budget
    env = raw_env(**GAME)
    index = SituationIndex(env)
    with np.load(summary["players"]["sender"]) as saved:
        table = saved["probabilities"]
    reachable = table[index.reachable]
    assert np.all((reachable == 0) | (reachable == 1)) and np.allclose(reachable.sum(axis=1), 1.0)
    assert np.all(index.legal[index.reachable][reachable == 1])  # every chosen action legal
    nash_conv = exact_exploitability(summary["players"]["sender"], summary["players"]["receiver"], GAME).nash_conv
    assert np.isfinite(nash_conv) and nash_conv >= 0


def test_a_run_resumes_from_its_benchmarl_checkpoint_and_its_checkpoints_play(tmp_path: Path) -> None:
    name = "iql"  # off-policy: the checkpoint carries the replay buffer too
    from infobargain.training.benchmarl_marl import checkpoint_players
    from infobargain.training.rundir import numbered_checkpoints

    quick = {"frames_per_batch": 100, "n_envs": 2, "minibatch_iters": 2, "optimizer_steps": 4}

    def config(budget: int) -> RunConfig:
        run = {"algorithm": f"benchmarl_{name}", "total_steps": budget, "checkpoint_every": 1, "keep_checkpoints": 0}
        return RunConfig.from_dict({"run": run, "env": GAME, f"benchmarl_{name}": quick})

    run_dir = tmp_path / "run"
    run_training(config(100), run_dir, show_progress=False)
    assert list(numbered_checkpoints(run_dir / "checkpoints")) == [100]
    first = checkpoint_players(run_dir, numbered_checkpoints(run_dir / "checkpoints")[100])
    (kept,) = run_dir.glob("*/checkpoints/checkpoint_100.pt")  # BenchMARL's own file, in its experiment folder
    written = kept.stat().st_mtime_ns

    summary, trained = run_training(config(300), run_dir, resume=True, show_progress=False)
    assert trained.decisions == 300  # two more batches, after the restored first
    # the same experiment went on: no new experiment folder, the first batch's checkpoint not written again
    assert list(run_dir.glob("*/checkpoints/checkpoint_100.pt")) == [kept] and kept.stat().st_mtime_ns == written
    checkpoints = numbered_checkpoints(run_dir / "checkpoints")
    assert list(checkpoints) == [100, 200, 300]
    again = checkpoint_players(run_dir, checkpoints[100])  # restoring a checkpoint plays it the same every time
    for before, after in zip(first, again, strict=True):
        np.testing.assert_array_equal(before.probabilities, after.probabilities)
    last = checkpoint_players(run_dir, checkpoints[300])  # the last checkpoint's players are the run's own
    with np.load(summary["players"]["sender"]) as saved:
        np.testing.assert_array_equal(last[0].probabilities, saved["probabilities"])
