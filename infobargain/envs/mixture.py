"""One batch of games that mixes protocols and sizes: the vector env of a generalist.

A :class:`~infobargain.envs.vector.VectorBargainingEnv` plays one protocol on games of one size (its tables have
the size's shape; its masks and round logic are the protocol's). :class:`MixedVectorEnv` plays several such
*parts* side by side, one per (protocol variant, size), and shows them to the players as one batch: games
``0 .. n_0 - 1`` are part 0's, and so on, with every per-game array (observations, masks, whose turn it is, the
step's results) concatenated in that order. The players cannot tell the parts apart except by what they observe,
so every part must share one observation layout and one action space: the ``"menu"`` observation, whose size
does not depend on the game, carries the protocol in its ``protocol`` features, and a batch mixes protocols by
giving each part a fixed share of its games (``num_envs`` split as evenly as it goes).

**Protocol variants** are spelled ``NAME[:ROUNDS[:BREAK_OFF[:FIRST]]]`` (missing fields: the base env's), several
separated by commas; ``"paper"`` names the paper's three signaling protocols (:data:`PROTOCOL_SETS`). A mixed-size
game (``"random:2-4x2-4"``, :class:`~infobargain.game.distributions.RandomSizes`) gives one part per size.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from infobargain.envs.information_bargaining_v1 import raw_env
from infobargain.envs.observations import ObservationLayout
from infobargain.envs.vector import StepResult, VectorBargainingEnv
from infobargain.game.config import ENV_DEFAULTS
from infobargain.game.distributions import RandomSizes, resolve_game
from infobargain.game.protocol import FIRST_PROPOSERS, PROTOCOLS

PROTOCOL_SETS: dict[str, str] = {"paper": "ultimatum:1:0:coin_flip,fixed_role:5:0:sender,alternating:10:0.1:coin_flip"}
"""Named sets of protocol variants: the paper's grid (an ultimatum, five sender offers, ten alternating offers with
a 0.1 break-off chance; both first proposers where the paper plays both)."""
PART_STRIDE = 1_000_033
"""Part ``i`` of a batch reset with seed ``s`` is seeded ``s * PART_STRIDE + i``: one integer per part, distinct
for every part count below the stride (held-out streams are seeded by pairs, so no part draws from them)."""


def part_seed(seed: int, index: int) -> int:
    """The seed of part ``index`` of a batch seeded by ``seed`` (see :data:`PART_STRIDE`)."""
    return (seed * PART_STRIDE + index) % 2**63


def protocol_variants(spelled: str) -> list[dict[str, Any]]:
    """The env arguments each variant of ``spelled`` (the module docstring) sets; ``ValueError`` naming the bad
    variant."""
    spelled = PROTOCOL_SETS.get(spelled.strip(), spelled)
    variants: list[dict[str, Any]] = []
    for variant in (part.strip() for part in spelled.split(",")):
        fields = variant.split(":")
        if not variant or fields[0] not in PROTOCOLS or len(fields) > 4:
            raise ValueError(
                f"protocols: {variant!r} is not NAME[:ROUNDS[:BREAK_OFF[:FIRST]]] with NAME one of {PROTOCOLS} (or a "
                f"named set: {', '.join(PROTOCOL_SETS)})"
            )
        chosen: dict[str, Any] = {"protocol": fields[0]}
        try:
            if len(fields) > 1:
                chosen["max_rounds"] = int(fields[1])
            if len(fields) > 2:
                chosen["break_off"] = float(fields[2])
        except ValueError:
            raise ValueError(f"protocols: {variant!r}: ROUNDS is a whole number and BREAK_OFF a number") from None
        if len(fields) > 3:
            if fields[3] not in FIRST_PROPOSERS:
                raise ValueError(f"protocols: {variant!r}: FIRST must be one of {FIRST_PROPOSERS}")
            chosen["first_proposer"] = fields[3]
        variants.append(chosen)
    return variants


def variant_label(kwargs: Mapping[str, Any]) -> str:
    """``"alternating, 10 rounds, break-off 0.1, coin_flip first"``: a part's protocol, for messages and reports."""
    full = {**ENV_DEFAULTS.kwargs(), **kwargs}
    first = f"{full['first_proposer']} first"
    if full["protocol"] == "ultimatum":
        return f"ultimatum, {first}"
    text = f"{full['protocol']}, {full['max_rounds']} rounds"
    return f"{text}, break-off {full['break_off']:g}, {first}" if full["break_off"] else f"{text}, {first}"


def mixture_parts(env_kwargs: Mapping[str, Any], protocols: str = "") -> list[dict[str, Any]]:
    """The env arguments of each part: every protocol variant of ``protocols`` (none: the base env's own protocol)
    times every size of a mixed-size game (other games: the game itself)."""
    variants = protocol_variants(protocols) if protocols else [{}]
    source = resolve_game(env_kwargs.get("game"))
    games: Sequence[Any] = source.members if isinstance(source, RandomSizes) else [env_kwargs.get("game")]
    return [{**env_kwargs, **variant, "game": game} for variant in variants for game in games]


def part_label(kwargs: Mapping[str, Any]) -> str:
    game = kwargs.get("game")
    return f"{variant_label(kwargs)} on {getattr(game, 'name', game)}"


def check_agreement(labels: Sequence[str], layouts: Sequence[ObservationLayout], actions: Sequence[int]) -> None:
    """Refuse, in one line naming both, two parts whose players would see differently laid out observations or
    have different actions (one player pair plays every part)."""
    for label, layout, count in zip(labels, layouts, actions, strict=True):
        if layout.slices != layouts[0].slices or count != actions[0]:
            raise ValueError(
                f"mixture: {labels[0]} and {label} disagree on what the players see ({layouts[0].size} and "
                f"{layout.size} observation entries, {actions[0]} and {count} actions); one player pair needs one "
                "layout: observation='menu' (protocol and round as features), offer_space='frontier', one grid_size"
            )


def check_mixture(env_kwargs: Mapping[str, Any], protocols: str = "") -> list[dict[str, Any]]:
    """The parts of a mixture, checked without building their batches: each part's env (one instance of each
    size) and their agreement (:func:`check_agreement`)."""
    parts = mixture_parts(env_kwargs, protocols)
    envs = [raw_env(**kwargs) for kwargs in parts]
    check_agreement(
        [part_label(kwargs) for kwargs in parts],
        [env.observation_layout for env in envs],
        [int(cast(Any, env.action_space("sender_0")).n) if env.encoding.name != "scheme" else -1 for env in envs],
    )
    return parts


class MixedVectorEnv:
    """Games of several protocols and sizes in one batch (the module docstring); the interface the self-play
    trainers use of :class:`~infobargain.envs.vector.VectorBargainingEnv`, per game."""

    discrete = True

    def __init__(
        self,
        num_envs: int,
        parts: Sequence[Mapping[str, Any]],
        *,
        autoreset: bool = True,
        seed: int | None = None,
    ) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < len(parts):
            raise ValueError(f"num_envs: needs at least one game per part ({len(parts)} parts), got {num_envs!r}")
        counts = [num_envs // len(parts) + (i < num_envs % len(parts)) for i in range(len(parts))]
        self.labels = [part_label(kwargs) for kwargs in parts]
        self.parts = [
            VectorBargainingEnv(count, autoreset=autoreset, **kwargs)
            for count, kwargs in zip(counts, parts, strict=True)
        ]
        check_agreement(self.labels, [part.layout for part in self.parts], [part.n_actions for part in self.parts])
        first = self.parts[0]  # every part shows the same layout and actions (checked)
        self.num_envs = num_envs
        self.layout = first.layout
        self.observation_size = first.observation_size
        self.n_actions = first.n_actions
        self.bounds = np.cumsum([0, *counts])
        """Part ``i`` holds games ``bounds[i]`` to ``bounds[i + 1] - 1``."""
        self.reset(seed)

    def _split(self, values: NDArray[Any] | None) -> list[NDArray[Any] | None]:
        return [None] * len(self.parts) if values is None else [*self._pieces(values)]

    def _pieces(self, values: NDArray[Any]) -> list[NDArray[Any]]:
        array = np.asarray(values)
        return [array[self.bounds[i] : self.bounds[i + 1]] for i in range(len(self.parts))]

    def _joined(self, name: str) -> NDArray[Any]:
        return np.concatenate([getattr(part, name) for part in self.parts])

    def reset(
        self,
        seed: int | None = None,
        start_rounds: NDArray[np.intp] | None = None,
        start_offers: NDArray[Any] | None = None,
        with_offer: NDArray[np.bool_] | None = None,
    ) -> None:
        """:meth:`VectorBargainingEnv.reset` of every part, on its games' share of the arrays (part ``i`` seeded
        as :data:`PART_STRIDE` says)."""
        pieces = zip(self._split(start_rounds), self._split(start_offers), self._split(with_offer), strict=True)
        for index, (part, (rounds, offers, chosen)) in enumerate(zip(self.parts, pieces, strict=True)):
            part.reset(None if seed is None else part_seed(seed, index), rounds, offers, chosen)

    def step(self, actions: NDArray[Any]) -> StepResult:
        results = [part.step(chunk) for part, chunk in zip(self.parts, self._pieces(actions), strict=True)]
        return StepResult(
            *(np.concatenate([getattr(result, name) for result in results]) for name in StepResult.__dataclass_fields__)
        )

    def branch(self, seed: int) -> MixedVectorEnv:
        """:meth:`VectorBargainingEnv.branch` of every part (part ``i`` seeded as :data:`PART_STRIDE` says)."""
        child = copy.copy(self)
        child.parts = [part.branch(part_seed(seed, index)) for index, part in enumerate(self.parts)]
        return child

    def observe(self, role: int) -> NDArray[np.float64]:
        return np.concatenate([part.observe(role) for part in self.parts])

    def action_masks(self) -> NDArray[np.bool_]:
        return np.concatenate([part.action_masks() for part in self.parts])

    @property
    def realization(self) -> str:
        return self.parts[0].realization  # every part shares the base env's realization mode

    @property
    def acting(self) -> NDArray[np.intp]:
        return self._joined("acting")

    @property
    def finished(self) -> NDArray[np.bool_]:
        return self._joined("finished")

    @property
    def start_round(self) -> NDArray[np.intp]:
        return self._joined("start_round")

    @property
    def breakdown_value(self) -> NDArray[np.float64]:
        return self._joined("breakdown_value")

    @property
    def round_unit(self) -> NDArray[np.float64]:
        return self._joined("round_unit")

    @property
    def last_round(self) -> NDArray[np.intp]:
        """Each game's last round (its protocol's)."""
        return np.concatenate([np.full(part.num_envs, part.rules.rounds - 1) for part in self.parts])

    def static_rows(self) -> NDArray[np.float64]:
        """``[games, observation]``: every game's part of the observation that describes its game."""
        return np.concatenate([part.static_rows() for part in self.parts])

    def close(self) -> None:
        for part in self.parts:
            part.close()


def make_vector_env(
    num_envs: int,
    env_kwargs: Mapping[str, Any],
    *,
    protocols: str = "",
    autoreset: bool = True,
    seed: int | None = None,
) -> VectorBargainingEnv | MixedVectorEnv:
    """The vector env of ``env_kwargs``: one :class:`VectorBargainingEnv`, or a :class:`MixedVectorEnv` when
    ``protocols`` names variants or the game mixes sizes."""
    parts = mixture_parts(env_kwargs, protocols)
    if len(parts) == 1 and not protocols:
        return VectorBargainingEnv(num_envs, autoreset=autoreset, seed=seed, **env_kwargs)
    return MixedVectorEnv(num_envs, parts, autoreset=autoreset, seed=seed)
