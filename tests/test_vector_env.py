"""The batched env plays the same game as the AEC env: same observations, masks and outcomes."""

from __future__ import annotations

import gc
import itertools
import json
import threading
from typing import Any

import numpy as np
import pytest

from infobargain.envs import information_bargaining_v1
from infobargain.envs import vector as vector_module
from infobargain.envs.offers import ACCEPT, FIRST_OFFER, REJECT
from infobargain.envs.vector import VectorBargainingEnv
from infobargain.game.distributions import RandomInstances

GAMES = 12

CONFIGS = [
    {
        "game": game,
        "protocol": protocol,
        "first_proposer": first,
        "offer_space": space,
        "receiver_offer": receiver_offer,
    }
    for game, space in (
        ("pure_math", "frontier"),
        ("pure_math", "grid"),
        ("pure_math", "scheme"),
        ("split_pie", "frontier"),
    )
    for protocol, first in itertools.product(("ultimatum", "fixed_role", "alternating"), ("sender", "receiver"))
    for receiver_offer in ("threshold", "exact")
    if not (game == "split_pie" and receiver_offer == "exact")
] + [
    {"game": "random:3x3:4", "offer_space": "scheme", "first_proposer": "receiver", "discount": 0.8, "max_rounds": 4},
    {"game": "prosecutor", "offer_space": "frontier", "first_proposer": "sender", "break_off": 0.3, "discount": 0.9},
]


def random_action(rng: np.random.Generator, mask: np.ndarray | None, size: int, accept_bias: float = 0.3) -> Any:
    """A random legal action; responders accept with some probability so games last a few rounds."""
    if mask is None:
        action = rng.uniform(-1.0, 1.0, size)
        action[0] = 1.0 if rng.random() < accept_bias else -1.0
        return action
    legal = np.flatnonzero(mask)
    if mask[ACCEPT] and rng.random() < accept_bias:
        return ACCEPT
    return int(rng.choice(legal[legal != ACCEPT])) if len(legal) > 1 else int(legal[0])


def play_aec(env_kwargs: dict[str, Any], actions: list[Any]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Play ``actions`` (decisions only) on the AEC env; returns each agent's total reward and the acting
    agent's observation before each decision."""
    env = information_bargaining_v1.raw_env(**env_kwargs)
    env.reset(seed=0)
    totals = {agent: 0.0 for agent in env.possible_agents}
    seen: list[np.ndarray] = []
    decisions = iter(actions)
    passing = ACCEPT if env.offer_space != "scheme" else np.ones(env.action_space("sender_0").shape)
    for agent in env.agent_iter():
        observation, reward, terminated, truncated, _ = env.last()
        totals[agent] += reward
        if terminated or truncated:
            env.step(None)
        elif env.phase == "bargaining":
            seen.append(observation["observation"])
            env.step(next(decisions))
        else:
            env.step(passing)
    return np.array([totals["sender_0"], totals["receiver_0"]]), seen


@pytest.mark.parametrize("env_kwargs", CONFIGS, ids=lambda kw: "-".join(str(v) for v in kw.values()))
def test_expected_mode_matches_the_aec_env_exactly(env_kwargs: dict[str, Any]) -> None:
    rng = np.random.default_rng(1)
    vector = VectorBargainingEnv(GAMES, autoreset=False, seed=0, **env_kwargs)
    played: list[list[Any]] = [[] for _ in range(GAMES)]
    observed: list[list[np.ndarray]] = [[] for _ in range(GAMES)]
    rewards = np.zeros((GAMES, 2))
    while not vector.finished.all():
        acting = vector.acting
        masks = vector.action_masks() if vector.discrete else None
        views = [vector.observe(0), vector.observe(1)]
        actions = np.zeros((GAMES,) if vector.discrete else (GAMES, vector.n_actions))
        for game in np.flatnonzero(~vector.finished):
            action = random_action(rng, None if masks is None else masks[game], vector.n_actions)
            actions[game] = action
            played[game].append(action)
            observed[game].append(views[acting[game]][game])
        result = vector.step(actions)
        rewards[result.done] = result.rewards[result.done]
    for game in range(GAMES):
        totals, seen = play_aec(env_kwargs, played[game])
        np.testing.assert_allclose(rewards[game], totals, atol=1e-12)
        assert len(seen) == len(observed[game])
        for aec_view, vector_view in zip(seen, observed[game], strict=True):
            np.testing.assert_allclose(vector_view, aec_view, atol=1e-12)


def test_masks_match_the_aec_env() -> None:
    env_kwargs = {"protocol": "alternating", "max_rounds": 3, "first_proposer": "receiver"}
    vector = VectorBargainingEnv(1, autoreset=False, **env_kwargs)
    env = information_bargaining_v1.raw_env(**env_kwargs)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    while not vector.finished.all():
        aec_mask = env.action_mask(env.agent_selection)
        np.testing.assert_array_equal(vector.action_masks()[0], aec_mask.astype(bool))
        action = random_action(rng, aec_mask, 0, accept_bias=0.0)
        vector.step(np.array([action]))
        env.step(action)


@pytest.mark.parametrize("game", ["pure_math", "prosecutor", "split_pie_bounded"])
def test_sampled_mode_matches_the_aec_env_in_distribution(game: str) -> None:
    """Both envs under the same (deterministic) strategy: offer the first frontier point, accept everything.
    Episode payoffs are random (break-off and realization); their means agree within 5 standard errors."""
    env_kwargs = {"game": game, "realization": "sampled", "realization_rounds": 3, "break_off": 0.4}
    episodes = 1500
    vector = VectorBargainingEnv(episodes, autoreset=False, seed=3, **env_kwargs)
    # Round 0: offer index 0 (rejected), round 1: counter-offer index 0, round 1: accept.
    plan = [FIRST_OFFER, FIRST_OFFER + 1, ACCEPT]
    vector_payoffs = np.zeros((episodes, 2))
    for action in plan:
        live = ~vector.finished
        result = vector.step(np.where(live, action, FIRST_OFFER))
        vector_payoffs[result.done] = result.payoffs[result.done]
        if vector.finished.all():
            break
    aec_payoffs = []
    env = information_bargaining_v1.raw_env(**env_kwargs)
    for episode in range(episodes):
        env.reset(seed=episode)
        decisions = iter(plan)
        for _agent in env.agent_iter():
            _, _, terminated, truncated, info = env.last()
            if terminated or truncated:
                outcome = info.get("outcome") or {"payoffs": env.payoffs.tolist()}
                env.step(None)
                continue
            env.step(next(decisions) if env.phase == "bargaining" else ACCEPT)
        aec_payoffs.append(env.payoffs)
    aec = np.array(aec_payoffs)
    del outcome
    difference = np.abs(vector_payoffs.mean(axis=0) - aec.mean(axis=0))
    error = np.sqrt(vector_payoffs.var(axis=0) / episodes + aec.var(axis=0) / episodes)
    assert np.all(difference <= 5 * error + 1e-12), (difference, error)
    # And the deal rate is the survival probability of one rejection.
    assert abs(np.mean(~np.isnan(vector_payoffs[:, 0])) - 1.0) < 1e-12


def test_autoreset_starts_the_next_episode() -> None:
    vector = VectorBargainingEnv(4, autoreset=True, seed=0, protocol="ultimatum")
    vector.step(np.full(4, FIRST_OFFER))
    result = vector.step(np.full(4, ACCEPT))
    assert result.done.all() and not vector.finished.any()
    assert not vector.pending.any() and (vector.round == 0).all()


def test_subgame_starts_measure_payoffs_from_the_start_round() -> None:
    """Starting in round 2 of an alternating game with discount 0.5: a deal at once pays the deal undiscounted,
    and the proposer is the one the protocol assigns to round 2."""
    vector = VectorBargainingEnv(2, autoreset=False, discount=0.5, break_off=0.0, first_proposer="sender")
    vector.reset(seed=0, start_rounds=np.array([2, 3]))
    assert vector.acting.tolist() == [0, 1]
    vector.step(np.full(2, FIRST_OFFER + 3))
    result = vector.step(np.full(2, ACCEPT))
    np.testing.assert_allclose(result.rewards, vector.tables.payoffs[0, [0, 1], [3, 3]], atol=1e-12)


def test_coin_flip_draws_both_first_proposers() -> None:
    vector = VectorBargainingEnv(4000, autoreset=False, seed=0, first_proposer="coin_flip")
    share = (vector.first == 0).mean()
    assert abs(share - 0.5) < 5 * np.sqrt(0.25 / 4000)


def test_illegal_actions_and_bad_arguments_are_refused() -> None:
    vector = VectorBargainingEnv(2, autoreset=False)
    with pytest.raises(ValueError, match="illegal action"):
        vector.step(np.array([ACCEPT, FIRST_OFFER]))
    with pytest.raises(ValueError, match="num_envs"):
        VectorBargainingEnv(0)
    with pytest.raises(ValueError, match="sampler"):
        VectorBargainingEnv(2, game=lambda rng: None)
    scheme = VectorBargainingEnv(1, autoreset=False, offer_space="scheme")
    with pytest.raises(ValueError, match="NaN"):
        scheme.step(np.full((1, scheme.n_actions), np.nan))


# Distributions: every game of the batch plays its own instance, and the AEC env replays it exactly.


@pytest.mark.parametrize(
    "env_kwargs",
    [
        {"game": "random:2x2", "protocol": "alternating", "first_proposer": "sender", "max_rounds": 4},
        {"game": "random:2x2", "protocol": "fixed_role", "first_proposer": "receiver", "receiver_offer": "exact"},
        {"game": "random:3x3", "protocol": "alternating", "first_proposer": "sender", "max_rounds": 4},
        {"game": "random:4x4", "protocol": "fixed_role", "first_proposer": "receiver", "grid_size": 7},
        {"game": "random:2x4", "protocol": "ultimatum", "first_proposer": "sender", "tie_break": "receiver"},
        {
            "game": "random:2x3",
            "protocol": "alternating",
            "first_proposer": "receiver",
            "offer_space": "grid",
            "grid_size": 3,
            "max_rounds": 3,
        },
        {"game": "family:signaling", "protocol": "ultimatum", "first_proposer": "receiver", "discount": 0.9},
        {
            "game": "random:2x2",
            "protocol": "alternating",
            "first_proposer": "receiver",
            "break_off": 0.3,
            "tie_break": "receiver",
            "grid_size": 5,
        },
    ],
    ids=lambda kw: "-".join(str(v) for v in kw.values()),
)
@pytest.mark.filterwarnings("ignore:tie_break='receiver' with obedience_margin=0")
@pytest.mark.filterwarnings("ignore:game. random.2x3 with offer_space='grid' has no batched offer tables")
def test_a_distribution_plays_each_games_own_instance_exactly_as_the_aec_env(env_kwargs: dict[str, Any]) -> None:
    rng = np.random.default_rng(2)
    vector = VectorBargainingEnv(GAMES, autoreset=False, seed=3, **env_kwargs)
    for _ in range(3):  # episodes, with new instances drawn at every reset
        vector.reset()
        instances = [vector.instance(game) for game in range(GAMES)]
        played: list[list[Any]] = [[] for _ in range(GAMES)]
        observed: list[list[np.ndarray]] = [[] for _ in range(GAMES)]
        rewards = np.zeros((GAMES, 2))
        while not vector.finished.all():
            acting, masks = vector.acting, vector.action_masks()
            views = [vector.observe(0), vector.observe(1)]
            actions = np.zeros(GAMES, dtype=np.int64)
            for game in np.flatnonzero(~vector.finished):
                actions[game] = random_action(rng, masks[game], vector.n_actions)
                played[game].append(actions[game])
                observed[game].append(views[acting[game]][game])
            result = vector.step(actions)
            rewards[result.done] = result.rewards[result.done]
        for game in range(GAMES):
            totals, seen = play_aec({**env_kwargs, "game": instances[game]}, played[game])
            np.testing.assert_allclose(rewards[game], totals, atol=1e-12)
            for aec_view, vector_view in zip(seen, observed[game], strict=True):
                np.testing.assert_allclose(vector_view, aec_view, atol=1e-12)
        assert len({json.dumps(instance.to_dict()) for instance in instances}) > 1  # several instances per batch


def test_fresh_rows_are_counted_and_sizes_beyond_the_batched_tables_say_what_they_cost() -> None:
    vector = VectorBargainingEnv(8, seed=0, game="random:3x3", protocol="ultimatum", first_proposer="sender")
    vector.step(np.full(8, FIRST_OFFER))
    vector.step(np.full(8, ACCEPT))  # every game ends and draws a new instance
    assert vector.fresh_rows == 16 and 0 <= vector.fallback_rows <= vector.fresh_rows  # the reset's and the new
    with pytest.warns(UserWarning, match=r"random:5x5 .* no batched offer tables .* about 3 ms each"):
        VectorBargainingEnv(2, seed=0, game="random:5x5", protocol="ultimatum", grid_size=3)


def test_autoreset_draws_a_new_instance_for_the_games_that_ended() -> None:
    vector = VectorBargainingEnv(4, seed=0, game="random:2x2", protocol="ultimatum", first_proposer="sender")
    before = [vector.instance(game).prior[0] for game in range(4)]
    vector.step(np.full(4, FIRST_OFFER))  # the sender offers
    mid = [vector.instance(game).prior[0] for game in range(4)]
    result = vector.step(np.array([ACCEPT, ACCEPT, REJECT, REJECT]))  # every game ends and restarts
    after = [vector.instance(game).prior[0] for game in range(4)]
    assert before == mid and result.done.all()
    assert all(old != new for old, new in zip(before, after, strict=True))


def test_scheme_offers_over_a_distribution_are_refused() -> None:
    with pytest.raises(ValueError, match="offer_space: the vector env plays a distribution of games with discrete"):
        VectorBargainingEnv(2, game="random:2x2", offer_space="scheme")


def test_instances_do_not_depend_on_how_they_are_drawn_in_chunks() -> None:
    source = RandomInstances(2, 3)
    whole = source.sample_arrays(np.random.default_rng(5), 10)
    rng = np.random.default_rng(5)
    parts = [source.sample_arrays(rng, count) for count in (3, 1, 6)]
    for index, array in enumerate(whole):
        np.testing.assert_array_equal(array, np.concatenate([part[index] for part in parts]))


def test_building_ahead_on_a_thread_plays_the_same_instances(monkeypatch: pytest.MonkeyPatch) -> None:
    """A large batch builds fresh instances on a worker thread; a small one in the caller. Same seed, same games."""
    kwargs = {"game": "random:2x2", "protocol": "ultimatum", "first_proposer": "sender", "grid_size": 5}
    played = []
    for ahead in (8, 10**9):  # 16 games: built ahead in chunks of 8, then in the caller
        monkeypatch.setattr(vector_module, "AHEAD", ahead)
        vector = VectorBargainingEnv(16, seed=7, **kwargs)
        assert (vector._stream is not None and vector._stream.ahead) == (ahead if ahead == 8 else None)
        priors = [[vector.instance(game).prior[0] for game in range(16)]]
        for _ in range(3):  # every game ends after two decisions and draws its next instance
            vector.step(np.full(16, FIRST_OFFER + 1))
            vector.step(np.full(16, ACCEPT))
            priors.append([vector.instance(game).prior[0] for game in range(16)])
        vector.close()
        played.append(priors)
    assert played[0] == played[1]
    assert len({prior for row in played[0] for prior in row}) == 4 * 16


def test_closing_stops_the_worker_thread() -> None:
    vector = VectorBargainingEnv(vector_module.AHEAD, seed=0, game="random:2x2", grid_size=3)
    assert any(thread.name == "infobargain-tables" for thread in threading.enumerate())
    vector.close()
    assert not any(thread.name == "infobargain-tables" for thread in threading.enumerate())


@pytest.mark.parametrize("realization", ["expected", "sampled"])
@pytest.mark.parametrize("game", ["random:2x2", "split_pie"])
def test_a_branch_plays_on_by_the_same_rules_and_leaves_the_env_as_it_was(game: str, realization: str) -> None:
    """A branch stepped with some actions gives what the env gives for them (expected mode: every number; sampled
    mode draws its own chance), and the env plays on, and draws its next games, as an env never branched."""
    kwargs = {"game": game, "protocol": "alternating", "max_rounds": 4, "break_off": 0.2, "realization": realization}
    branched, plain = (VectorBargainingEnv(64, autoreset=False, seed=3, **kwargs) for _ in range(2))
    rng = np.random.default_rng(0)
    for _ in range(2):  # two episodes: the reset between them draws fresh games after branches were dropped
        while not plain.finished.all():
            actions = np.array([random_action(rng, mask, 0) for mask in plain.action_masks()])
            on_branch = branched.branch(seed=7).step(actions)
            result, expected = branched.step(actions), plain.step(actions)
            np.testing.assert_array_equal(result.payoffs, expected.payoffs)
            if realization == "expected":
                np.testing.assert_array_equal(on_branch.payoffs, expected.payoffs)
            for name in VectorBargainingEnv._GAME_STATE:
                np.testing.assert_array_equal(getattr(branched, name), getattr(plain, name))
        gc.collect()  # a dropped branch must not close the env's instance stream
        branched.reset(seed=5)
        plain.reset(seed=5)
        np.testing.assert_array_equal(branched.static_rows(), plain.static_rows())
