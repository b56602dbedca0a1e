"""PettingZoo API conformance of the information-bargaining environment, determinism and reward ownership.

Every combination of protocol × offer space × realization × game kind (persuasion: ``pure_math``; plain
bargaining: ``split_pie`` and ``split_pie_bounded``, which only exist with ``offer_space="frontier"``) goes
through PettingZoo's own checkers.
"""

from __future__ import annotations

import functools
import itertools
import subprocess
import sys
import types
from collections.abc import Callable
from typing import Any

import gymnasium
import numpy as np
import pytest
from conftest import Quiet
from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.test import (
    api_test,
    max_cycles_test,
    parallel_api_test,
    parallel_seed_test,
    render_test,
    seed_test,
    state_test,
)
from pettingzoo.utils.wrappers import BaseWrapper

import infobargain
from infobargain.envs import information_bargaining_v1 as ib
from infobargain.envs.conventions import STRICT
from infobargain.envs.offers import ACCEPT, FIRST_OFFER

PROTOCOLS = ("ultimatum", "fixed_role", "alternating")
SPACES = ("scheme", "grid", "frontier")
REALIZATIONS = ("expected", "sampled")
PERSUASION = ("pure_math",)
PIES = ("split_pie", "split_pie_bounded")


def _combinations() -> list[dict[str, Any]]:
    combos = []
    for protocol, space, realization, game in itertools.product(PROTOCOLS, SPACES, REALIZATIONS, PERSUASION + PIES):
        if game in PIES and space != "frontier":
            continue  # a pie is bargained over with frontier offers only
        combos.append(
            {
                "game": game,
                "protocol": protocol,
                "offer_space": space,
                "realization": realization,
                # small enough to keep the suite fast, large enough for several realization cycles
                "realization_rounds": 5,
                "grid_size": 3 if space == "grid" else 5,
                "max_rounds": 4,
            }
        )
    return combos


COMBOS = _combinations()


def _combo_id(kwargs: dict[str, Any]) -> str:
    return "-".join(str(kwargs[key]) for key in ("protocol", "offer_space", "realization", "game"))


combo = pytest.mark.parametrize("kwargs", COMBOS, ids=[_combo_id(c) for c in COMBOS])


def module_for(kwargs: dict[str, Any]) -> types.SimpleNamespace:
    """A module-like object (``env``, ``parallel_env``, ``raw_env``) as PettingZoo's checkers expect."""
    return types.SimpleNamespace(
        env=functools.partial(ib.env, **kwargs),
        parallel_env=functools.partial(ib.parallel_env, **kwargs),
        raw_env=functools.partial(ib.raw_env, **kwargs),
    )


def is_discrete(kwargs: dict[str, Any]) -> bool:
    return kwargs["offer_space"] != "scheme"


# ---------------------------------------------------------------------------------------------------------------
# Mask-aware sampling for PettingZoo checkers that sample without masks.
#
# ``state_test`` (its play loop) and ``parallel_seed_test`` call ``action_space(agent).sample()`` without the
# action mask. With a discrete offer space most actions are illegal at any moment (a proposer must offer, a waiting
# agent may only pass), and the environment rightly raises on illegal actions. These thin wrappers change nothing
# but the sampler: ``sample()`` without a mask draws from the agent's current legal actions. With the continuous
# ``"scheme"`` space every action is legal, so the checkers run on the bare environment.


class _MaskedDiscrete(gymnasium.spaces.Discrete):
    def __init__(self, base: gymnasium.spaces.Discrete, mask: Callable[[], np.ndarray]) -> None:
        super().__init__(int(base.n), start=int(base.start))
        self._mask = mask

    def sample(self, mask: Any = None, probability: Any = None) -> np.int64:
        return super().sample(mask=self._mask() if mask is None else mask, probability=probability)


class MaskSamplingAEC(BaseWrapper):
    def __init__(self, env: AECEnv) -> None:
        super().__init__(env)
        self._spaces = {
            agent: _MaskedDiscrete(env.action_space(agent), functools.partial(self._current_mask, agent))
            for agent in env.possible_agents
        }

    def _current_mask(self, agent: str) -> np.ndarray:
        return self.env.observe(agent)["action_mask"].astype(np.int8)

    def action_space(self, agent: str) -> gymnasium.spaces.Space:
        return self._spaces[agent]


class MaskSamplingParallel(ParallelEnv):
    def __init__(self, env: ParallelEnv) -> None:
        self.env = env
        self.possible_agents = env.possible_agents
        self.metadata = env.metadata
        self._spaces = {
            agent: _MaskedDiscrete(env.action_space(agent), functools.partial(self._current_mask, agent))
            for agent in env.possible_agents
        }

    def _current_mask(self, agent: str) -> np.ndarray:
        return self.env.unwrapped.observe(agent)["action_mask"].astype(np.int8)

    @property
    def agents(self) -> list[str]:  # type: ignore[override]
        return self.env.agents

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> Any:
        return self.env.reset(seed=seed, options=options)

    def step(self, actions: dict[str, Any]) -> Any:
        return self.env.step(actions)

    def action_space(self, agent: str) -> gymnasium.spaces.Space:
        return self._spaces[agent]

    def observation_space(self, agent: str) -> gymnasium.spaces.Space:
        return self.env.observation_space(agent)

    def close(self) -> None:
        self.env.close()


def sampling_aec(kwargs: dict[str, Any]) -> Callable[..., AECEnv]:
    def build(**extra: Any) -> AECEnv:
        environment = ib.env(**kwargs, **extra)
        return MaskSamplingAEC(environment) if is_discrete(kwargs) else environment

    return build


def sampling_parallel(kwargs: dict[str, Any]) -> Callable[..., ParallelEnv]:
    def build(**extra: Any) -> ParallelEnv:
        environment = ib.parallel_env(**kwargs, **extra)
        return MaskSamplingParallel(environment) if is_discrete(kwargs) else environment

    return build


# ---------------------------------------------------------------------------------------------------------------
# PettingZoo's checkers on the whole matrix


@combo
def test_api_test(kwargs: dict[str, Any], quiet: Quiet) -> None:
    with quiet():
        api_test(ib.env(**kwargs), num_cycles=150)


@combo
def test_parallel_api_test(kwargs: dict[str, Any], quiet: Quiet) -> None:
    with quiet():
        parallel_api_test(ib.parallel_env(**kwargs), num_cycles=150)


@combo
def test_seed_test(kwargs: dict[str, Any], quiet: Quiet) -> None:
    with quiet():
        seed_test(module_for(kwargs).env, num_cycles=150)


@combo
def test_parallel_seed_test(kwargs: dict[str, Any], quiet: Quiet) -> None:
    with quiet():
        parallel_seed_test(sampling_parallel(kwargs), num_cycles=150)


@combo
def test_state_test(kwargs: dict[str, Any], quiet: Quiet) -> None:
    with quiet():
        state_test(sampling_aec(kwargs)(), ib.parallel_env(**kwargs), num_cycles=30)


def _render_params() -> list[Any]:
    """rgb_array draws a matplotlib figure per frame: the alternating/expected slice runs by default, the rest is slow."""
    params = []
    for kwargs in COMBOS:
        fast = kwargs["protocol"] == "alternating" and kwargs["realization"] == "expected"
        params.append(pytest.param(kwargs, id=_combo_id(kwargs), marks=() if fast else pytest.mark.slow))
    return params


@pytest.mark.parametrize("kwargs", _render_params())
def test_render_test(kwargs: dict[str, Any], quiet: Quiet) -> None:
    with quiet():
        render_test(functools.partial(ib.env, **kwargs))


# ---------------------------------------------------------------------------------------------------------------
# max_cycles
#
# PettingZoo's ``max_cycles_test`` hard-codes ``max_cycles=4``, samples actions *without* masks and asserts that the
# episode lasts exactly 4 cycles. It therefore applies only where every action is legal (``offer_space="scheme"``)
# and where no episode can end on its own within 4 cycles: with ``realization="sampled"`` and
# ``realization_rounds >= 5`` the realization stage alone takes 5 cycles (each agent passes once per round).
# Everywhere else the equivalent masked check below runs: random *legal* play, and with ``max_cycles=k`` an episode
# still going after ``k`` cycles (``2k`` AEC steps, ``k`` Parallel steps) is truncated (truncations, never
# terminations), while an episode that ends sooner ends exactly as without the cap (terminations, no truncation).


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("first_proposer", ["sender", "receiver"])
def test_pettingzoo_max_cycles_test(protocol: str, first_proposer: str, quiet: Quiet) -> None:
    kwargs = {
        "protocol": protocol,
        "first_proposer": first_proposer,
        "offer_space": "scheme",
        "realization": "sampled",
        "realization_rounds": 5,
    }
    with quiet():
        max_cycles_test(module_for(kwargs))


def legal_random_action(environment: Any, agent: str, observation: dict[str, Any], rng: np.random.Generator) -> Any:
    if "action_mask" in observation:
        return int(rng.choice(np.flatnonzero(observation["action_mask"])))
    return rng.uniform(-1.0, 1.0, environment.action_space(agent).shape)


def aec_episode(kwargs: dict[str, Any], seed: int, max_cycles: int | None) -> dict[str, Any]:
    """One seeded episode of random legal play; what happened, step by step."""
    environment = ib.env(**kwargs, max_cycles=max_cycles)
    environment.reset(seed=seed)
    rng = np.random.default_rng(seed)
    live_steps = 0
    ended: dict[str, tuple[bool, bool]] = {}
    for agent in environment.agent_iter():
        observation, _, terminated, truncated, _ = environment.last()
        if terminated or truncated:
            ended[agent] = (terminated, truncated)
            environment.step(None)
            continue
        environment.step(legal_random_action(environment, agent, observation, rng))
        live_steps += 1
    assert environment.agents == []
    return {"steps": live_steps, "ended": ended}


def passing(environment: Any, agent: str) -> Any:
    """The action of an agent with nothing to decide (any action in the space does for the scheme encoding)."""
    space = environment.action_space(agent)
    return ACCEPT if isinstance(space, gymnasium.spaces.Discrete) else np.ones(space.shape)


def parallel_episode(kwargs: dict[str, Any], seed: int, max_cycles: int | None) -> dict[str, Any]:
    """As :func:`aec_episode`; only the acting agent draws from ``rng``, so both forms see the same actions."""
    environment = ib.parallel_env(**kwargs, max_cycles=max_cycles)
    observations, infos = environment.reset(seed=seed)
    rng = np.random.default_rng(seed)
    steps = 0
    ended: dict[str, tuple[bool, bool]] = {}
    while environment.agents:
        actions = {
            agent: legal_random_action(environment, agent, observations[agent], rng)
            if infos[agent]["acting"]
            else passing(environment, agent)
            for agent in environment.agents
        }
        observations, _, terminations, truncations, infos = environment.step(actions)
        steps += 1
        for agent in terminations:
            if terminations[agent] or truncations[agent]:
                ended[agent] = (terminations[agent], truncations[agent])
    return {"steps": steps, "ended": ended}


@combo
def test_max_cycles_masked(kwargs: dict[str, Any]) -> None:
    """Caps below, at and above each free episode's length: a cap shorter than the episode truncates it at
    ``2 · cap`` AEC steps (``cap`` Parallel steps); any other cap changes nothing."""
    capped_runs = 0
    for seed in range(3):
        free = aec_episode(kwargs, seed, None)
        assert all(flags == (True, False) for flags in free["ended"].values())
        free_parallel = parallel_episode(kwargs, seed, None)
        assert free_parallel["steps"] == free["steps"]  # one decision per Parallel step
        cycles = -(-free["steps"] // 2)  # AEC cycles the free episode takes
        for cap in sorted({1, 2, 3, 6, cycles - 1, cycles} - {0}):
            capped = aec_episode(kwargs, seed, cap)
            if free["steps"] > 2 * cap:
                capped_runs += 1
                assert capped["steps"] == 2 * cap
                assert capped["ended"] == {"sender_0": (False, True), "receiver_0": (False, True)}
            else:
                assert capped == free

            capped_parallel = parallel_episode(kwargs, seed, cap)
            if free_parallel["steps"] > cap:
                capped_runs += 1
                assert capped_parallel["steps"] == cap
                assert capped_parallel["ended"] == {"sender_0": (False, True), "receiver_0": (False, True)}
            else:
                assert capped_parallel == free_parallel
    assert capped_runs > 0  # every configuration's episodes are long enough to cut (a Parallel cap of 1 cuts 2 steps)


# ---------------------------------------------------------------------------------------------------------------
# Determinism: the env owns its randomness


DETERMINISM_CONFIGS = [
    pytest.param({"first_proposer": "coin_flip", "realization": "sampled", "realization_rounds": 3}, id="frontier"),
    pytest.param(
        {"first_proposer": "coin_flip", "realization": "sampled", "offer_space": "scheme", "game": "random:3x3:1"},
        id="scheme-random",
        marks=pytest.mark.slow,
    ),
    pytest.param(
        {
            "first_proposer": "coin_flip",
            "protocol": "fixed_role",
            "max_rounds": 4,
            "break_off": 0.3,
            "game": "split_pie",
        },
        id="fixed-role-pie",
        marks=pytest.mark.slow,
    ),
]
STEPS = 10_000


def aec_trajectory(kwargs: dict[str, Any], seed: int, steps: int = STEPS) -> list[tuple[Any, ...]]:
    """``steps`` AEC steps of random legal play over as many episodes as it takes (reset without a seed in between,
    so later episodes continue the env's own generator); the action sampler is seeded from the same seed."""
    environment = ib.env(**kwargs)
    environment.reset(seed=seed)
    rng = np.random.default_rng(seed)
    trajectory: list[tuple[Any, ...]] = []
    while len(trajectory) < steps:
        if not environment.agents:
            environment.reset()
        agent = environment.agent_selection
        observation, reward, terminated, truncated, _ = environment.last()
        action = None if terminated or truncated else legal_random_action(environment, agent, observation, rng)
        trajectory.append(
            (
                agent,
                observation["observation"].copy(),
                observation.get("action_mask"),
                reward,
                terminated,
                truncated,
                None if action is None else np.array(action, dtype=np.float64),
            )
        )
        environment.step(action)
    return trajectory


def parallel_trajectory(kwargs: dict[str, Any], seed: int, steps: int = STEPS) -> list[tuple[Any, ...]]:
    environment = ib.parallel_env(**kwargs)
    observations, infos = environment.reset(seed=seed)
    rng = np.random.default_rng(seed)
    trajectory: list[tuple[Any, ...]] = []
    while len(trajectory) < steps:
        if not environment.agents:
            observations, infos = environment.reset()
        actions = {
            agent: legal_random_action(environment, agent, observations[agent], rng)
            if infos[agent]["acting"]
            else passing(environment, agent)
            for agent in environment.agents
        }
        observations, rewards, terminations, truncations, infos = environment.step(actions)
        trajectory.append(
            (
                {agent: np.array(action, dtype=np.float64) for agent, action in actions.items()},
                {agent: observation["observation"].copy() for agent, observation in observations.items()},
                dict(rewards),
                dict(terminations),
                dict(truncations),
            )
        )
    return trajectory


def same(first: Any, second: Any) -> bool:
    if isinstance(first, dict):
        return (
            isinstance(second, dict) and first.keys() == second.keys() and all(same(first[k], second[k]) for k in first)
        )
    if isinstance(first, (tuple, list)):
        return len(first) == len(second) and all(same(a, b) for a, b in zip(first, second, strict=True))
    if isinstance(first, np.ndarray) or isinstance(second, np.ndarray):
        return bool(np.array_equal(first, second))
    return bool(first == second)


@pytest.mark.parametrize("kwargs", DETERMINISM_CONFIGS)
def test_aec_same_seed_same_trajectory(kwargs: dict[str, Any]) -> None:
    first, second = aec_trajectory(kwargs, 11), aec_trajectory(kwargs, 11)
    assert len(first) == STEPS
    assert same(first, second)
    other_seed = aec_trajectory(kwargs, 12, steps=500)
    assert not same(first[:500], other_seed)


@pytest.mark.slow
@pytest.mark.parametrize("kwargs", DETERMINISM_CONFIGS)
def test_parallel_same_seed_same_trajectory(kwargs: dict[str, Any]) -> None:
    first, second = parallel_trajectory(kwargs, 5), parallel_trajectory(kwargs, 5)
    assert same(first, second)
    assert not same(first[:500], parallel_trajectory(kwargs, 6, steps=500))


def test_the_env_draws_from_its_own_generator_only() -> None:
    """Nothing global is seeded or consumed: numpy's global generator is left as it was."""
    before = np.random.get_state()[1].copy()
    position = np.random.get_state()[2]
    trajectory = aec_trajectory({"first_proposer": "coin_flip", "realization": "sampled"}, 3, steps=300)
    assert len(trajectory) == 300
    after = np.random.get_state()
    assert np.array_equal(before, after[1]) and position == after[2]


def test_coin_flip_episodes_differ_within_one_seeded_run() -> None:
    """Resets without a seed continue the env's generator: successive coin flips are not all the same."""
    environment = ib.raw_env(first_proposer="coin_flip")
    environment.reset(seed=0)
    firsts = set()
    for _ in range(40):
        firsts.add(environment.infos["sender_0"]["first_proposer"])
        environment.reset()
    assert firsts == {"sender", "receiver"}


# ---------------------------------------------------------------------------------------------------------------
# Rewards belong to the agent they are reported for (the PettingZoo #1147 class of bug)


def test_last_gives_each_agent_its_own_reward_after_the_final_step() -> None:
    """Ultimatum, sender proposes the BP scheme, receiver accepts: the final step pays (2/3, 0) (docs/theory.md §5).
    The receiver acted last, yet ``last()`` must give the sender 2/3 and the receiver 0."""
    from infobargain.envs.offers import SchemeOffers

    environment = ib.env(protocol="ultimatum", offer_space="scheme")
    environment.reset(seed=0)
    encoding = environment.unwrapped.encoding
    assert isinstance(encoding, SchemeOffers)
    environment.step(encoding.encode(np.array([[0.5, 0.5], [0.0, 1.0]])))  # sender offers the BP scheme
    assert environment.agent_selection == "receiver_0"
    environment.step(np.ones(5))  # receiver accepts (decision entry >= 0)
    assert environment.rewards == pytest.approx({"sender_0": 2 / 3, "receiver_0": 0.0}, abs=1e-12)
    seen = {}
    for agent in environment.agent_iter():
        _, reward, terminated, _, _ = environment.last()
        assert terminated
        seen[agent] = reward
        environment.step(None)
    assert seen == pytest.approx({"sender_0": 2 / 3, "receiver_0": 0.0}, abs=1e-12)


def test_no_deal_pays_each_agent_its_own_disagreement_value() -> None:
    """Prosecutor (Kamenica–Gentzkow): 30 % guilty; without information the judge acquits, so d = (0, 0.7).
    The receiver rejects the ultimatum: the sender must get 0 and the receiver 0.7."""
    environment = ib.env(game="prosecutor", protocol="ultimatum")
    environment.reset(seed=0)
    environment.step(FIRST_OFFER)
    environment.step(1)  # REJECT
    seen = {}
    for agent in environment.agent_iter():
        _, reward, _, _, _ = environment.last()
        seen[agent] = reward
        environment.step(None)
    assert seen == pytest.approx({"sender_0": 0.0, "receiver_0": 0.7}, abs=1e-12)


@pytest.mark.parametrize("realization", REALIZATIONS)
@pytest.mark.parametrize("game", ["prosecutor", "random:3x3:4", "split_pie_bounded"])
def test_rewards_collected_through_last_add_up_to_the_reported_payoffs(realization: str, game: str) -> None:
    """Expected mode: the rewards sum to the payoffs in ``infos[agent]["outcome"]``; sampled mode: they average
    (over the realization rounds) to them. Random legal play, many episodes, each agent's own sum."""
    rounds = 4
    environment = ib.env(
        game=game, realization=realization, realization_rounds=rounds, first_proposer="coin_flip", **STRICT
    )
    rng = np.random.default_rng(0)
    for episode in range(60):
        environment.reset(seed=episode)
        totals = {agent: 0.0 for agent in environment.possible_agents}
        outcome = None
        for agent in environment.agent_iter():
            observation, reward, terminated, truncated, info = environment.last()
            totals[agent] += reward
            if terminated or truncated:
                outcome = info["outcome"]
                environment.step(None)
            else:
                environment.step(legal_random_action(environment, agent, observation, rng))
        assert outcome is not None
        scale = 1 if realization == "expected" else rounds
        assert totals["sender_0"] == pytest.approx(scale * outcome["payoffs"][0], abs=1e-12)
        assert totals["receiver_0"] == pytest.approx(scale * outcome["payoffs"][1], abs=1e-12)


def test_parallel_rewards_are_keyed_by_their_own_agent() -> None:
    environment = ib.parallel_env(game="prosecutor", protocol="ultimatum", **STRICT)
    environment.reset(seed=0)
    environment.step({"sender_0": FIRST_OFFER, "receiver_0": ACCEPT})
    _, rewards, terminations, truncations, infos = environment.step({"sender_0": ACCEPT, "receiver_0": 1})
    assert rewards == pytest.approx({"sender_0": 0.0, "receiver_0": 0.7}, abs=1e-12)
    assert terminations == {"sender_0": True, "receiver_0": True}
    assert truncations == {"sender_0": False, "receiver_0": False}
    assert infos["receiver_0"]["outcome"]["payoffs"] == pytest.approx([0.0, 0.7], abs=1e-12)
    assert environment.agents == []


# ---------------------------------------------------------------------------------------------------------------
# Ids and construction


def test_make_builds_the_aec_and_parallel_env() -> None:
    aec = infobargain.envs.make("infobargain/InformationBargaining-v1", protocol="ultimatum")
    assert isinstance(aec, AECEnv)
    assert isinstance(aec.unwrapped, ib.raw_env)
    assert aec.unwrapped.rules.protocol == "ultimatum"
    parallel = infobargain.envs.make("infobargain/InformationBargaining-v1", parallel=True, game="split_pie", **STRICT)
    assert isinstance(parallel, ParallelEnv)
    assert isinstance(parallel, ib.ParallelGame)
    parallel.reset(seed=0)
    assert parallel.agents == ["sender_0", "receiver_0"]


def test_module_follows_the_pettingzoo_convention() -> None:
    assert callable(ib.env) and callable(ib.parallel_env)
    assert issubclass(ib.raw_env, AECEnv)
    environment = ib.env()
    assert environment.possible_agents == ["sender_0", "receiver_0"]
    assert environment.metadata["name"] == "information_bargaining_v1"
    assert "Information Bargaining" in (ib.__doc__ or "")


def test_importing_infobargain_registers_the_ids() -> None:
    """In a fresh interpreter: ``import infobargain`` alone registers the Gymnasium ids."""
    code = (
        "import gymnasium\n"
        "assert 'infobargain/Sender-v1' not in gymnasium.registry\n"
        "import infobargain\n"
        "assert 'infobargain/Sender-v1' in gymnasium.registry\n"
        "assert 'infobargain/Receiver-v1' in gymnasium.registry\n"
        "from infobargain.envs.registration import PETTINGZOO_ENVS\n"
        "assert 'infobargain/InformationBargaining-v1' in PETTINGZOO_ENVS\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
