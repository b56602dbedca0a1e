"""The batched env's whole-array copy of the rules, pinned to the rules core on random games and protocols.

Each game of a batch is mirrored by a core :class:`~infobargain.game.state.State` fed the same actions: the
masks, the counter-offer rule, which actions are refused and the expected-mode payoff (the expectation over the
core's break-off chance nodes, summed here node by node) must agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infobargain.envs.vector import VectorBargainingEnv
from infobargain.game.protocol import ROLES
from infobargain.game.state import CONTINUE, IllegalActionError, State

GAMES = 3

game_settings = st.fixed_dictionaries(
    {
        "game": st.one_of(
            st.sampled_from(["pure_math", "prosecutor", "split_pie_bounded"]),
            st.builds("random:{}x{}:{}".format, st.integers(2, 3), st.integers(2, 3), st.integers(0, 10**6)),
        ),
        "protocol": st.sampled_from(["ultimatum", "fixed_role", "alternating"]),
        "first_proposer": st.sampled_from(["sender", "receiver", "coin_flip"]),
        "max_rounds": st.integers(1, 5),
        "break_off": st.sampled_from([0.0, 0.1, 0.5, 1.0]),
        "discount": st.sampled_from([1.0, 0.9, 0.5]),
        "offer_space": st.sampled_from(["frontier", "grid"]),
        "grid_size": st.integers(2, 5),
    }
)


class Mirror:
    """A core state per game and its expected payoff, accumulated over the break-off chance nodes it passes."""

    def __init__(self, envs: VectorBargainingEnv, game: int) -> None:
        first = ROLES[int(envs.first[game])]
        self.state = State(envs.rules, envs.encoding, np.asarray(envs.problem.d, dtype=float), first)
        self.survival = 1.0
        self.expected = np.zeros(2)

    def play(self, action: int) -> None:
        self.state.apply_action(action)
        if self.state.is_chance_node():
            (_, p), _ = self.state.chance_outcomes()
            self.expected = self.expected + self.survival * p * self.state.breakdown_returns()
            self.survival *= 1.0 - p
            self.state.apply_chance(CONTINUE)
        if self.state.is_terminal():
            self.expected = self.expected + self.survival * self.state.returns()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kwargs=game_settings, seed=st.integers(0, 2**16), data=st.data())
def test_batched_rules_are_the_cores(kwargs: dict[str, Any], seed: int, data: st.DataObject) -> None:
    if kwargs["game"].startswith("split_pie"):
        kwargs = {**kwargs, "offer_space": "frontier"}  # a pie has no signaling grid
    envs = VectorBargainingEnv(GAMES, autoreset=False, seed=seed, realization="expected", **kwargs)
    mirrors = [Mirror(envs, game) for game in range(GAMES)]
    payoffs = np.full((GAMES, 2), np.nan)
    steps = 0
    while not envs.finished.all():
        masks = envs.action_masks()
        for game, mirror in enumerate(mirrors):
            if envs.finished[game]:
                continue
            legal = mirror.state.legal_actions()
            assert np.flatnonzero(masks[game]).tolist() == legal
            assert bool(envs.can_counter[game]) == mirror.state.can_counter
        # an action the core refuses for some live game is refused by the batched env too
        probe = data.draw(st.integers(-2, envs.n_actions + 1), label="probe")
        game = data.draw(st.sampled_from(np.flatnonzero(~envs.finished).tolist()), label="game")
        actions = np.array([data.draw(st.sampled_from(np.flatnonzero(row).tolist())) for row in masks])
        if probe not in mirrors[game].state.legal_actions():
            with pytest.raises(IllegalActionError):
                mirrors[game].state.clone().apply_action(probe)
            trial = actions.copy()
            trial[game] = probe
            with pytest.raises(ValueError, match="illegal action"):
                envs.step(trial)
        live = ~envs.finished
        result = envs.step(actions)
        for game in np.flatnonzero(live):
            mirrors[game].play(int(actions[game]))
            assert bool(result.done[game]) == mirrors[game].state.is_terminal()
        payoffs[result.done] = result.payoffs[result.done]
        steps += 1
    assert steps >= 2  # a proposal and a response at least
    for game, mirror in enumerate(mirrors):
        assert payoffs[game] == pytest.approx(mirror.expected, abs=1e-12)
