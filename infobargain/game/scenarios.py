"""Named games: the paper's signaling scenarios, Kamenica–Gentzkow's prosecutor, the pies, random instances.

``scenario("grading_students")`` returns a fresh :class:`Instance`; ``scenario("split_pie")`` a
:class:`SplitPie`; ``scenario("random:3x4:7")`` a random 3-state, 4-action instance with seed 7.
"""

from __future__ import annotations

from collections.abc import Callable

from infobargain.game.instance import Instance, InstanceError, random_instance
from infobargain.game.pie import SplitPie, split_pie, split_pie_bounded

Game = Instance | SplitPie

# The paper's worked instance (docs/theory.md §5): weak/bad state with prior 2/3, excellent/good with 1/3;
# the sender wants action 1 always; the receiver wants it only in the good state.
_PAPER_PRIOR = [2 / 3, 1 / 3]
_PAPER_SENDER = [[0.0, 1.0], [0.0, 1.0]]
_PAPER_RECEIVER = [[0.0, -1.0], [0.0, 1.0]]


def _paper(name: str, states: list[str], actions: list[str]) -> Callable[[], Instance]:
    def build() -> Instance:
        return Instance(_PAPER_PRIOR, _PAPER_SENDER, _PAPER_RECEIVER, states=states, actions=actions, name=name)

    build.__doc__ = f"The paper's instance labelled as '{name}'."
    return build


def prosecutor() -> Instance:
    """Kamenica & Gentzkow (2011): a prosecutor persuades a judge; 30 % of defendants are guilty."""
    return Instance(
        [0.3, 0.7],
        [[0.0, 1.0], [0.0, 1.0]],
        [[0.0, 1.0], [1.0, 0.0]],
        states=["guilty", "innocent"],
        actions=["acquit", "convict"],
        name="prosecutor",
    )


SCENARIOS: dict[str, Callable[[], Game]] = {
    "grading_students": _paper("grading_students", ["weak", "excellent"], ["no_hire", "hire"]),
    "selling_products": _paper("selling_products", ["bad", "good"], ["no_buy", "buy"]),
    "pure_math": _paper("pure_math", ["s0", "s1"], ["a0", "a1"]),
    "prosecutor": prosecutor,
    "split_pie": split_pie,
    "split_pie_bounded": split_pie_bounded,
}

PAPER_SCENARIOS = ("pure_math", "grading_students", "selling_products")


def scenario_names() -> list[str]:
    return [*SCENARIOS, "random:SxA:SEED"]


def scenario(name: str) -> Game:
    """Build the named game. ``random:SxA:SEED`` (e.g. ``random:3x3:0``) draws a seeded random instance."""
    if name == "random" or name.startswith("random:"):
        return _random_scenario(name)
    try:
        return SCENARIOS[name]()
    except KeyError:
        raise InstanceError(f"scenario: unknown name {name!r} (known: {', '.join(scenario_names())})") from None


def _random_scenario(name: str) -> Instance:
    parts = name.split(":")
    try:
        n_states, n_actions = (int(n) for n in parts[1].lower().split("x"))
        seed = int(parts[2]) if len(parts) > 2 else None
        if len(parts) > 3 or n_states < 1 or n_actions < 1 or (seed is not None and seed < 0):
            raise ValueError
    except (ValueError, IndexError):
        raise InstanceError(f"scenario: {name!r} is not of the form random:SxA:SEED (e.g. random:3x3:0)") from None
    if seed is None:
        raise InstanceError(
            f"scenario: {name!r} names a distribution (a fresh random instance every episode), which an env or a "
            f"training run plays; name one instance with {name}:SEED (e.g. {name}:0)"
        )
    return random_instance(n_states, n_actions, seed, name=name)
