"""Self-play Q-learning with subgame starts: backward induction, learned from play.

Both players learn at once, each with a Q-network over its own observation (one value per Discrete action),
on :class:`~infobargain.envs.vector.VectorBargainingEnv`, or on a :class:`~infobargain.envs.mixture.MixedVectorEnv`
when the run mixes protocols (``[env] protocols``) or sizes (a generalist). Read top to bottom:

1. **Rollout.** Every update plays ``num_envs`` episodes. Most start in a uniformly drawn round (a subgame),
   half of those with a random offer on the table, so every round and every offer is visited, on and off the
   equilibrium path. Every decision is epsilon-greedy with respect to the acting player's *averaged*
   Q-network; the first decision of an episode explores more (an exploring start).
2. **Targets.** A decision's target is what its player gets before its next decision, plus the averaged
   network's best value there (one-step Q-learning over the player's own decisions; the other player is part
   of the environment). Targets are in the units of the decision's round: the break-off mass and discounting
   of earlier rounds are taken out, so a situation's value does not depend on how play got there. A target is
   dropped when the other player's action in between was exploratory, so targets value the greedy
   continuation, the quantity backward induction computes. A *lookahead* adds targets for offers not made:
   at every decision that may offer, ``lookahead`` random offers are played on a branch of the env (the same
   rules) against the other player's greedy reply, and each one accepted is a target worth what it pays.
   Without it, a claim a responder has just started to accept is tried only when exploring, so its estimate
   trails and the proposer keeps offering more than it needs to (issue 26: one grid step per stale claim
   along a ten-round chain of indifferences).
3. **Update.** Each player's network regresses onto its targets (Adam, learning rate decaying linearly to 0);
   the averaged copy (Polyak, ``target_rate``) then moves towards it. Acting and bootstrapping with the
   average keeps greedy choices from flickering between nearly equal actions. The network's head is a dueling
   one (:class:`~infobargain.agents.networks.DuelingHead`: a situation's value plus mean-centred advantages),
   so every target moves its situation's value whichever action it scored, and the estimates of actions taken
   only when exploring (a proposer's other offers, a responder's counter-offers) keep up with values that are
   still being backed up from later rounds instead of lagging behind them. With ``offer_head`` the offers are
   scored instead by one shared network from what each pays
   (:class:`~infobargain.agents.networks.OfferHead`), the same rule for every offer of every game (measured on
   the generalists in docs/generalists.md).

Training uses only the rules and the rewards, never the exact solver. The one option that selects among outcomes
is ``accept_bonus``, the tie-break of subgame perfection: greedy choices accept when accepting is estimated within
``accept_bonus`` of the best alternative, while values stay unbiased (see
:class:`~infobargain.training.settings.QLearningSection`). The saved players are the averaged networks as
:class:`~infobargain.agents.networks.ActorCritic` modules whose policy head outputs the Q-values (the dueling head
folded into one linear layer, the accept output shifted by the tie-break), so they load and play greedily like the
PPO players.

Reproducibility: update ``k`` seeds everything it draws from ``(seed, k)`` alone, so a resumed run continues
exactly as the uninterrupted run would.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from numpy.typing import NDArray

from infobargain.agents.learned import save_torch_player
from infobargain.agents.networks import (
    ActorCritic,
    DuelingHead,
    OfferHead,
    OfferLayout,
    has_dueling_head,
    has_offer_head,
)
from infobargain.envs.mixture import MixedVectorEnv, make_vector_env
from infobargain.envs.offers import ACCEPT, FIRST_OFFER
from infobargain.envs.vector import VectorBargainingEnv
from infobargain.game.state import in_round_units, settle
from infobargain.progress import Progress
from infobargain.training.common import (
    ROLES,
    BatchEnv,
    greedy_metrics,
    outcome_metrics,
    reset_in_subgames,
    training_device,
    update_seed,
)
from infobargain.training.config import RunConfig, split_mixture
from infobargain.training.players import first_proposers
from infobargain.training.rundir import RunDirectory
from infobargain.training.settings import QLearningSection

MASKED = -1e9
"""Q-value given to illegal actions before taking a maximum."""


@dataclass
class Step:
    """One step of every game: who acted, on what, how, and where its player's accounts stood."""

    live: NDArray[np.bool_]
    acting: NDArray[np.intp]
    observations: NDArray[np.float32]
    masks: NDArray[np.bool_]
    actions: NDArray[np.int64]
    explored: NDArray[np.bool_]
    banked: NDArray[np.float64]
    """The acting player's payoff already banked by break-offs in earlier rounds (expected mode)."""
    scale: NDArray[np.float64]
    """What one unit of this round's payoff is worth (:attr:`VectorBargainingEnv.round_unit`, the core's rule)."""
    looked: list[tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.float64]]]
    """Offers the acting player could have made instead, per lookahead draw: the offer, whether the other
    player's greedy reply accepts it, and then what it pays the acting player in this round's units."""


def greedy(
    network: ActorCritic, observations: NDArray[np.float32], masks: NDArray[np.bool_], accept_bonus: float
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The greedy legal action and its value, without gradients.

    Accepting wins ties within ``accept_bonus`` (the tie-break of subgame perfection); the value returned is the
    chosen action's plain estimate, so the tie-break never leaks into the values that earlier decisions back up.
    """
    device = next(network.parameters()).device  # the observations go where the network lives (CPU or GPU)
    with torch.no_grad():
        q = network.actor(torch.as_tensor(observations, device=device))
        q = q.masked_fill(~torch.as_tensor(masks, device=device), MASKED)
        preferred = q.clone()
        preferred[:, ACCEPT] += accept_bonus
        chosen = preferred.argmax(dim=-1)
        value = q.gather(1, chosen[:, None]).squeeze(1)
    return value.double().cpu().numpy(), chosen.cpu().numpy()


def greedy_by_role(
    averaged: list[ActorCritic],
    observations: NDArray[np.float32],
    masks: NDArray[np.bool_],
    acting: NDArray[np.intp],
    which: NDArray[np.bool_],
    accept_bonus: float,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """:func:`greedy` for the games in ``which``, each by its acting player's network (0 elsewhere)."""
    values, actions = np.zeros(len(acting)), np.zeros(len(acting), dtype=np.int64)
    for role, network in enumerate(averaged):
        mine = np.flatnonzero(which & (acting == role))
        if len(mine):
            values[mine], actions[mine] = greedy(network, observations[mine], masks[mine], accept_bonus)
    return values, actions


def acting_observations(envs: BatchEnv, centre: NDArray[np.float64] | None) -> NDArray[np.float32]:
    """Every game's observation by the player whose turn it is, minus ``centre`` (see :func:`game_centre`)."""
    observations = np.where((envs.acting == 0)[:, None], envs.observe(0), envs.observe(1))
    if centre is not None:
        observations = observations - centre
    return observations.astype(np.float32)


def game_centre(envs: BatchEnv, seed: int) -> NDArray[np.float64]:
    """The mean of the observation's game part (the entries that describe the game: its payoffs, ``d``, the
    offer menu) over the games ``envs`` holds after a reset seeded by ``seed`` (the one game, every member of a
    finite set, or the batch's fresh draws); 0 in every other entry.

    The networks see observations minus this centre. In one game the game part is then exactly 0, as it
    carries no information there. Uncentred, it is a large constant input (a frontier's offer menu alone has
    four entries per offer) whose weights every gradient step moves, so it shifts every hidden unit as a bias
    would, only far faster; with it, self-play lost the SPE of the alternating-offers pie games. Over a
    distribution of games the game part varies, and centring it is plain input centring.
    """
    envs.reset(seed=seed)
    return envs.static_rows().mean(axis=0)  # type: ignore[no-any-return]


# 1. rollout


def look_ahead(
    envs: BatchEnv,
    averaged: list[ActorCritic],
    rng: np.random.Generator,
    actions: NDArray[np.int64],
    masks: NDArray[np.bool_],
    draws: int,
    accept_bonus: float,
    centre: NDArray[np.float64] | None,
) -> list[tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.float64]]]:
    """For ``draws`` random legal offers per game whose acting player may make one now: does the other player's
    greedy reply accept it, and what does it then pay the acting player (in this round's units)?

    Played on a branch of the env (the same rules, nothing changed here), so an offer the player did not make is
    valued against the other player as it is now. Epsilon-greedy play tries an offer it does not favour only a
    few times per update, so when a responder starts accepting a claim it used to reject, that claim's estimate
    would catch up only slowly and the proposer would keep offering more than it needs to; accepted lookahead
    offers give it a target at every such decision. Rejected ones get none (their value is the continuation,
    which play itself estimates). In sampled mode a counter-offer passes a break-off draw first, whose
    breakdowns would be kept and survivals dropped, so only first offers are looked ahead there.
    """
    live, acting = ~envs.finished, envs.acting
    offer_masks = masks.copy()
    offer_masks[:, :FIRST_OFFER] = False
    offering = live & offer_masks.any(axis=1)
    if envs.realization != "expected":
        offering &= ~masks[:, ACCEPT]  # first offers only (the docstring)
    looked: list[tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.float64]]] = []
    if not offering.any():
        return looked
    games = np.arange(envs.num_envs)
    banked, unit = envs.breakdown_value[games, acting], envs.round_unit
    for _ in range(draws):
        offers = (rng.random(masks.shape) * offer_masks).argmax(axis=1)
        branch = envs.branch(int(rng.integers(2**62)))
        branch.step(np.where(offering, offers, actions))
        asked = offering & ~branch.finished
        reply_masks = branch.action_masks()
        observations = acting_observations(branch, centre)
        _, greedy_replies = greedy_by_role(averaged, observations, reply_masks, branch.acting, asked, accept_bonus)
        # where nobody was asked, any legal action: the branch only has to step
        replies = np.where(asked, greedy_replies, reply_masks.argmax(axis=1))
        accepted = asked & (replies == ACCEPT)
        result = branch.step(replies)
        value = in_round_units(np.nan_to_num(result.payoffs[games, acting]), banked, unit)
        looked.append((offers.astype(np.int64), accepted, value))
    return looked


def play_episodes(
    envs: BatchEnv,
    averaged: list[ActorCritic],
    rng: np.random.Generator,
    exploration: float = 0.0,
    first_exploration: float = 0.0,
    accept_bonus: float = 0.0,
    centre: NDArray[np.float64] | None = None,
    lookahead: int = 0,
) -> tuple[list[Step], dict[str, NDArray[np.float64]]]:
    """Play one episode in every game, epsilon-greedy; returns the steps and per-game outcome arrays. The
    networks see every observation minus ``centre`` (see :func:`game_centre`); ``lookahead`` offers per offering
    decision are valued on a branch (:func:`look_ahead`)."""
    steps: list[Step] = []
    outcome = {key: np.zeros(envs.num_envs) for key in ("deal", "end_round", "first")}
    outcome["payoffs"] = np.zeros((envs.num_envs, 2))
    outcome["from_start"] = envs.start_round == 0
    games = np.arange(envs.num_envs)
    while not envs.finished.all():
        acting, live, masks = envs.acting, ~envs.finished, envs.action_masks()
        observations = acting_observations(envs, centre)
        _, actions = greedy_by_role(averaged, observations, masks, acting, live, accept_bonus)
        rate = first_exploration if not steps else exploration
        explored = live & (rng.random(envs.num_envs) < rate)
        random_legal = (rng.random(masks.shape) * masks).argmax(axis=1)
        actions = np.where(explored, random_legal, actions)
        looked = look_ahead(envs, averaged, rng, actions, masks, lookahead, accept_bonus, centre) if lookahead else []
        steps.append(
            Step(
                live,
                acting,
                observations,
                masks,
                actions,
                explored,
                envs.breakdown_value[games, acting].copy(),
                envs.round_unit,
                looked,
            )
        )
        result = envs.step(actions)
        for key in ("payoffs", "deal", "end_round", "first"):
            outcome[key][result.done] = getattr(result, key)[result.done]
    return steps, outcome


# 2. targets


def q_targets(
    steps: list[Step], payoffs: NDArray[np.float64], averaged: list[ActorCritic], accept_bonus: float
) -> list[tuple[NDArray[np.float32], NDArray[np.int64], NDArray[np.float32]]]:
    """Per player: the observations, actions and targets of its decisions that have a valid target.

    Players alternate every step (a proposal, then a response or counter-offer, and so on), so a player's
    next decision comes two steps later and the other player's one step later.
    """
    games = np.arange(len(payoffs))
    collected: list[list[tuple[NDArray[np.float32], NDArray[np.int64], NDArray[np.float64]]]] = [[], []]
    for index, step in enumerate(steps):
        reply = steps[index + 1] if index + 1 < len(steps) else None
        again = steps[index + 2] if index + 2 < len(steps) else None
        valid = step.live.copy()
        if reply is not None:
            valid &= ~(reply.live & reply.explored)
        target = in_round_units(payoffs[games, step.acting], step.banked, step.scale)  # ended before it came back
        if again is not None and again.live.any():
            later, _ = greedy_by_role(averaged, again.observations, again.masks, again.acting, again.live, accept_bonus)
            bootstrapped = in_round_units(settle(again.banked, again.scale, later), step.banked, step.scale)
            target = np.where(again.live, bootstrapped, target)
        for role in range(2):
            mine = valid & (step.acting == role)
            collected[role].append((step.observations[mine], step.actions[mine], target[mine]))
            for offers, accepted, value in step.looked:
                mine = accepted & (step.acting == role)
                collected[role].append((step.observations[mine], offers[mine], value[mine]))
    return [
        (
            np.concatenate([c[0] for c in parts]),
            np.concatenate([c[1] for c in parts]),
            np.concatenate([c[2] for c in parts]).astype(np.float32),
        )
        for parts in collected
    ]


# 3. update


def regress(
    network: ActorCritic,
    optimizer: torch.optim.Optimizer,
    data: tuple[NDArray[np.float32], NDArray[np.int64], NDArray[np.float32]],
    settings: QLearningSection,
    shuffle: np.random.Generator,
) -> float:
    """Squared-error epochs of ``Q(observation, action)`` onto the targets; returns the last epoch's mean loss."""
    device = next(network.parameters()).device
    observations, actions, targets = (torch.as_tensor(array, device=device) for array in data)
    count = len(targets)
    size = max(1, -(-count // settings.minibatches))
    losses: list[float] = []
    for _ in range(settings.update_epochs):
        order = torch.as_tensor(shuffle.permutation(count), device=device)
        losses = []
        for start in range(0, count, size):
            index = order[start : start + size]
            predicted = network.actor(observations[index]).gather(1, actions[index, None]).squeeze(1)
            loss = ((predicted - targets[index]) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return float(np.mean(losses)) if losses else 0.0


def q_network(
    observation_size: int,
    actions: int,
    settings: QLearningSection,
    dueling: bool,
    offer_head: OfferLayout | None = None,
) -> ActorCritic:
    """A player's Q-network: an :class:`ActorCritic` whose policy head outputs one value per action (through a
    :class:`~infobargain.agents.networks.DuelingHead` if ``dueling``, an
    :class:`~infobargain.agents.networks.OfferHead` reading the menu where ``offer_head`` says)."""
    return ActorCritic(
        observation_size,
        actions,
        True,
        settings.hidden_size,
        settings.activation,
        dueling=dueling,
        offer_head=offer_head,
    )


def offer_layouts(envs: BatchEnv) -> list[OfferLayout]:
    """Each role's :class:`~infobargain.agents.networks.OfferLayout` in ``envs``' observations (frontier offers)."""
    slices = envs.layout.slices
    if "offer_menu" not in slices:
        raise ValueError("qlearning.offer_head: needs an offer menu in the observation (offer_space = 'frontier')")
    menu, disagreement = slices["offer_menu"], slices["disagreement"].start
    offers = (menu.stop - menu.start) // 4
    return [OfferLayout(menu.start, disagreement, offers, role) for role in range(len(ROLES))]


def polyak(averaged: ActorCritic, network: ActorCritic, rate: float) -> None:
    with torch.no_grad():
        for kept, new in zip(averaged.parameters(), network.parameters(), strict=True):
            kept.lerp_(new, rate)


def train(config: RunConfig, run: RunDirectory, *, show_progress: bool = True) -> dict[str, Path]:
    """Train both players by self-play Q-learning; returns the saved players' paths (the averaged networks)."""
    torch.set_num_threads(config.run.threads)
    settings, seed, total = config.settings, config.run.seed, config.run.total_steps
    env_kwargs, protocols = split_mixture(config.env)
    envs = make_vector_env(settings.num_envs, env_kwargs, protocols=protocols, autoreset=False)
    if not envs.discrete:
        raise ValueError("qlearning: needs a discrete offer space ('grid' or 'frontier'); use mappo for 'scheme'")
    device = training_device(config.run.device)  # the networks and their batches live there; the env on the CPU
    checkpoint = run.load_checkpoint()
    # A checkpoint written before the dueling head existed holds plain heads: it resumes with them.
    dueling = settings.dueling if checkpoint is None else has_dueling_head(checkpoint["networks"][0])
    # ... and one written before the lookahead existed goes on without it, as it began.
    lookahead = settings.lookahead if checkpoint is None else checkpoint.get("lookahead", 0)
    offer_head = settings.offer_head if checkpoint is None else has_offer_head(checkpoint["networks"][0])
    if offer_head and dueling:
        raise ValueError("qlearning: offer_head and dueling are two different heads; set qlearning.dueling = false")
    layouts = offer_layouts(envs) if offer_head else [None, None]
    torch.manual_seed(seed)
    networks = [
        q_network(envs.observation_size, envs.n_actions, settings, dueling, layout).to(device) for layout in layouts
    ]
    averaged = [copy.deepcopy(network) for network in networks]
    optimizers = [torch.optim.Adam(n.actor.parameters(), lr=settings.learning_rate) for n in networks]
    update, step, elapsed = 0, 0, 0.0
    centre = game_centre(envs, seed)
    for network in networks + averaged:
        if isinstance(head := network.actor[-1], OfferHead):
            head.offset.copy_(torch.as_tensor(centre))  # it reads the payoffs as they are, uncentred
    if checkpoint is not None:
        # A checkpoint written before observations were centred holds networks of uncentred ones.
        centre = checkpoint["centre"].numpy() if "centre" in checkpoint else np.zeros_like(centre)
        restored: tuple[list[Any], ...] = (networks, averaged, optimizers)
        for modules, saved in zip(restored, ("networks", "averaged", "optimizers"), strict=True):
            for module, state in zip(modules, checkpoint[saved], strict=True):
                module.load_state_dict(state)
        update, step, elapsed = checkpoint["update"], checkpoint["step"], float(checkpoint.get("wall_time", 0.0))
        run.truncate_metrics(step)

    # the greedy outcome per first proposer, logged at checkpoints; a mixture has no one game to log it for
    probes = {} if isinstance(envs, MixedVectorEnv) else greedy_probes(env_kwargs)
    started = time.perf_counter() - elapsed  # wall time continues across resumptions
    with Progress(total, "q-learning self-play", show_progress, initial=step, unit="step") as bar:
        while step < total:
            current = update_seed(seed, update)
            rng = np.random.default_rng(current)
            reset_in_subgames(envs, rng, current, settings.subgame_starts)
            steps, outcome = play_episodes(
                envs,
                averaged,
                rng,
                settings.exploration,
                settings.first_exploration,
                settings.accept_bonus,
                centre,
                lookahead,
            )
            data = q_targets(steps, outcome["payoffs"], averaged, settings.accept_bonus)
            learning_rate = settings.learning_rate * max(0.0, 1.0 - step / total)
            metrics: dict[str, float] = {"learning_rate": learning_rate}
            for role, name in enumerate(ROLES):
                for group in optimizers[role].param_groups:
                    group["lr"] = learning_rate
                if len(data[role][2]):
                    metrics[f"{name}/q_loss"] = regress(networks[role], optimizers[role], data[role], settings, rng)
                    polyak(averaged[role], networks[role], settings.target_rate)
            run.ensure_finite({"networks": [n.state_dict() for n in networks]}, step)
            played = int(sum(s.live.sum() for s in steps))
            step += played
            update += 1
            metrics.update(outcome_metrics(outcome))
            checkpoint_now = update % config.run.checkpoint_every == 0 or step >= total
            # the learned outcome, without exploration (what the learning curves show), at every checkpoint
            evaluated = greedy_outcome(probes, averaged, settings.accept_bonus, centre) if checkpoint_now else {}
            metrics.update(greedy_metrics({first: evaluated.get(first) for first in probes}))
            metrics["wall_time"] = time.perf_counter() - started
            run.log(step, metrics)
            bar.update(played, **{k: v for k, v in metrics.items() if k.endswith("sender_payoff")})
            if checkpoint_now:
                state = {
                    "networks": [n.state_dict() for n in networks],
                    "averaged": [n.state_dict() for n in averaged],
                    "optimizers": [o.state_dict() for o in optimizers],
                    "update": update,
                    "step": step,
                    "wall_time": metrics["wall_time"],
                    "centre": torch.as_tensor(centre),
                    "lookahead": lookahead,
                }
                run.save_checkpoint(state, step)
    paths: dict[str, Path] = {}
    for network, name in zip(averaged, ROLES, strict=True):
        paths[name] = run.players / f"{name}.pt"
        save_torch_player(saved_player(network, settings.accept_bonus, centre), paths[name])
    return paths


def greedy_probes(env_kwargs: dict[str, Any]) -> dict[str, VectorBargainingEnv]:
    """One expected-mode game per first proposer of ``env_kwargs``, built once, for :func:`greedy_outcome`."""
    return {
        first: VectorBargainingEnv(
            1, autoreset=False, **{**env_kwargs, "first_proposer": first, "realization": "expected"}
        )
        for first in first_proposers(env_kwargs)
    }


def greedy_outcome(
    probes: dict[str, VectorBargainingEnv],
    averaged: list[ActorCritic],
    accept_bonus: float,
    centre: NDArray[np.float64],
) -> dict[str, NDArray[np.float64]]:
    """The exact outcome ``(U_S, U_R)`` of the greedy players (no exploration, expected mode) per first proposer:
    one game of each probe from the start."""
    outcomes = {}
    for first, envs in probes.items():
        envs.reset(seed=0)
        _, outcome = play_episodes(envs, averaged, np.random.default_rng(0), accept_bonus=accept_bonus, centre=centre)
        outcomes[first] = outcome["payoffs"][0].copy()
    return outcomes


def saved_player(network: ActorCritic, accept_bonus: float, centre: NDArray[np.float64]) -> ActorCritic:
    """A copy that plays raw observations as ``network`` played centred ones, with the tie-break in its accept
    output, so that its plain arg-max (how saved players act) makes the choices :func:`greedy` made in training:
    the centre moves into the first layer's bias (``W (x - c) + b = W x + (b - W c)``) and a dueling head becomes
    the one linear layer it equals, so the copy is a plain :class:`ActorCritic`. On the CPU, wherever it trained,
    so that it loads on any machine."""
    player = copy.deepcopy(network).cpu()
    if isinstance(player.actor[-1], DuelingHead):
        player.actor[-1] = player.actor[-1].folded()
    head = player.actor[-1]
    with torch.no_grad():
        first = cast(torch.nn.Linear, player.actor[0])
        first.bias.sub_(first.weight @ torch.as_tensor(centre, dtype=first.weight.dtype))
        if isinstance(head, OfferHead):
            head.offset.zero_()  # raw observations carry the payoffs as they are
            head = head.responses
        cast(torch.nn.Linear, head).bias[ACCEPT] += accept_bonus
    return player
