"""Stable-Baselines3 training against fixed opponents: learned players meet the theory, the run directory contract,
resume after interruption, and the SB3 player adapter.

Learned players are scored greedily in expected mode: one episode per first proposer on the AEC env is then the
exact expected outcome of the pair (:func:`infobargain.training.players.expected_outcome`).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import gymnasium
import numpy as np
import pytest
from sb3_helpers import FAST_SB3, metric_steps, play_legal, sb3_config, train_and_kill

import infobargain  # noqa: F401  (registers the Gymnasium views)
from infobargain.agents import load_policy, make_policy
from infobargain.agents.analytic import TargetPolicy, game_problem
from infobargain.agents.loading import load_learned
from infobargain.agents.pool import PolicyPool
from infobargain.agents.sb3 import METADATA_ENTRY, SB3Policy, load_sb3_model, save_sb3_player, saved_algorithm
from infobargain.envs.information_bargaining_v1 import raw_env
from infobargain.game.scenarios import scenario
from infobargain.theory.spe import subgame_perfect
from infobargain.training.api import train_best_response
from infobargain.training.players import expected_outcome
from infobargain.training.runner import run_training
from infobargain.training.sb3 import TrainingView, make_vec_env, silent_logger
from infobargain.training.settings import SB3Section

BP_VALUE = 2 / 3


def fast(**overrides: object) -> SB3Section:
    return SB3Section(**{**FAST_SB3, **overrides})  # type: ignore[arg-type]


# learned players against analytic opponents


@pytest.mark.parametrize("protocol", ["ultimatum", "alternating"])
def test_sender_reaches_bp_value_against_an_obedient_receiver(protocol: str) -> None:
    env_kwargs = {"protocol": protocol, "first_proposer": "sender", "grid_size": 11}
    sender = train_best_response(env_kwargs, "sender", "obedient", total_steps=2048, seed=0, settings=fast())
    payoffs = expected_outcome(env_kwargs, sender, "obedient")["sender"]
    assert payoffs[0] == pytest.approx(BP_VALUE, abs=0.01)
    assert payoffs[1] == pytest.approx(0.0, abs=0.01)


def test_sender_gives_a_threshold_receiver_exactly_its_demand() -> None:
    env_kwargs = {"protocol": "alternating", "first_proposer": "sender", "grid_size": 11}  # U_R = 0.2 is on the grid
    sender = train_best_response(env_kwargs, "sender", "threshold:0.2", total_steps=2048, seed=0, settings=fast())
    payoffs = expected_outcome(env_kwargs, sender, "threshold:0.2")["sender"]
    assert payoffs[1] == pytest.approx(0.2, abs=0.02)
    assert payoffs[0] == pytest.approx(BP_VALUE - 0.2, abs=0.02)  # the frontier: U_S + U_R = 2/3


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["ultimatum", "alternating"])
@pytest.mark.parametrize("role", ["sender", "receiver"])
def test_each_side_reaches_its_spe_payoff_against_an_spe_opponent(protocol: str, role: str) -> None:
    """Coin-flip first proposer: one learner handles both first proposers; T = 10, p = 0.1 for alternating."""
    env_kwargs = {"protocol": protocol, "first_proposer": "coin_flip", "grid_size": 21}
    learned = train_best_response(
        env_kwargs, role, "spe", total_steps=6144, seed=0, settings=fast(n_steps=128, batch_size=128)
    )
    pair = (learned, "spe") if role == "sender" else ("spe", learned)
    outcomes = expected_outcome(env_kwargs, *pair)
    me = 0 if role == "sender" else 1
    for first, payoffs in outcomes.items():
        env = raw_env(**{**env_kwargs, "first_proposer": first})
        discrete = subgame_perfect(game_problem(env), env.rules, first).payoffs
        continuous = subgame_perfect(env.problem, env.rules, first).payoffs
        assert payoffs[me] == pytest.approx(discrete[me], abs=0.02), first
        assert payoffs[me] == pytest.approx(continuous[me], abs=0.02), first


def test_best_response_takes_instances_and_policy_objects() -> None:
    """The evaluation layer passes ``Instance`` games and ``Policy`` opponents bound to some other env."""
    other_env = raw_env(protocol="ultimatum", grid_size=5)
    opponent = make_policy("obedient", other_env, "receiver")
    env_kwargs = {"game": scenario("pure_math"), "protocol": "ultimatum", "grid_size": 5}
    sender = train_best_response(env_kwargs, "sender", opponent, total_steps=1024, seed=0, settings=fast())
    assert isinstance(sender, SB3Policy)
    assert expected_outcome(env_kwargs, sender, opponent)["sender"][0] == pytest.approx(BP_VALUE, abs=0.01)


# the run directory contract


def test_sb3_run_directory_is_complete_and_players_reload(tmp_path: Path) -> None:
    config = sb3_config(total_steps=1024, protocol="ultimatum", first_proposer="coin_flip", grid_size=5)
    config.sb3.opponent = "threshold:0.2"
    summary, _ = run_training(config, tmp_path, show_progress=False)
    assert summary["players"] == {
        "sender": str(tmp_path / "players" / "sender.zip"),
        "receiver": str(tmp_path / "players" / "receiver.json"),
    }
    assert json.loads((tmp_path / "players" / "receiver.json").read_text())["policy"] == "threshold:0.2"
    for name in ("config.toml", "metrics.csv", "checkpoints/latest.pt", "tensorboard"):
        assert (tmp_path / name).exists(), name
    assert metric_steps(tmp_path) == [256, 512, 768, 1024]  # one row per rollout of n_steps · n_envs
    header = (tmp_path / "metrics.csv").read_text().splitlines()[0].split(",")
    for column in (
        "sender_first/sender_payoff",
        "receiver_first/receiver_payoff",
        "greedy/sender_first/sender_payoff",
        "train/value_loss",
        "learner_payoff",
        "wall_time",
    ):
        assert column in header
    env_kwargs = dict(config.env)
    env = raw_env(**env_kwargs)
    sender = load_policy(tmp_path / "players" / "sender.zip", env, "sender")
    receiver = load_policy(tmp_path / "players" / "receiver.json", env, "receiver")
    assert isinstance(sender, SB3Policy) and isinstance(receiver, TargetPolicy)
    assert receiver.spec == "threshold:0.2"
    assert isinstance(load_learned(tmp_path, env, "sender"), SB3Policy)  # a run directory names its players
    play_legal({"sender": sender, "receiver": receiver}, env_kwargs)


def test_resume_extends_a_finished_run_without_repeating_rows(tmp_path: Path) -> None:
    config = sb3_config(total_steps=512, protocol="ultimatum", first_proposer="sender", grid_size=5)
    config.sb3.opponent = "obedient"
    config.run.keep_checkpoints = 0  # keep every numbered checkpoint
    run_training(config, tmp_path, show_progress=False)
    assert metric_steps(tmp_path) == [256, 512]
    with pytest.raises(ValueError, match="--resume"):
        run_training(config, tmp_path, show_progress=False)
    config.run.total_steps = 1024
    run_training(config, tmp_path, resume=True, show_progress=False)
    assert metric_steps(tmp_path) == [256, 512, 768, 1024]
    assert load_sb3_model(tmp_path / "players" / "sender.zip").num_timesteps == 1024
    numbered = sorted(path.name for path in (tmp_path / "checkpoints").glob("step_*.pt"))
    assert numbered == [f"step_{step:09d}.pt" for step in (256, 512, 768, 1024)]


@pytest.mark.slow
def test_a_killed_run_resumes_and_completes(tmp_path: Path) -> None:
    """SIGKILL mid-run, then ``--resume``: rows after the last checkpoint are dropped and written again once, the
    step count continues, and the run ends with its full budget (not bit for bit: see training/sb3.py)."""
    run_dir = tmp_path / "run"
    config = sb3_config(total_steps=6144, protocol="alternating", first_proposer="coin_flip", grid_size=5)
    config.run.checkpoint_every = 2
    killed_at = train_and_kill(config, run_dir, after_checkpoints=2)
    assert killed_at >= 2
    summary, _ = run_training(config, run_dir, resume=True, show_progress=False)
    steps = metric_steps(run_dir)
    assert steps == list(range(256, 6144 + 1, 256))  # every rollout once, in order
    assert load_sb3_model(Path(summary["players"]["sender"])).num_timesteps == 6144


# the SB3 adapter


def test_sb3_adapter_plays_legal_actions_and_round_trips(tmp_path: Path) -> None:
    env_kwargs = {"protocol": "alternating", "first_proposer": "coin_flip", "grid_size": 5}
    from sb3_contrib import MaskablePPO

    model = MaskablePPO(
        "MlpPolicy", make_vec_env(env_kwargs, "receiver", "random", 1), n_steps=32, batch_size=32, device="cpu"
    )
    model.set_logger(silent_logger())
    model.learn(64)
    path = save_sb3_player(model, tmp_path / "receiver.zip", role="receiver")
    with zipfile.ZipFile(path) as archive:
        assert json.loads(archive.read(METADATA_ENTRY))["algorithm"] == "MaskablePPO"
    model.save(tmp_path / "plain.zip")  # no metadata entry: recognised from the policy class
    assert saved_algorithm(tmp_path / "plain.zip") == "MaskablePPO"

    env = raw_env(**env_kwargs)
    env.reset(seed=0)
    receiver = load_policy(path, env, "receiver")
    assert isinstance(receiver, SB3Policy) and receiver.deterministic
    play_legal({"sender": make_policy("random", env, "sender"), "receiver": receiver}, env_kwargs, episodes=30)
    sampled = SB3Policy(receiver.model, env, "receiver", deterministic=False)
    play_legal({"sender": make_policy("random", env, "sender"), "receiver": sampled}, env_kwargs, episodes=30)

    env.step(2)  # the sender offers: the receiver decides
    observation = env.observe("receiver_0")
    probabilities = receiver.action_probabilities(observation)
    assert probabilities.sum() == pytest.approx(1.0) and probabilities.max() == 1.0
    assert probabilities[receiver.act(observation)] == 1.0
    assert np.all(sampled.action_probabilities(observation)[observation["action_mask"] == 0] == 0)

    with pytest.raises(ValueError, match="observes vectors"):
        load_policy(path, raw_env(protocol="ultimatum", grid_size=5), "receiver")  # one round: another layout


@pytest.mark.parametrize("algorithm", ["PPO", "SAC"])
def test_scheme_offers_train_with_ppo_or_sac_and_play_in_bounds(tmp_path: Path, algorithm: str) -> None:
    config = sb3_config(total_steps=256, protocol="ultimatum", first_proposer="coin_flip", offer_space="scheme")
    config.sb3.algorithm, config.sb3.opponent, config.sb3.n_steps = algorithm, "spe", 32
    run_training(config, tmp_path, show_progress=False)
    assert saved_algorithm(tmp_path / "players" / "sender.zip") == algorithm
    env = raw_env(**config.env)
    sender = load_policy(tmp_path / "players" / "sender.zip", env, "sender")
    play_legal({"sender": sender, "receiver": make_policy("spe", env, "receiver")}, dict(config.env))


def test_masked_algorithm_choice_is_checked(tmp_path: Path) -> None:
    config = sb3_config(offer_space="frontier")
    config.sb3.algorithm = "SAC"
    with pytest.raises(ValueError, match="SAC needs continuous actions"):
        run_training(config, tmp_path, show_progress=False)


# opponents


def test_a_pool_opponent_draws_a_member_every_episode_reproducibly() -> None:
    """An obedient and an ignoring receiver in a pool: the BP offer is accepted in about half the episodes."""
    env_kwargs = {"protocol": "ultimatum", "first_proposer": "sender", "grid_size": 5}

    def deals(seed: int) -> list[bool]:
        view = TrainingView("sender", ["obedient", "ignore"], env_kwargs)
        assert isinstance(view.opponent, PolicyPool)
        view.reset(seed=seed)
        outcomes = []
        for _ in range(60):
            _, _, terminated, _, info = view.step(2 + 4)  # the sender's best frontier point: BP
            assert terminated
            outcomes.append(info["outcome"]["deal"])
            view.reset()
        return outcomes

    first = deals(3)
    assert first == deals(3)
    assert 15 <= sum(first) <= 45


def test_gymnasium_view_accepts_masks_through_the_wrapper() -> None:
    view = TrainingView("receiver", "spe", {"protocol": "alternating", "first_proposer": "sender", "grid_size": 5})
    view.reset(seed=0)
    mask = view.action_masks()
    assert mask.dtype == bool and mask[0]  # the SPE sender offered: the receiver may accept
    assert isinstance(view.action_space, gymnasium.spaces.Discrete)
