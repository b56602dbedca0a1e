"""Multi-agent PPO: the sender and the receiver learn at once, each with its own network, on the vector env.

Read top to bottom, in the spirit of CleanRL's ``ppo.py``. The settings are
:class:`~infobargain.training.settings.PPOSection` (the ``[mappo]`` or ``[ippo]`` table of a run config).

1. **Rollout.** Every update plays ``num_envs`` whole episodes in lockstep on
   :class:`~infobargain.envs.vector.VectorBargainingEnv`; most start in a random subgame
   (:mod:`~infobargain.training.common`). At each step every unfinished game asks the player whose turn it is
   for an action.
2. **Advantages.** Rewards arrive once per episode and there is no discounting inside the episode beyond what
   the env pays, so each decision's return is its player's episode reward (Monte Carlo, γ = 1, λ = 1) and its
   advantage is that return minus the critic's value, normalised over the player's batch.
3. **Update.** Each player's network takes clipped-PPO steps on its own decisions. The critic sees the
   player's observation (algorithm ``ippo``: independent PPO) or both players' observations of the same game
   (``mappo``: MAPPO's centralised critic); the policy always acts on its own observation.
4. **Logging.** Losses, outcomes of whole games per first proposer and wall time go to the run directory.

Reproducibility: update ``k`` seeds the env, the sampling generator and the minibatch shuffle from
``(seed, k)`` alone, so a run resumed from a checkpoint continues exactly as the uninterrupted run would.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray

from infobargain.agents.learned import save_torch_player
from infobargain.agents.networks import ActorCritic
from infobargain.envs.offers import ACCEPT
from infobargain.envs.vector import VectorBargainingEnv
from infobargain.progress import Progress
from infobargain.training.common import (
    ROLES,
    greedy_metrics,
    outcome_metrics,
    reset_in_subgames,
    training_device,
    update_seed,
)
from infobargain.training.config import RunConfig
from infobargain.training.rundir import RunDirectory
from infobargain.training.settings import PPOSection

ADVANTAGE_EPS = 1e-8
"""Keeps advantage normalisation finite when every decision of a batch has the same advantage."""


def critic_inputs(observations: list[NDArray[np.float32]], role: int, centralised: bool) -> NDArray[np.float32]:
    """What ``role``'s critic sees, from both players' observations of the same games: its own, then the other
    player's if centralised."""
    own = observations[role]
    return np.concatenate([own, observations[1 - role]], axis=1) if centralised else own


def build_networks(
    envs: VectorBargainingEnv, settings: PPOSection, device: torch.device, *, centralised: bool
) -> list[ActorCritic]:
    critic_size = envs.observation_size * (2 if centralised else 1)
    return [
        ActorCritic(
            envs.observation_size, envs.n_actions, envs.discrete, settings.hidden_size, critic_size=critic_size
        ).to(device)
        for _ in ROLES
    ]


# 1. rollout


@dataclass
class Decisions:
    """One player's decisions during a batch of episodes (lists of per-step arrays)."""

    observations: list[NDArray[np.float32]] = field(default_factory=list)
    critic_inputs: list[NDArray[np.float32]] = field(default_factory=list)
    masks: list[NDArray[np.bool_]] = field(default_factory=list)
    actions: list[NDArray[np.float64]] = field(default_factory=list)
    log_probs: list[NDArray[np.float32]] = field(default_factory=list)
    values: list[NDArray[np.float32]] = field(default_factory=list)
    games: list[NDArray[np.intp]] = field(default_factory=list)
    accepted: list[NDArray[np.bool_]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(games) for games in self.games)


def play_episodes(
    envs: VectorBargainingEnv,
    networks: list[ActorCritic],
    generator: torch.Generator,
    greedy: bool = False,
) -> tuple[list[Decisions], NDArray[np.float64], dict[str, NDArray[np.float64]]]:
    """Play one episode in every game; returns each player's decisions, the episode rewards ``(games, 2)`` and
    per-game outcome arrays (payoffs, deal, end round, first proposer)."""
    centralised = networks[0].critic_size > networks[0].observation_size
    decisions = [Decisions(), Decisions()]
    rewards = np.zeros((envs.num_envs, 2))
    outcome = {key: np.zeros(envs.num_envs) for key in ("deal", "end_round", "first")}
    outcome["payoffs"] = np.zeros((envs.num_envs, 2))
    outcome["from_start"] = envs.start_round == 0
    while not envs.finished.all():
        acting, live = envs.acting, ~envs.finished
        masks = envs.action_masks() if envs.discrete else None
        actions = np.zeros((envs.num_envs,) if envs.discrete else (envs.num_envs, envs.n_actions))
        # Each role's observation, built once per step (a centralised critic reads both).
        observations = [envs.observe(role).astype(np.float32) for role in range(len(networks))]
        for role, network in enumerate(networks):
            games = np.flatnonzero(live & (acting == role))
            if len(games):
                rows = [own[games] for own in observations]
                actions[games] = act(
                    envs, role, games, network, rows, masks, generator, greedy, centralised, decisions[role]
                )
        result = envs.step(actions)
        done = result.done
        rewards[done] += result.rewards[done]
        for key in ("payoffs", "deal", "end_round", "first"):
            outcome[key][done] = getattr(result, key)[done]
    return decisions, rewards, outcome


def act(
    envs: VectorBargainingEnv,
    role: int,
    games: NDArray[np.intp],
    network: ActorCritic,
    both_observations: list[NDArray[np.float32]],
    masks: NDArray[np.bool_] | None,
    generator: torch.Generator,
    greedy: bool,
    centralised: bool,
    record: Decisions,
) -> NDArray[np.float64]:
    """``role``'s actions in ``games`` (clipped to the env's bounds for the scheme encoding), given both players'
    observations of those games; records them."""
    device = next(network.parameters()).device
    observations = both_observations[role]
    inputs = critic_inputs(both_observations, role, centralised)
    mask = None if masks is None else masks[games]
    with torch.no_grad():
        mask_tensor = None if mask is None else torch.as_tensor(mask, device=device)
        action, log_prob = network.act(torch.as_tensor(observations, device=device), mask_tensor, generator, greedy)
        value = network.value(torch.as_tensor(inputs, device=device))
    chosen = action.cpu().numpy()
    record.observations.append(observations)
    record.critic_inputs.append(inputs)
    record.masks.append(mask if mask is not None else np.ones((len(games), 1), dtype=bool))
    record.actions.append(chosen)
    record.log_probs.append(log_prob.cpu().numpy())
    record.values.append(value.cpu().numpy())
    record.games.append(games)
    accepts = chosen == ACCEPT if envs.discrete else chosen[:, 0] >= 0
    record.accepted.append(envs.pending[games] & accepts)
    return chosen if envs.discrete else np.clip(chosen, -1.0, 1.0)


# 2. returns and advantages


def training_batch(
    decisions: Decisions, episode_rewards: NDArray[np.float64], accept_bonus: float, device: torch.device
) -> dict[str, torch.Tensor]:
    """The player's decisions as tensors, with Monte Carlo returns and normalised advantages.

    ``accept_bonus`` (off by default) adds to a responder's return when it accepts: a training-only nudge
    towards the SPE's tie-break (see :class:`~infobargain.training.settings.PPOSection`).
    """
    games = np.concatenate(decisions.games)
    values = np.concatenate(decisions.values)
    returns = episode_rewards[games] + accept_bonus * np.concatenate(decisions.accepted)
    advantages = returns - values
    advantages = (advantages - advantages.mean()) / (advantages.std() + ADVANTAGE_EPS)
    arrays = {
        "observations": np.concatenate(decisions.observations),
        "critic_inputs": np.concatenate(decisions.critic_inputs),
        "masks": np.concatenate(decisions.masks),
        "actions": np.concatenate(decisions.actions),
        "log_probs": np.concatenate(decisions.log_probs),
        "returns": returns.astype(np.float32),
        "advantages": advantages.astype(np.float32),
    }
    return {key: torch.as_tensor(value, device=device) for key, value in arrays.items()}


# 3. update


def ppo_update(
    network: ActorCritic,
    optimizer: torch.optim.Optimizer,
    batch: dict[str, torch.Tensor],
    settings: PPOSection,
    entropy_coef: float,
    shuffle: np.random.Generator,
) -> dict[str, float]:
    """Clipped-PPO epochs over one player's decisions, in ``settings.minibatches`` minibatches per epoch."""
    count = len(batch["actions"])
    size = max(1, -(-count // settings.minibatches))
    clip = settings.clip_coef
    sums = dict.fromkeys(("policy_loss", "value_loss", "entropy", "clip_fraction"), 0.0)
    steps = 0
    for _ in range(settings.update_epochs):
        order = torch.as_tensor(shuffle.permutation(count), device=batch["actions"].device)
        shuffled = {key: tensor[order] for key, tensor in batch.items()}  # one gather per epoch; minibatches slice it
        for start in range(0, count, size):
            part = {key: tensor[start : start + size] for key, tensor in shuffled.items()}
            log_prob, entropy, value = network.evaluate(
                part["observations"],
                part["masks"] if network.discrete else None,
                part["actions"],
                part["critic_inputs"],
            )
            ratio = (log_prob - part["log_probs"]).exp()
            advantage = part["advantages"]
            policy_loss = torch.max(-advantage * ratio, -advantage * ratio.clamp(1 - clip, 1 + clip)).mean()
            value_loss = ((value - part["returns"]) ** 2).mean() / 2  # ½: its gradient is the plain error
            entropy_mean = entropy.mean()
            loss = policy_loss - entropy_coef * entropy_mean + settings.value_coef * value_loss
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), settings.max_grad_norm, foreach=True)
            optimizer.step()
            with torch.no_grad():  # one device sync per minibatch, not four
                stats = torch.stack([policy_loss, value_loss, entropy_mean, ((ratio - 1).abs() > clip).float().mean()])
            for key, number in zip(sums, stats.tolist(), strict=True):
                sums[key] += number
            steps += 1
    return {key: total / max(1, steps) for key, total in sums.items()}


def entropy_coefficient(settings: PPOSection, fraction: float) -> float:
    """The entropy bonus after ``fraction`` of training: linear from ``entropy_coef`` to ``entropy_final``."""
    return settings.entropy_coef + min(1.0, fraction) * (settings.entropy_final - settings.entropy_coef)


# 4. the training loop, checkpoints and logging


def train(config: RunConfig, run: RunDirectory, *, show_progress: bool = True) -> dict[str, Path]:
    """Train both players by self-play; returns the saved players' paths."""
    torch.set_num_threads(config.run.threads)
    settings, seed, total = config.settings, config.run.seed, config.run.total_steps
    device = training_device(config.run.device)
    envs = VectorBargainingEnv(settings.num_envs, autoreset=False, **config.env)
    torch.manual_seed(seed)
    networks = build_networks(envs, settings, device, centralised=config.run.algorithm == "mappo")
    optimizers: list[torch.optim.Optimizer] = [
        torch.optim.Adam(net.parameters(), lr=settings.learning_rate, eps=1e-5, foreach=True) for net in networks
    ]
    update, step, elapsed = resume(run, networks, optimizers)
    started = time.perf_counter() - elapsed  # wall time continues across resumptions
    with Progress(total, f"{config.run.algorithm} self-play", show_progress, initial=step, unit="step") as bar:
        while step < total:
            metrics, played = train_one_update(envs, networks, optimizers, settings, seed, update, step / total)
            run.ensure_finite({"networks": [net.state_dict() for net in networks]}, step)
            step += played
            update += 1
            checkpoint_now = update % config.run.checkpoint_every == 0 or step >= total
            # the learned outcome, without exploration (what the learning curves show), at every checkpoint
            evaluated = greedy_outcome(config, networks) if checkpoint_now else {}
            metrics.update(greedy_metrics({first: evaluated.get(first) for first in ROLES}))
            metrics["wall_time"] = time.perf_counter() - started
            run.log(step, metrics)
            bar.update(played, **{k: v for k, v in metrics.items() if k.endswith("sender_payoff")})
            if checkpoint_now:
                state = {
                    "networks": [n.state_dict() for n in networks],
                    "optimizers": [o.state_dict() for o in optimizers],
                    "update": update,
                    "step": step,
                    "wall_time": metrics["wall_time"],
                }
                run.save_checkpoint(state, step)
    paths: dict[str, Path] = {}
    for network, name in zip(networks, ROLES, strict=True):
        paths[name] = run.players / f"{name}.pt"
        save_torch_player(network, paths[name])
    return paths


def resume(
    run: RunDirectory, networks: list[ActorCritic], optimizers: list[torch.optim.Optimizer]
) -> tuple[int, int, float]:
    """Load the run's latest checkpoint, if any; returns ``(update, step, wall time so far)`` to continue from."""
    checkpoint = run.load_checkpoint()
    if checkpoint is None:
        return 0, 0, 0.0
    for network, optimizer, saved, saved_optimizer in zip(
        networks, optimizers, checkpoint["networks"], checkpoint["optimizers"], strict=True
    ):
        network.load_state_dict(saved)
        optimizer.load_state_dict(saved_optimizer)
    run.truncate_metrics(checkpoint["step"])
    return checkpoint["update"], checkpoint["step"], float(checkpoint.get("wall_time", 0.0))


def train_one_update(
    envs: VectorBargainingEnv,
    networks: list[ActorCritic],
    optimizers: list[torch.optim.Optimizer],
    settings: PPOSection,
    seed: int,
    update: int,
    fraction: float,
) -> tuple[dict[str, float], int]:
    """One rollout and one PPO update of each player; returns the metrics and the decisions played."""
    current = update_seed(seed, update)
    device = next(networks[0].parameters()).device
    generator = torch.Generator(device=device).manual_seed(current)
    shuffle = np.random.default_rng(current)
    reset_in_subgames(envs, shuffle, current, settings.subgame_starts, fraction, settings.subgame_curriculum)
    decisions, rewards, outcome = play_episodes(envs, networks, generator)
    entropy_coef = entropy_coefficient(settings, fraction)
    metrics: dict[str, float] = {"entropy_coef": entropy_coef}
    for role, name in enumerate(ROLES):
        if decisions[role].count:
            batch = training_batch(decisions[role], rewards[:, role], settings.accept_bonus, device)
            stats = ppo_update(networks[role], optimizers[role], batch, settings, entropy_coef, shuffle)
            metrics.update({f"{name}/{key}": value for key, value in stats.items()})
    metrics.update(outcome_metrics(outcome))
    return metrics, sum(d.count for d in decisions)


def greedy_outcome(config: RunConfig, networks: list[ActorCritic]) -> dict[str, NDArray[np.float64]]:
    """The deterministic outcome of the greedy players, per first proposer, in expected mode."""
    outcomes: dict[str, NDArray[np.float64]] = {}
    for first in ROLES:
        env_kwargs = {**config.env, "first_proposer": first, "realization": "expected"}
        envs = VectorBargainingEnv(1, autoreset=False, **env_kwargs)
        _, rewards, _ = play_episodes(envs, networks, torch.Generator().manual_seed(0), greedy=True)
        outcomes[first] = rewards[0]
    return outcomes
