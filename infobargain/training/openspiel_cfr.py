"""OpenSpiel's CFR+ as a baseline from the field's libraries: ``openspiel_cfr_plus`` in the algorithm registry.

It runs OpenSpiel's own solver (``pyspiel.CFRPlusSolver``, alternating updates) on the library's OpenSpiel game
(:mod:`infobargain.envs.openspiel_game`: the same rules core and offers as the environment), then maps CFR+'s
**average policy** to the library's players. Read top to bottom:

1. **Does the tree fit?** CFR+ walks the whole game tree every iteration, and the tree grows as ``offers**rounds``
   (a rejected offer's history stays in the tree even though the continuation game does not depend on it).
   :func:`tree_size` counts its decision nodes exactly, per situation, without walking it; :func:`fits` refuses a
   game above :data:`MAX_DECISION_NODES` up front, in one line. In reach (offers per frontier, both first
   proposers): one round up to 4,999 offers (ultimatum, any protocol); alternating offers with a coin flip: 2
   rounds up to 70 offers, 3 up to 16, 4 up to 8, 5 up to 5, 6 up to 3; fixed-role: 2 rounds up to 99, 3 up to
   20, 4 up to 9, 5 up to 5. On the leaderboard's grid (25 offers) its three one-shot tasks are in reach; its
   5-round fixed-role tasks (over 9.8e6 nodes) and 10-round alternating tasks (2.0e14 nodes) are not.
2. **Iterations within the budget.** One iteration visits every decision node once per player, so it counts
   ``2 · tree_size`` decisions against ``run.total_steps``. Every ``run.checkpoint_every`` iterations a
   checkpoint records the iterations done and the players of that moment (the projected table of item 3, what
   ``benchmark --curves`` scores); CFR+ is deterministic, so a resumed run replays the iterations (their time
   again) and then goes on exactly as an uninterrupted run would. OpenSpiel's own solver serialization is not
   used: a solver restored from it keeps its average policy but continues differently (pure_math, alternating,
   2 rounds, 5 offers: NashConv 0.0517 after 5 + 1 iterations, 0.0407 uninterrupted).
3. **Players.** The library's players are Markov: they act on the situation ``(first proposer, round, offer on
   the table)`` (:class:`~infobargain.agents.tabular.SituationIndex`), while CFR's average policy acts on the
   whole history. :func:`situation_table` projects it onto situations by **occupancy**: each situation plays the
   average, over the histories that reach it, of the policy there, weighted by the probability that play (both
   average policies and chance) reaches each history. Against each other the projected players then reach every
   situation and make every move with the same probabilities as the average policies (the usual occupancy
   argument: the game's continuation depends on the situation only), so their outcome is CFR+'s; situations
   that play never reaches take the plain mean over their histories. The projection can differ off the path of
   play, which is why the players are scored by the library's exact evaluation, not by OpenSpiel's NashConv.

Each checkpoint also logs OpenSpiel's NashConv of the average policy (``nash_conv``) and the projected players'
exact expected outcome per first proposer (``average/<first>_first/<role>_payoff``). Nothing reads the exact
solver.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infobargain.training.job import TrainedPlayers, TrainingJob

MAX_DECISION_NODES = 10_000
"""The largest tree CFR+ is run on: one iteration then walks 20,000 decision nodes, ~5-10 s of OpenSpiel calling
the Python game here, so the leaderboard's budget of 200,000 decisions is ten iterations."""


def _openspiel_game(env_kwargs: Mapping[str, Any]) -> Any:
    """The OpenSpiel game of ``env_kwargs`` (arguments that do not shape bargaining, such as ``realization``, left
    out)."""
    from infobargain.envs.openspiel_game import PARAMETERS, load_game

    return load_game(**{name: value for name, value in env_kwargs.items() if name in PARAMETERS})


def tree_size(game: Any) -> int:
    """Decision nodes of the OpenSpiel ``game``'s tree (every history where a player moves).

    Counted by recursion over situations, memoised (a history's subtree depends only on its situation), so
    the count costs a few clones per situation however large the tree."""
    memo: dict[tuple[Any, ...], int] = {}

    def count(state: Any) -> int:
        if state.is_terminal():
            return 0
        key = ("coin flip",) if state.first is None else (state.first, state.round, state.pending)
        key = (*key, state.current_player())
        if key not in memo:
            chance = state.is_chance_node()
            children = [action for action, _ in state.chance_outcomes()] if chance else state.legal_actions()
            memo[key] = (0 if chance else 1) + sum(count(state.child(action)) for action in children)
        return memo[key]

    return count(game.new_initial_state())


def path_bound(game: Any) -> int:
    """A lower bound on :func:`tree_size`, from one path: the product of the numbers of legal offers along the
    longest play (every offer rejected or countered, play always continuing). Each offer opens its own history
    and a decision answers it, so the last answers alone are that many decision nodes. One clone per decision."""
    from infobargain.envs.offers import FIRST_OFFER
    from infobargain.game.state import ACCEPT, CONTINUE

    state, bound = game.new_initial_state(), 1
    while not state.is_terminal():
        if state.is_chance_node():
            outcomes = [outcome for outcome, _ in state.chance_outcomes()]
            state.apply_action(CONTINUE if CONTINUE in outcomes else outcomes[-1])
        else:
            actions = state.legal_actions()
            bound *= max(1, sum(action >= FIRST_OFFER for action in actions))
            state.apply_action(max(action for action in actions if action != ACCEPT))  # reject or counter-offer
    return bound


def fits(env_kwargs: Mapping[str, Any]) -> str | None:
    """Why CFR+ cannot run on ``env_kwargs`` (its tree is over :data:`MAX_DECISION_NODES`, or OpenSpiel cannot
    model the game), in one line; ``None`` when it fits."""
    try:
        game = _openspiel_game(env_kwargs)
    except ValueError as error:  # a continuous offer space, or a distribution of games
        return str(error)
    bound = path_bound(game)
    if bound > MAX_DECISION_NODES:
        return f"CFR+'s game tree has over {bound:.2g} decision nodes, above its limit of {MAX_DECISION_NODES:,}"
    nodes = tree_size(game)
    if nodes > MAX_DECISION_NODES:
        return f"CFR+'s game tree has {nodes:,} decision nodes, above its limit of {MAX_DECISION_NODES:,}"
    return None


def situation_table(game: Any, policy: Any, env: Any) -> NDArray[np.float64]:
    """CFR's ``policy`` (on histories) as a table ``[situation, action]`` of ``env``'s
    :class:`~infobargain.agents.tabular.SituationIndex`: the occupancy-weighted mean over each situation's
    histories, or their plain mean where play never reaches it (see the module docstring)."""
    from infobargain.agents.tabular import SituationIndex
    from infobargain.game.protocol import ROLES

    index = SituationIndex(env)
    weighted = np.zeros((index.count, index.n_actions))
    plain = np.zeros((index.count, index.n_actions))
    reached = np.zeros(index.count)
    histories = np.zeros(index.count)

    def walk(state: Any, reach: float) -> None:
        if state.is_terminal():
            return
        if state.is_chance_node():
            for outcome, probability in state.chance_outcomes():
                walk(state.child(outcome), reach * probability)
            return
        proposer = state.acting if state.pending is None else ROLES[1 - ROLES.index(state.acting)]
        offer = None if state.pending is None else int(index.canonical[proposer][state.pending])
        row = index.situation(index.first_proposer(state.round, proposer), state.round, offer)
        histories[row] += 1
        reached[row] += reach
        for action, probability in policy.action_probabilities(state).items():
            plain[row, action] += probability
            weighted[row, action] += reach * probability
            walk(state.child(action), reach * probability)

    walk(game.new_initial_state(), 1.0)
    table = np.where(index.legal, 1.0, 0.0)  # situations no history reaches: uniform over the legal actions
    seen, played = histories > 0, reached > 0
    table[seen] = plain[seen] / histories[seen, None]
    table[played] = weighted[played] / reached[played, None]
    return table / table.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def train(job: TrainingJob) -> TrainedPlayers:
    """CFR+ for as many iterations as the budget pays for (see the module docstring); players: its average
    policy, projected onto situations. A game out of reach (:func:`fits`) is refused before: by the runner."""
    import pyspiel
    import torch

    from infobargain.agents.tabular import TabularPolicy
    from infobargain.envs.information_bargaining_v1 import raw_env
    from infobargain.game.protocol import ROLES
    from infobargain.progress import Progress
    from infobargain.training.players import OutcomeProbe

    config, run = job.config, job.run
    game = _openspiel_game(job.env_kwargs)
    env = raw_env(**{key: value for key, value in job.env_kwargs.items() if key != "render_mode"})
    per_iteration = 2 * tree_size(game)
    planned = job.budget // per_iteration
    if planned < 1:
        raise ValueError(
            f"run.total_steps: one CFR+ iteration walks {per_iteration:,} decision nodes, over the budget of {job.budget:,}"
        )

    def players(table: NDArray[np.float64], greedy: bool) -> dict[str, TabularPolicy]:
        return {role: TabularPolicy(table, env, role, greedy=greedy, spec=f"CFR+ {role}") for role in ROLES}

    solver = pyspiel.CFRPlusSolver(game)
    saved = run.load_checkpoint()
    done = int(saved["iterations"]) if saved is not None else 0
    elapsed = float(saved["wall_time"]) if saved is not None else 0.0
    for _ in range(done):  # deterministic: the replay restores the solver exactly
        solver.evaluate_and_update_policy()
    started = time.perf_counter() - elapsed
    with Progress(job.budget, "OpenSpiel CFR+", job.show_progress, initial=done * per_iteration, unit="step") as bar:
        for iteration in range(done + 1, planned + 1):
            solver.evaluate_and_update_policy()
            bar.update(per_iteration)
            if iteration % config.run.checkpoint_every and iteration < planned:
                continue
            average = solver.average_policy()
            wall = time.perf_counter() - started
            metrics = {"iterations": iteration, "wall_time": wall, "nash_conv": pyspiel.nash_conv(game, average)}
            table = situation_table(game, average, env)
            greedy = players(table, greedy=True)
            for first, outcome in OutcomeProbe(job.env_kwargs, greedy["sender"], greedy["receiver"])().items():
                for side, payoff in zip(ROLES, outcome, strict=True):
                    metrics[f"greedy/{first}_first/{side}_payoff"] = float(payoff)
            run.log(iteration * per_iteration, metrics)
            state = {"iterations": iteration, "wall_time": wall, "table": torch.from_numpy(table)}
            run.save_checkpoint(state, iteration * per_iteration)
    paths = {}
    for role, player in players(situation_table(game, solver.average_policy(), env), greedy=False).items():
        paths[role] = run.players / f"{role}.npz"
        player.save(paths[role])
    options = {"tree_decision_nodes": per_iteration // 2, "iterations": planned}
    return TrainedPlayers(paths["sender"], paths["receiver"], planned * per_iteration, options)
