"""Every env reads actions the same way (``infobargain.envs.actions``).

The AEC env (``raw_env`` and ``env()``, also under ``illegal_action="disagree"``), the Parallel env and the
vector env accept the same types of action (Python, NumPy and PyTorch numbers, scalars and arrays of the right
shape) with the same outcome, and refuse the rest with the env's own ``ActionError``: fractions, complex numbers,
strings, booleans, masked arrays, wrong shapes, one action broadcast to a whole batch, unknown agent keys,
``step(None)`` in the Parallel form, and start offers that are not offers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from infobargain.envs import information_bargaining_v1 as ib
from infobargain.envs.actions import ActionError
from infobargain.envs.offers import ACCEPT, FIRST_OFFER
from infobargain.envs.vector import VectorBargainingEnv

GAMES = 4
OFFER = FIRST_OFFER + 1  # offer index 1

SCALARS: dict[str, Callable[[], Any]] = {
    "int": lambda: OFFER,
    "numpy-int": lambda: np.int64(OFFER),
    "numpy-0d": lambda: np.array(OFFER),
    "whole-float": lambda: float(OFFER),
    "numpy-float32": lambda: np.float32(OFFER),
    "torch-0d": lambda: torch.tensor(OFFER),
    "torch-0d-float": lambda: torch.tensor(float(OFFER)),
}
BATCHES: dict[str, Callable[[], Any]] = {
    "list": lambda: [OFFER] * GAMES,
    "numpy-int": lambda: np.full(GAMES, OFFER),
    "numpy-uint8": lambda: np.full(GAMES, OFFER, dtype=np.uint8),
    "whole-float": lambda: np.full(GAMES, float(OFFER)),
    "torch": lambda: torch.full((GAMES,), OFFER),
}
MALFORMED_SCALARS: dict[str, Callable[[], Any]] = {
    "list": lambda: [OFFER],
    "tuple": lambda: (OFFER,),
    "numpy-1": lambda: np.array([OFFER]),
    "torch-1": lambda: torch.tensor([OFFER]),
    "complex": lambda: complex(OFFER, 0),
    "numpy-complex": lambda: np.complex128(OFFER),
    "string": lambda: str(OFFER),
    "bool": lambda: True,
    "masked": lambda: np.ma.masked_array(OFFER, mask=False),
    "object": lambda: object(),
}
UNPLAYABLE_SCALARS: dict[str, Callable[[], Any]] = {
    "fraction": lambda: OFFER + 0.9,
    "numpy-fraction": lambda: np.float64(OFFER + 0.9),
    "torch-fraction": lambda: torch.tensor(OFFER + 0.9),
    "nan": lambda: float("nan"),
    "too-large": lambda: 99,
    "none": lambda: None,
}


def played_offer(environment: Any) -> int | None:
    pending = environment.unwrapped.view.pending
    return None if pending is None else pending.index


# ---------------------------------------------------------------------------------------------------------------
# Accepted: the same offer, whatever its type


@pytest.mark.parametrize("make", SCALARS.values(), ids=SCALARS.keys())
@pytest.mark.parametrize("form", ["raw_env", "env", "disagree", "parallel"])
def test_every_scalar_form_plays_the_same_offer(form: str, make: Callable[[], Any]) -> None:
    if form == "parallel":
        parallel = ib.parallel_env()
        parallel.reset(seed=0)
        parallel.step({"sender_0": make(), "receiver_0": ACCEPT})
        assert played_offer(parallel) == OFFER - FIRST_OFFER
        return
    environment = {
        "raw_env": ib.raw_env,
        "env": ib.env,
        "disagree": lambda: ib.env(illegal_action="disagree"),
    }[form]()
    environment.reset(seed=0)
    environment.step(make())
    assert played_offer(environment) == OFFER - FIRST_OFFER
    assert not any(environment.terminations.values())  # nobody walked away


@pytest.mark.parametrize("make", BATCHES.values(), ids=BATCHES.keys())
def test_every_batch_form_plays_the_same_offers(make: Callable[[], Any]) -> None:
    envs = VectorBargainingEnv(GAMES, seed=0)
    envs.step(make())
    assert envs.pending.all() and (envs.pending_index == OFFER - FIRST_OFFER).all()


def test_a_scalar_action_of_a_one_game_batch_is_refused_but_its_array_is_played() -> None:
    envs = VectorBargainingEnv(1, seed=0)
    with pytest.raises(ActionError, match=r"actions sent an array of shape \(\), expected numbers of shape \(1,\)"):
        envs.step(OFFER)
    envs.step(np.array([OFFER]))
    assert envs.pending_index[0] == OFFER - FIRST_OFFER


# ---------------------------------------------------------------------------------------------------------------
# Refused: malformed actions raise in every env, also where illegal actions walk away


@pytest.mark.parametrize("make", MALFORMED_SCALARS.values(), ids=MALFORMED_SCALARS.keys())
@pytest.mark.parametrize("form", ["raw_env", "disagree", "parallel", "parallel-disagree"])
def test_malformed_discrete_actions_raise_everywhere(form: str, make: Callable[[], Any]) -> None:
    if form.startswith("parallel"):
        parallel = ib.parallel_env(illegal_action="disagree" if form.endswith("disagree") else "raise")
        parallel.reset(seed=0)
        with pytest.raises(ActionError, match=r"^action: sender_0 sent ") as raised:
            parallel.step({"sender_0": make(), "receiver_0": ACCEPT})
        assert raised.value.malformed
        assert parallel.agents == ["sender_0", "receiver_0"] and played_offer(parallel) is None
        return
    environment = ib.raw_env() if form == "raw_env" else ib.env(illegal_action="disagree")
    environment.reset(seed=0)
    with pytest.raises(ActionError, match=r"^action: sender_0 sent ") as raised:
        environment.step(make())
    assert raised.value.malformed
    assert not any(environment.terminations.values()) and played_offer(environment) is None
    environment.step(OFFER)  # nothing was played: the env is still usable
    assert played_offer(environment) == OFFER - FIRST_OFFER


@pytest.mark.parametrize("make", UNPLAYABLE_SCALARS.values(), ids=UNPLAYABLE_SCALARS.keys())
def test_unplayable_discrete_actions_raise_or_walk_away_alike(make: Callable[[], Any]) -> None:
    environment = ib.raw_env()
    environment.reset(seed=0)
    with pytest.raises(ActionError, match=r"^action: sender_0 sent ") as raised:
        environment.step(make())
    assert not raised.value.malformed
    disagreeing = ib.env(illegal_action="disagree")
    disagreeing.reset(seed=0)
    disagreeing.step(make())
    assert all(disagreeing.terminations.values()) and disagreeing.infos["sender_0"]["illegal_action"]


def test_a_fraction_is_named() -> None:
    environment = ib.raw_env(grid_size=11)  # 11 offers per frontier and the two responses: Discrete(13)
    environment.reset(seed=0)
    with pytest.raises(ActionError, match=r"sent 3.9, outside the action space Discrete\(13\) \(not a whole number\)"):
        environment.step(3.9)


SCHEME_MALFORMED: dict[str, Callable[[tuple[int, ...]], Any]] = {
    "complex": lambda shape: np.full(shape, 0.5 + 0.5j),
    "strings": lambda shape: np.full(shape, "0.5"),
    "string-list": lambda shape: np.full(shape, "0.5").tolist(),
    "masked": lambda shape: np.ma.masked_array(np.zeros(shape), mask=False),
    "booleans": lambda shape: np.ones(shape, dtype=bool),
}


@pytest.mark.parametrize("make", SCHEME_MALFORMED.values(), ids=SCHEME_MALFORMED.keys())
def test_scheme_actions_of_other_types_are_refused(make: Callable[[tuple[int, ...]], Any]) -> None:
    environment = ib.raw_env(offer_space="scheme")
    environment.reset(seed=0)
    with pytest.raises(ActionError, match=r"^action: sender_0 sent ") as raised:
        environment.step(make(environment.action_space("sender_0").shape))
    assert raised.value.malformed and played_offer(environment) is None
    envs = VectorBargainingEnv(GAMES, seed=0, offer_space="scheme")
    with pytest.raises(ActionError, match=r"^actions sent "):
        envs.step(make((GAMES, envs.n_actions)))
    assert not envs.pending.any()


@pytest.mark.parametrize("form", ["raw_env", "vector"])
def test_scheme_actions_as_torch_tensors_are_played(form: str) -> None:
    if form == "vector":
        envs = VectorBargainingEnv(GAMES, seed=0, offer_space="scheme")
        envs.step(torch.zeros((GAMES, envs.n_actions)))
        assert envs.pending.all()
        return
    environment = ib.raw_env(offer_space="scheme")
    environment.reset(seed=0)
    environment.step(torch.zeros(environment.action_space("sender_0").shape))
    assert environment.view.pending is not None


# ---------------------------------------------------------------------------------------------------------------
# The vector env: one action per game, checked as the AEC env checks one


VECTOR_REFUSED: dict[str, tuple[Callable[[], Any], str]] = {
    "fraction": (lambda: np.full(GAMES, OFFER + 0.9), r"illegal action 3.9 in game 0 \(not an action of Discrete"),
    "scalar-broadcast": (lambda: OFFER, r"actions sent an array of shape \(\), expected numbers of shape \(4,\)"),
    "one-for-all": (lambda: np.array([OFFER]), r"actions sent an array of shape \(1,\)"),
    "column": (lambda: np.full((GAMES, 1), OFFER), r"actions sent an array of shape \(4, 1\)"),
    "too-short": (lambda: np.full(GAMES - 1, OFFER), r"actions sent an array of shape \(3,\)"),
    "strings": (lambda: np.full(GAMES, str(OFFER)), r"actions sent values of type <U1"),
    "complex": (lambda: np.full(GAMES, OFFER + 0j), r"actions sent complex numbers"),
    "booleans": (lambda: np.ones(GAMES, dtype=bool), r"actions sent booleans"),
    "masked": (lambda: np.ma.masked_array(np.full(GAMES, OFFER), mask=False), r"actions sent a masked array"),
    "none": (lambda: None, r"actions sent None"),
    "nan": (lambda: np.full(GAMES, np.nan), r"illegal action nan in game 0"),
    "negative": (lambda: np.full(GAMES, -1), r"illegal action -1 in game 0"),
}


@pytest.mark.parametrize("make, message", VECTOR_REFUSED.values(), ids=VECTOR_REFUSED.keys())
def test_the_vector_env_refuses_what_the_aec_env_refuses(make: Callable[[], Any], message: str) -> None:
    envs = VectorBargainingEnv(GAMES, seed=0)
    with pytest.raises(ActionError, match=message):
        envs.step(make())
    assert not envs.pending.any()  # nothing was played
    envs.step(np.full(GAMES, OFFER))
    assert envs.pending.all()


@pytest.mark.parametrize("offer", [999, np.nan, 0, 1, 2.9, -1], ids=["999", "nan", "accept", "reject", "2.9", "-1"])
def test_start_offers_that_are_not_offers_are_refused(offer: float) -> None:
    envs = VectorBargainingEnv(GAMES, seed=0, protocol="alternating")
    with pytest.raises(ActionError, match=r"start_offers: .* in game 0 is not an offer"):
        envs.reset(seed=1, start_rounds=np.ones(GAMES, dtype=np.intp), start_offers=np.full(GAMES, offer))


def test_start_offers_of_games_without_one_are_not_read() -> None:
    envs = VectorBargainingEnv(GAMES, seed=0, protocol="alternating")
    offers = np.array([OFFER, 999, OFFER, np.nan])
    with_offer = np.array([True, False, True, False])
    envs.reset(seed=1, start_rounds=np.ones(GAMES, dtype=np.intp), start_offers=offers, with_offer=with_offer)
    assert (envs.pending == with_offer).all() and (envs.pending_index[with_offer] == OFFER - FIRST_OFFER).all()


def test_start_offers_outside_the_scheme_box_are_refused() -> None:
    envs = VectorBargainingEnv(GAMES, seed=0, offer_space="scheme")
    offers = np.zeros((GAMES, envs.n_actions))
    offers[2, 1] = np.nan
    with pytest.raises(ActionError, match=r"start_offers: NaN or infinity"):
        envs.reset(seed=1, start_offers=offers)


# ---------------------------------------------------------------------------------------------------------------
# The Parallel env: a dict with one action per live agent


@pytest.mark.parametrize("illegal_action", ["raise", "disagree"])
@pytest.mark.parametrize(
    "actions, message",
    [
        (None, r"actions: expected a dict of one action per live agent \(sender_0, receiver_0\), got NoneType"),
        ([OFFER, ACCEPT], r"actions: expected a dict .* got list"),
        ({"sender_0": OFFER}, r"actions: missing an action for receiver_0"),
        (
            {"sender_0": OFFER, "receiver_0": ACCEPT, "receiver_1": ACCEPT},
            r"actions: 'receiver_1' is not a live agent \(live: sender_0, receiver_0\)",
        ),
    ],
    ids=["none", "list", "missing", "unknown-key"],
)
def test_the_parallel_env_refuses_malformed_action_dicts(illegal_action: str, actions: Any, message: str) -> None:
    parallel = ib.parallel_env(illegal_action=illegal_action)
    parallel.reset(seed=0)
    with pytest.raises(ActionError, match=message):
        parallel.step(actions)
    assert parallel.agents == ["sender_0", "receiver_0"] and played_offer(parallel) is None


@pytest.mark.parametrize("with_offer", [[True, False], np.ones(GAMES), "yes"], ids=["short", "floats", "string"])
def test_with_offer_needs_one_boolean_per_game(with_offer: Any) -> None:
    envs = VectorBargainingEnv(GAMES, seed=0, protocol="alternating")
    with pytest.raises(ValueError, match=r"with_offer: need 4 booleans \(one per game\)"):
        envs.reset(
            seed=1,
            start_rounds=np.ones(GAMES, dtype=np.intp),
            start_offers=np.full(GAMES, OFFER),
            with_offer=with_offer,
        )
