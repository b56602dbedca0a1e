"""Multi-agent PPO: the sender and the receiver learn at once, each with its own network, on the vector env.

Read top to bottom, in the spirit of CleanRL:

1. Every update plays ``num_envs`` whole episodes in lockstep on
   :class:`~infobargain.envs.vector.VectorBargainingEnv`: at each step every unfinished game asks the
   player whose turn it is for an action.
2. Rewards arrive once per episode and the game has no discounting inside bargaining beyond what the env
   pays, so each decision's return is its player's episode reward (Monte Carlo, γ = 1, λ = 1) and its
   advantage is that return minus the critic's value.
3. Each player's network is updated with the clipped PPO objective on its own decisions.

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
from infobargain.envs.offers import ACCEPT, FIRST_OFFER
from infobargain.envs.vector import VectorBargainingEnv
from infobargain.training.config import MappoSection, RunConfig
from infobargain.training.rundir import RunDirectory, progress

ROLES = ("sender", "receiver")


def training_device(name: str) -> torch.device:
    """``"cpu"``, ``"cuda"`` (``"cuda:N"``), or ``"auto"`` (a GPU when torch sees one). The networks are small,
    so the CPU is usually as fast; a GPU pays off with large ``num_envs`` and ``hidden_size``."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"run.device: {name!r} asked for, but torch sees no CUDA device (use 'cpu' or 'auto')")
    return device


def update_seed(seed: int, update: int) -> int:
    return (seed * 1_000_003 + update) % 2**63


@dataclass
class Decisions:
    """One player's decisions during a batch of episodes."""

    observations: list[NDArray[np.float32]] = field(default_factory=list)
    masks: list[NDArray[np.bool_]] = field(default_factory=list)
    actions: list[NDArray[np.float64]] = field(default_factory=list)
    log_probs: list[NDArray[np.float32]] = field(default_factory=list)
    values: list[NDArray[np.float32]] = field(default_factory=list)
    games: list[NDArray[np.intp]] = field(default_factory=list)
    accepted: list[NDArray[np.bool_]] = field(default_factory=list)

    def tensors(
        self, returns: NDArray[np.float64], accept_bonus: float = 0.0, device: torch.device | str = "cpu"
    ) -> dict[str, torch.Tensor]:
        games = np.concatenate(self.games)
        values = np.concatenate(self.values)
        episode_returns = returns[games] + accept_bonus * np.concatenate(self.accepted)
        advantages = episode_returns - values
        advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        arrays = {
            "observations": np.concatenate(self.observations),
            "masks": np.concatenate(self.masks),
            "actions": np.concatenate(self.actions),
            "log_probs": np.concatenate(self.log_probs),
            "returns": episode_returns.astype(np.float32),
            "advantages": advantages.astype(np.float32),
        }
        return {key: torch.as_tensor(value, device=device) for key, value in arrays.items()}


def play_episodes(
    envs: VectorBargainingEnv, networks: list[ActorCritic], generator: torch.Generator, greedy: bool = False
) -> tuple[list[Decisions], NDArray[np.float64], dict[str, NDArray[np.float64]]]:
    """Play one episode in every game; returns each player's decisions, the episode rewards ``(games, 2)`` and
    per-game outcome arrays (payoffs, deal, end round, first proposer)."""
    decisions = [Decisions(), Decisions()]
    rewards = np.zeros((envs.num_envs, 2))
    outcome = {key: np.zeros(envs.num_envs) for key in ("deal", "end_round", "first")}
    outcome["payoffs"] = np.zeros((envs.num_envs, 2))
    outcome["from_start"] = envs.start_round == 0
    while not envs.finished.all():
        acting = envs.acting
        live = ~envs.finished
        masks = envs.action_masks() if envs.discrete else None
        actions = np.zeros((envs.num_envs,) if envs.discrete else (envs.num_envs, envs.n_actions))
        for role, network in enumerate(networks):
            games = np.flatnonzero(live & (acting == role))
            if len(games) == 0:
                continue
            observations = envs.observe(role)[games].astype(np.float32)
            mask = None if masks is None else masks[games]
            device = next(network.parameters()).device
            with torch.no_grad():
                observed = torch.as_tensor(observations, device=device)
                action, log_prob = network.act(
                    observed, None if mask is None else torch.as_tensor(mask, device=device), generator, greedy
                )
                value = network.value(observed)
            chosen, log_prob, value = action.cpu().numpy(), log_prob.cpu(), value.cpu()
            actions[games] = chosen if envs.discrete else np.clip(chosen, -1.0, 1.0)
            record = decisions[role]
            record.observations.append(observations)
            record.masks.append(mask if mask is not None else np.ones((len(games), 1), dtype=bool))
            record.actions.append(chosen)
            record.log_probs.append(log_prob.numpy())
            record.values.append(value.numpy())
            record.games.append(games)
            responding = envs.pending[games]
            record.accepted.append(responding & (chosen == ACCEPT if envs.discrete else chosen[:, 0] >= 0))
        result = envs.step(actions)
        rewards[result.done] += result.rewards[result.done]
        outcome["payoffs"][result.done] = result.payoffs[result.done]
        outcome["deal"][result.done] = result.deal[result.done]
        outcome["end_round"][result.done] = result.end_round[result.done]
        outcome["first"][result.done] = result.first[result.done]
    return decisions, rewards, outcome


def subgame_starts(
    rng: np.random.Generator, envs: VectorBargainingEnv, fraction: float, progress: float, curriculum: float
) -> NDArray[np.intp]:
    """Start rounds: 0 for most games, a uniformly drawn round for a ``fraction`` of them.

    With a ``curriculum`` (a fraction of training), drawn rounds first come from the last round only and
    reach back to round 0 as training progresses: backward induction, learned.
    """
    last = envs.rules.rounds - 1
    reach = last if curriculum <= 0 else round(last * min(1.0, progress / curriculum))
    rounds = rng.integers(last - reach, last + 1, envs.num_envs)
    return np.where(rng.random(envs.num_envs) < fraction, rounds, 0)


def random_offers(
    rng: np.random.Generator, envs: VectorBargainingEnv, chosen: NDArray[np.bool_]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Uniformly random offers to put on the table of the ``chosen`` subgame starts (responders then train on
    offers the current proposers would not make: the off-path responses subgame perfection needs)."""
    if envs.discrete:
        return rng.integers(FIRST_OFFER, envs.n_actions, envs.num_envs).astype(np.float64), chosen
    return rng.uniform(-1.0, 1.0, (envs.num_envs, envs.n_actions)), chosen


def ppo_update(
    network: ActorCritic,
    optimizer: torch.optim.Optimizer,
    batch: dict[str, torch.Tensor],
    settings: MappoSection,
    entropy_coef: float,
    shuffle: np.random.Generator,
) -> dict[str, float]:
    """Clipped-PPO epochs over one player's decisions."""
    count = len(batch["actions"])
    minibatch = max(1, count // settings.minibatches)
    masks = batch["masks"] if network.discrete else None
    stats: dict[str, list[float]] = {"policy_loss": [], "value_loss": [], "entropy": [], "clip_fraction": []}
    for _ in range(settings.update_epochs):
        order = shuffle.permutation(count)
        for start in range(0, count, minibatch):
            index = torch.as_tensor(order[start : start + minibatch], device=batch["actions"].device)
            log_prob, entropy, value = network.evaluate(
                batch["observations"][index], None if masks is None else masks[index], batch["actions"][index]
            )
            ratio = (log_prob - batch["log_probs"][index]).exp()
            advantage = batch["advantages"][index]
            clip = settings.clip_coef
            policy_loss = torch.max(-advantage * ratio, -advantage * ratio.clamp(1 - clip, 1 + clip)).mean()
            value_loss = 0.5 * ((value - batch["returns"][index]) ** 2).mean()
            loss = policy_loss - entropy_coef * entropy.mean() + settings.value_coef * value_loss
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), settings.max_grad_norm)
            optimizer.step()
            stats["policy_loss"].append(policy_loss.item())
            stats["value_loss"].append(value_loss.item())
            stats["entropy"].append(entropy.mean().item())
            stats["clip_fraction"].append(float(((ratio - 1).abs() > clip).float().mean()))
    return {key: float(np.mean(values)) for key, values in stats.items()}


def outcome_metrics(outcome: dict[str, NDArray[np.float64]]) -> dict[str, float]:
    """Mean payoffs, deal rate and agreement round of whole games (not subgames), per first proposer."""
    metrics: dict[str, float] = {}
    for first, name in enumerate(ROLES):
        games = (outcome["first"] == first) & outcome["from_start"]
        if games.any():
            metrics[f"{name}_first/sender_payoff"] = float(outcome["payoffs"][games, 0].mean())
            metrics[f"{name}_first/receiver_payoff"] = float(outcome["payoffs"][games, 1].mean())
            metrics[f"{name}_first/deal_rate"] = float(outcome["deal"][games].mean())
            metrics[f"{name}_first/end_round"] = float(outcome["end_round"][games].mean())
    return metrics


def train(config: RunConfig, run: RunDirectory, *, show_progress: bool = True) -> dict[str, Path]:
    """Train both players by self-play; returns the saved players' paths."""
    torch.set_num_threads(config.run.threads)
    settings, seed = config.mappo, config.run.seed
    device = training_device(config.run.device)
    envs = VectorBargainingEnv(settings.num_envs, autoreset=False, **config.env)
    torch.manual_seed(seed)
    networks = [
        ActorCritic(envs.observation_size, envs.n_actions, envs.discrete, settings.hidden_size).to(device)
        for _ in ROLES
    ]
    optimizers = [torch.optim.Adam(net.parameters(), lr=settings.learning_rate, eps=1e-5) for net in networks]

    update, step = 0, 0
    checkpoint = run.load_checkpoint()
    if checkpoint is not None:
        for network, optimizer, saved, saved_optimizer in zip(
            networks, optimizers, checkpoint["networks"], checkpoint["optimizers"], strict=True
        ):
            network.load_state_dict(saved)
            optimizer.load_state_dict(saved_optimizer)
        update, step = checkpoint["update"], checkpoint["step"]
        run.truncate_metrics(step)

    def save_checkpoint() -> None:
        run.save_checkpoint(
            {
                "networks": [net.state_dict() for net in networks],
                "optimizers": [opt.state_dict() for opt in optimizers],
                "update": update,
                "step": step,
                "wall_time": time.perf_counter() - started,
            },
            step,
        )

    total = config.run.total_steps
    started = time.perf_counter() - (float(checkpoint.get("wall_time", 0.0)) if checkpoint else 0.0)
    with progress(total, step, "mappo self-play", show_progress) as bar:
        while step < total:
            current = update_seed(seed, update)
            generator = torch.Generator(device=device).manual_seed(current)
            shuffle = np.random.default_rng(current)
            starts = subgame_starts(shuffle, envs, settings.subgame_starts, step / total, settings.subgame_curriculum)
            offers, with_offer = random_offers(shuffle, envs, (starts > 0) & (shuffle.random(envs.num_envs) < 0.5))
            envs.reset(seed=current, start_rounds=starts, start_offers=offers, with_offer=with_offer)
            decisions, rewards, outcome = play_episodes(envs, networks, generator)
            fraction = min(1.0, step / total)
            entropy_coef = settings.entropy_coef + fraction * (settings.entropy_final - settings.entropy_coef)
            metrics: dict[str, float] = {}
            for role, name in enumerate(ROLES):
                if not decisions[role].actions:
                    continue
                batch = decisions[role].tensors(rewards[:, role], settings.accept_bonus, device)
                for key, value in ppo_update(
                    networks[role], optimizers[role], batch, settings, entropy_coef, shuffle
                ).items():
                    metrics[f"{name}/{key}"] = value
            run.ensure_finite({"networks": [net.state_dict() for net in networks]}, step)
            played = sum(len(np.concatenate(d.games)) for d in decisions if d.games)
            step += played
            update += 1
            metrics.update(outcome_metrics(outcome))
            metrics["wall_time"] = time.perf_counter() - started
            metrics["entropy_coef"] = entropy_coef
            run.log(step, metrics)
            bar.update(played, **{k: v for k, v in metrics.items() if k.endswith("sender_payoff")})
            if update % config.run.checkpoint_every == 0 or step >= total:
                save_checkpoint()
    paths = {}
    for network, name in zip(networks, ROLES, strict=True):
        paths[name] = run.players / f"{name}.pt"
        save_torch_player(network, paths[name])
    return paths


def greedy_outcome(config: RunConfig, networks: list[ActorCritic]) -> dict[str, NDArray[np.float64]]:
    """The deterministic outcome of the greedy players, per first proposer, in expected mode."""
    outcomes = {}
    for first in ROLES:
        env_kwargs = {**config.env, "first_proposer": first, "realization": "expected"}
        envs = VectorBargainingEnv(1, autoreset=False, **env_kwargs)
        _, rewards, _ = play_episodes(envs, networks, torch.Generator().manual_seed(0), greedy=True)
        outcomes[first] = rewards[0]
    return outcomes
