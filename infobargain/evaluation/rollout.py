"""Rollouts: play a sender against a receiver for many episodes and record what each episode ended in.

**Seeding.** Episode ``i`` of a rollout with seed ``s`` resets the env with a seed drawn from
``SeedSequence([s, i])`` and each player with its own child seed, so an episode's result depends only on
``(s, i)``: serial and parallel rollouts give identical episodes in the same order.

**Parallelism.** Many episodes are split into chunks played by worker processes (``spawn`` context, so it
is safe with threaded libraries such as torch). Workers rebuild the env and the players from their
names, so this needs names or paths (not ``Policy`` objects) and picklable env arguments; otherwise, and
for small rollouts, episodes are played serially in this process.

**Realization stage.** Nobody decides anything after the deal (bilateral commitment), so the players are
not consulted there: the rollout passes for them.
"""

from __future__ import annotations

import math
import os
import pickle
from collections.abc import Mapping, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np

from infobargain.agents import Policy, bind_policy
from infobargain.envs.information_bargaining_v1 import AGENTS, ROLE_OF, raw_env
from infobargain.envs.offers import ACCEPT, SchemeOffers
from infobargain.envs.view import act
from infobargain.evaluation.players import PlayerSpec, picklable
from infobargain.game.protocol import ROLE_INDEX, Role
from infobargain.processes import worker_pool
from infobargain.progress import Progress, wanted

PARALLEL_THRESHOLD = 5000
"""Below this many episodes a rollout stays serial: each worker process costs 1–2 s to start (spawn)."""


@dataclass(frozen=True)
class Episode:
    """What one episode ended in (payoffs are the env's ``infos[agent]["outcome"]["payoffs"]``).

    In ``"expected"`` mode the payoffs are exact expectations over nature's moves (break-off and the
    realization stage); in ``"sampled"`` mode they are the realized means of the realization rewards.
    """

    index: int
    seed: int
    first_proposer: Role
    deal: bool
    """Whether the bargaining path ended in an accepted offer (in expected mode: before any breakdown)."""
    deal_probability: float
    """Probability of a deal: ``survival`` of the break-off draws if ``deal`` (expected mode), else 0/1."""
    agreement_round: int | None
    end_round: int | None
    sender_payoff: float
    receiver_payoff: float
    deal_proposer: Role | None
    """Whose offer was accepted."""
    proposer_payoff: float
    """The accepted offer's proposer's payoff from the deal, 0 without one (the paper's "last proposer" metric;
    in expected mode weighted by the deal's probability and discount)."""
    truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def episode_seeds(seed: int, index: int) -> tuple[int, int, int]:
    """Seeds of the env and of both players for episode ``index``."""
    env_seed, sender_seed, receiver_seed = np.random.SeedSequence([seed, index]).generate_state(3)
    return int(env_seed), int(sender_seed), int(receiver_seed)


def _pass_action(env: raw_env) -> Any:
    if isinstance(env.encoding, SchemeOffers):
        return np.ones(env.action_space(AGENTS["sender"]).shape, dtype=np.float64)
    return ACCEPT


def play_episode(env: raw_env, players: Mapping[Role, Policy], seed: int, index: int = 0) -> Episode:
    """Play one episode of ``env`` (a ``raw_env``) with ``players`` (role → Policy bound to ``env``)."""
    env_seed, sender_seed, receiver_seed = episode_seeds(seed, index)
    env.reset(seed=env_seed)
    players["sender"].reset(seed=sender_seed)
    players["receiver"].reset(seed=receiver_seed)
    sender = AGENTS["sender"]
    while not (env.terminations[sender] or env.truncations[sender]):
        agent = env.agent_selection
        if env.phase == "realization":
            env.step(_pass_action(env))
        else:
            env.step(act(players[ROLE_OF[agent]], env.observe(agent), env.view))
    return _record(env, index, env_seed)


def _record(env: raw_env, index: int, env_seed: int) -> Episode:
    info = env.infos[AGENTS["sender"]]
    outcome = info.get("outcome")
    if outcome is None or outcome.get("payoffs") is None:  # truncated by max_cycles inside bargaining
        return Episode(
            index=index,
            seed=env_seed,
            first_proposer=info["first_proposer"],
            deal=False,
            deal_probability=0.0,
            agreement_round=None,
            end_round=None,
            sender_payoff=math.nan,
            receiver_payoff=math.nan,
            deal_proposer=None,
            proposer_payoff=0.0,
            truncated=True,
        )
    deal = bool(outcome["deal"])
    payoffs = outcome["payoffs"]
    proposer: Role | None = outcome["offer"]["proposer"] if deal else None
    proposer_payoff = 0.0
    if deal:
        assert proposer is not None
        position = ROLE_INDEX[proposer]
        if env.realization == "expected":  # the deal's discounted payoff, weighted by its probability
            proposer_payoff = outcome["survival"] * env.view.state.returns()[position]
        else:
            proposer_payoff = payoffs[position]
    return Episode(
        index=index,
        seed=env_seed,
        first_proposer=info["first_proposer"],
        deal=deal,
        deal_probability=float(outcome["survival"]) if deal else 0.0,
        agreement_round=outcome["agreement_round"],
        end_round=outcome["end_round"],
        sender_payoff=float(payoffs[0]),
        receiver_payoff=float(payoffs[1]),
        deal_proposer=proposer,
        proposer_payoff=float(proposer_payoff),
        truncated=bool(env.truncations[AGENTS["sender"]]),
    )


def _play_chunk(
    sender: PlayerSpec, receiver: PlayerSpec, env_kwargs: Mapping[str, Any], seed: int, indices: Sequence[int]
) -> list[Episode]:
    env = raw_env(**env_kwargs)
    players: dict[Role, Policy] = {
        "sender": bind_policy(sender, env, "sender"),
        "receiver": bind_policy(receiver, env, "receiver"),
    }
    return [play_episode(env, players, seed, index) for index in indices]


def _can_ship(*objects: Any) -> bool:
    try:
        pickle.dumps(objects)
    except Exception:  # anything unpicklable (lambdas, open handles, …) keeps the rollout serial
        return False
    return True


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def rollout(
    sender: PlayerSpec,
    receiver: PlayerSpec,
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    episodes: int = 100,
    seed: int = 0,
    workers: int | None = None,
    progress: bool | None = None,
) -> list[Episode]:
    """Play ``episodes`` episodes of ``sender`` against ``receiver`` in ``raw_env(**env_kwargs)``.

    ``workers``: processes to use (``None``: all cores, but only from :data:`PARALLEL_THRESHOLD` episodes on;
    ``1``: serial). Returns the episodes in index order.
    """
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1:
        raise ValueError(f"episodes: must be an integer >= 1, got {episodes!r}")
    kwargs = dict(env_kwargs or {})
    count = default_workers() if workers is None else max(1, int(workers))
    if workers is None and episodes < PARALLEL_THRESHOLD:
        count = 1
    parallel = count > 1 and picklable(sender) and picklable(receiver) and _can_ship(kwargs)
    indices = list(range(episodes))
    with Progress(episodes, "episodes", wanted(progress, episodes)) as bar:
        if not parallel:
            env = raw_env(**kwargs)
            players: dict[Role, Policy] = {
                "sender": bind_policy(sender, env, "sender"),
                "receiver": bind_policy(receiver, env, "receiver"),
            }
            played = []
            for index in indices:
                played.append(play_episode(env, players, seed, index))
                bar.update()
            return played
        size = max(1, math.ceil(episodes / (4 * count)))
        chunks = [indices[i : i + size] for i in range(0, episodes, size)]
        results: dict[int, list[Episode]] = {}
        with worker_pool(count) as pool:
            futures = {
                pool.submit(_play_chunk, sender, receiver, kwargs, seed, chunk): position
                for position, chunk in enumerate(chunks)
            }
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.update(len(results[futures[future]]))
        return [episode for position in range(len(chunks)) for episode in results[position]]
