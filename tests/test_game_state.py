"""The game core: the bargaining rules as one state machine, and the one indifference rule.

Expected values are computed by hand from the rules in docs/theory.md §3 on a toy offer table.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from infobargain.envs import information_bargaining_v1 as ib
from infobargain.game.protocol import Protocol
from infobargain.game.state import (
    ACCEPT,
    ACCEPT_OR_COUNTER,
    ACCEPT_OR_REJECT,
    BREAK_DOWN,
    CHANCE,
    CONTINUE,
    FIRST_OFFER,
    NO_MOVES,
    PROPOSE,
    REJECT,
    TERMINAL,
    TOLERANCE,
    IllegalActionError,
    Offer,
    OfferTable,
    State,
    at_least,
    at_least_each,
    bank_breakdown,
    in_round_units,
    rejection_value,
    round_unit,
    settle,
)
from infobargain.theory.problem import bargaining_problem
from infobargain.theory.spe import rejection_value as spe_rejection_value

D = np.array([0.1, 0.2])


def table() -> OfferTable:
    """Two offers per proposer: index 0 pays (0.3, 0.5), index 1 pays (0.6, 0.25) (sender's) and mirrored."""
    return OfferTable(
        {
            "sender": [Offer("sender", np.array([0.3, 0.5]), index=0), Offer("sender", np.array([0.6, 0.25]), index=1)],
            "receiver": [
                Offer("receiver", np.array([0.25, 0.6]), index=0),
                Offer("receiver", np.array([0.5, 0.3]), index=1),
            ],
        }
    )


def start(protocol: str = "alternating", rounds: int = 3, p: float = 0.25, delta: float = 0.5) -> State:
    return State(Protocol(protocol, "sender", rounds, p, delta), table(), D, "sender")


def test_proposer_responder_and_legal_actions() -> None:
    state = start()
    assert state.current_player() == "sender" and not state.responding
    assert state.legal_actions() == state.legal_actions(2) == [FIRST_OFFER, FIRST_OFFER + 1]
    state.apply_action(FIRST_OFFER + 1)
    assert state.current_player() == "receiver" and state.responding
    assert state.legal_actions(2) == [ACCEPT, FIRST_OFFER, FIRST_OFFER + 1]  # alternating: rejecting is countering


def test_accepting_pays_the_offer_discounted_by_round() -> None:
    state = start()
    state.apply_action(FIRST_OFFER)
    state.apply_action(FIRST_OFFER + 1)  # the receiver counters with its offer 1: (0.5, 0.3)
    assert state.current_player() == CHANCE
    assert state.chance_outcomes() == [(BREAK_DOWN, 0.25), (CONTINUE, 0.75)]
    state.apply_action(CONTINUE)
    assert (state.round, state.proposer, state.current_player()) == (1, "receiver", "sender")
    assert state.pending is not None and state.pending.payoffs.tolist() == [0.5, 0.3]
    state.apply_action(ACCEPT)
    assert state.current_player() == TERMINAL and state.end_round == 1
    np.testing.assert_allclose(state.returns(), [0.25, 0.15])  # 0.5 · (0.5, 0.3)


def test_break_down_pays_the_discounted_disagreement_point() -> None:
    state = start()
    state.apply_action(FIRST_OFFER)
    state.apply_action(FIRST_OFFER)
    state.apply_action(CONTINUE)
    state.apply_action(FIRST_OFFER)  # round 1: the sender counters the receiver's offer
    np.testing.assert_allclose(state.breakdown_returns(), [0.05, 0.1])  # 0.5¹ · d
    broken = state.clone()
    broken.apply_chance(BREAK_DOWN)
    np.testing.assert_allclose(broken.returns(), state.breakdown_returns())
    assert state.is_chance_node() and broken.deal is None and broken.end_round == 1


def test_rejection_in_the_last_round_is_the_deadline() -> None:
    state = start(rounds=2)
    state.apply_action(FIRST_OFFER)
    state.apply_action(FIRST_OFFER)
    state.apply_action(CONTINUE)
    assert state.last_round and not state.can_counter
    assert state.legal_actions(2) == [ACCEPT, REJECT]
    state.apply_action(REJECT)
    assert state.is_terminal() and state.deal is None
    np.testing.assert_allclose(state.returns(), 0.5 * D)


def test_fixed_role_rejection_opens_a_fresh_round_with_the_same_proposer() -> None:
    state = start("fixed_role")
    state.apply_action(FIRST_OFFER)
    assert state.legal_actions(2) == [ACCEPT, REJECT]
    state.apply_action(REJECT)
    state.apply_action(CONTINUE)
    assert (state.round, state.proposer, state.pending) == (1, "sender", None)


def test_ultimatum_has_one_round() -> None:
    state = start("ultimatum")
    state.apply_action(FIRST_OFFER + 1)
    state.apply_action(REJECT)
    assert state.is_terminal()
    np.testing.assert_allclose(state.returns(), D)


def test_clone_is_independent() -> None:
    state = start()
    state.apply_action(FIRST_OFFER)
    copy = state.clone()
    copy.apply_action(ACCEPT)
    assert copy.is_terminal() and not state.is_terminal() and state.responding
    assert copy.key() != state.key()


def test_expected_value_over_chance_matches_the_rejection_value() -> None:
    """Walking the tree of 'always counter with offer 1, accept in round 1' by hand: C_0 = p·d + (1−p)·δ·V_1."""
    state = start()
    state.apply_action(FIRST_OFFER)
    state.apply_action(FIRST_OFFER + 1)
    total = np.zeros(2)
    for outcome, probability in state.chance_outcomes():
        child = state.clone()
        child.apply_chance(outcome)
        if not child.is_terminal():
            child.apply_action(ACCEPT)
        total += probability * child.returns()
    following = np.array([0.5, 0.3])  # V_1 in round-1 units: the counter-offer accepted
    expected = rejection_value(D, state.protocol, following)
    np.testing.assert_allclose(total, expected)
    np.testing.assert_allclose(expected, 0.25 * D + 0.75 * 0.5 * following)


def test_rejection_value_is_the_theory_layers() -> None:
    problem = bargaining_problem(ib.raw_env().game)
    protocol = Protocol("alternating", "sender", 10, 0.1, 0.9)
    following = np.array([0.4, 0.3])
    np.testing.assert_array_equal(
        spe_rejection_value(problem, protocol, following), rejection_value(problem.d, protocol, following)
    )
    np.testing.assert_array_equal(spe_rejection_value(problem, protocol, None), problem.d)


@pytest.mark.parametrize(
    "value, threshold, accepted",
    [
        (0.5, 0.5, True),
        (0.5 - 0.5 * TOLERANCE, 0.5, True),  # rounding below the threshold: indifferent, accepts
        (0.5 - 2 * TOLERANCE, 0.5, False),
        (1e6 - 0.5e6 * TOLERANCE, 1e6, True),  # relative to |threshold| when it exceeds 1
        (1e6 - 2e6 * TOLERANCE, 1e6, False),
        (-1e9, -np.inf, True),
        (1e9, np.inf, False),
    ],
)
def test_one_indifference_rule(value: float, threshold: float, accepted: bool) -> None:
    assert at_least(value, threshold) is accepted


def test_chance_and_returns_refuse_the_wrong_node() -> None:
    state = start()
    with pytest.raises(ValueError, match="not a chance node"):
        state.chance_outcomes()
    with pytest.raises(ValueError, match="not over"):
        state.returns()
    with pytest.raises(ValueError, match="draw a coin flip first"):
        State(Protocol(), table(), D, "coin_flip")  # type: ignore[arg-type]


@pytest.mark.parametrize("protocol", ["ultimatum", "fixed_role", "alternating"])
def test_the_env_plays_the_core(protocol: str) -> None:
    """Every env step leaves the env's public view equal to a core state driven by the same actions."""
    environment = ib.raw_env(protocol=protocol, max_rounds=4, break_off=0.0, grid_size=5)
    environment.reset(seed=3)
    view = environment.view
    mirror = State(view.rules, view.encoding, view.problem.d, view.first)  # type: ignore[arg-type]
    rng = np.random.default_rng(0)
    while view.phase == "bargaining":
        agent = environment.agent_selection
        mask = environment.observe(agent)["action_mask"]
        assert np.flatnonzero(mask).tolist() == mirror.legal_actions()
        action = int(rng.choice(np.flatnonzero(mask)))
        environment.step(action)
        mirror.apply_action(action)
        if mirror.is_chance_node():
            mirror.apply_chance(CONTINUE)  # break_off 0: the env always continues
        assert view.state.key() == mirror.key()
    np.testing.assert_allclose(environment.payoffs, mirror.returns())


def test_one_source_for_env_defaults() -> None:
    """raw_env's signature, the CLI flags and the run configs take their defaults from game.config."""
    import inspect

    from infobargain.cli.arguments import Parser, add_env_arguments, add_game_arguments
    from infobargain.game.config import ENV_DEFAULTS, ENV_PARAMETERS
    from infobargain.training.config import RUN_ENV_DEFAULTS as RUN_ENV
    from infobargain.training.config import TRAINING_ENV_OVERRIDES

    signature = inspect.signature(ib.raw_env)
    assert {name: signature.parameters[name].default for name in ENV_PARAMETERS} == ENV_DEFAULTS.kwargs()
    parser = Parser()
    add_game_arguments(parser)
    add_env_arguments(parser)
    flags = vars(parser.parse_args([]))
    for name, value in flags.items():
        if name in ENV_PARAMETERS:
            assert value == getattr(ENV_DEFAULTS, name), name
    assert {name: RUN_ENV[name] for name in RUN_ENV if name not in TRAINING_ENV_OVERRIDES} == {
        name: getattr(ENV_DEFAULTS, name) for name in RUN_ENV if name not in TRAINING_ENV_OVERRIDES
    }


def test_every_env_exposes_the_public_view() -> None:
    import gymnasium

    import infobargain  # noqa: F401  (registers the Gymnasium views)

    aec, parallel = ib.env(), ib.parallel_env()
    single = gymnasium.make("infobargain/Receiver-v1", opponent="spe", disable_env_checker=True).unwrapped
    aec.reset(seed=0)
    parallel.reset(seed=0)
    single.reset(seed=0)  # the SPE sender has offered: the receiver decides
    for form in (aec.unwrapped, parallel, single):
        assert isinstance(form.view, ib.GameView)
    assert (aec.unwrapped.view.round, aec.unwrapped.view.pending) == (0, None)
    assert parallel.view.acting_role == "sender" and parallel.view.state.current_player() == "sender"
    assert single.view.pending is not None and single.view.acting_role == "receiver"
    with pytest.raises(AttributeError):
        single.view.round = 3  # read-only


@pytest.mark.parametrize("game", ["pure_math", "split_pie_bounded"])
@pytest.mark.parametrize(
    "protocol",
    [
        {"protocol": "ultimatum"},
        {"protocol": "fixed_role", "max_rounds": 4, "break_off": 0.2},
        {"protocol": "alternating", "max_rounds": 6, "break_off": 0.1, "discount": 0.9},
    ],
    ids=lambda p: p["protocol"],
)
@pytest.mark.parametrize("first", ["sender", "receiver"])
def test_the_theory_layers_discrete_spe_is_the_cores_game(game: str, protocol: dict[str, object], first: str) -> None:
    """Walking the core's state tree with the SPE players' decisions pays what theory's backward induction on
    the discrete offer tables says: the closed form and the core are the same game."""
    from infobargain.evaluation.exploitability import SituationProbe, solve_values
    from infobargain.theory.spe import subgame_perfect

    kwargs = {"game": game, "grid_size": 7, **protocol}
    probe = SituationProbe(kwargs, first, "spe", "spe")  # type: ignore[arg-type]
    walked = solve_values(probe, probe.table(), {"sender": "policy", "receiver": "policy"})
    theory = subgame_perfect(probe.view.offer_problem, probe.view.rules, first)  # type: ignore[arg-type]
    np.testing.assert_allclose(walked, np.array(theory.payoffs), atol=1e-12)


@pytest.mark.parametrize(
    ("protocol", "prefix", "action", "why"),
    [
        ("ultimatum", [], ACCEPT, "sender must offer"),  # a proposer cannot accept: nothing is on the table
        ("ultimatum", [], REJECT, "sender must offer"),
        ("ultimatum", [FIRST_OFFER], FIRST_OFFER, "receiver responds"),  # an ultimatum responder cannot counter
        ("fixed_role", [FIRST_OFFER], FIRST_OFFER + 1, "receiver responds"),
        ("alternating", [FIRST_OFFER], REJECT, "receiver responds"),  # before the last round, rejecting is countering
        ("alternating", [], 999, "sender must offer"),
        ("alternating", [], -1, "sender must offer"),  # not Python's negative indexing into the offer table
        ("alternating", [], -2, "sender must offer"),
        ("alternating", [], FIRST_OFFER + 2, "sender must offer"),  # one past the table's two offers
        ("alternating", [], 2.0, "sender must offer"),
        ("alternating", [], True, "sender must offer"),
        ("alternating", [FIRST_OFFER, FIRST_OFFER], 7, "chance decides"),  # at the break-off node
        ("alternating", [FIRST_OFFER, FIRST_OFFER, CONTINUE, ACCEPT], ACCEPT, "bargaining is over"),
    ],
)
def test_illegal_actions_are_refused_and_change_nothing(
    protocol: str, prefix: list[int], action: object, why: str
) -> None:
    state = start(protocol)
    for done in prefix:
        state.apply_action(done)
    before = state.key()
    with pytest.raises(IllegalActionError, match=why) as error:
        state.apply_action(action)
    assert repr(action) in str(error.value)
    assert state.key() == before


def test_every_listed_action_is_legal_and_nothing_else_is() -> None:
    for protocol in ("ultimatum", "fixed_role", "alternating"):
        state = start(protocol)
        for path in ([], [FIRST_OFFER + 1]):
            now = state.clone()
            for action in path:
                now.apply_action(action)
            legal = now.legal_actions()
            for action in range(-3, FIRST_OFFER + 4):
                child = now.clone()
                if action in legal:
                    child.apply_action(action)
                else:
                    with pytest.raises(IllegalActionError):
                        child.apply_action(action)


def test_moves_name_what_is_legal() -> None:
    state = start("alternating", rounds=2)
    assert state.moves() == PROPOSE
    state.apply_action(FIRST_OFFER)
    assert state.moves() == ACCEPT_OR_COUNTER
    state.apply_action(FIRST_OFFER + 1)
    assert state.moves() == NO_MOVES  # the break-off chance node
    state.apply_chance(CONTINUE)
    assert state.moves() == ACCEPT_OR_REJECT and state.last_round  # the counter-offer, in the last round
    assert state.legal_actions() == [ACCEPT, REJECT]


def test_a_subgame_starts_a_later_round_with_nothing_on_the_table() -> None:
    state = start("alternating", rounds=4).subgame(3)
    assert (state.round, state.proposer, state.pending, state.moves()) == (3, "receiver", None, PROPOSE)
    state.apply_action(FIRST_OFFER)
    state.apply_action(ACCEPT)
    assert state.returns() == pytest.approx(0.5**3 * np.array([0.25, 0.6]))  # round 3 of δ = 0.5
    with pytest.raises(ValueError, match="round_index"):
        start("alternating", rounds=4).subgame(4)


def test_expected_accounting_pays_the_expectation_over_chance() -> None:
    """Banking each breakdown and settling the end value gives the same payoff as the core's chance tree."""
    protocol = Protocol("alternating", "sender", 3, 0.25, 0.5)
    banked, survival = np.zeros(2), 1.0
    for round_index in range(2):  # two counter-offers survive, then the round-2 offer is accepted
        banked, survival = bank_breakdown(protocol, banked, survival, round_index, D)
    unit = round_unit(protocol, survival, 2)
    payoff = settle(banked, unit, np.array([0.3, 0.5]))
    assert settle(banked[0], unit, 0.3) == payoff[0]
    by_hand = 0.25 * D + 0.75 * 0.5 * (0.25 * D + 0.75 * 0.5 * np.array([0.3, 0.5]))
    assert payoff == pytest.approx(by_hand)
    assert unit == pytest.approx((0.75 * 0.5) ** 2)
    assert in_round_units(payoff, banked, unit) == pytest.approx([0.3, 0.5])


@given(
    value=st.floats(-1e6, 1e6),
    threshold=st.one_of(st.floats(-1e6, 1e6), st.sampled_from([np.inf, -np.inf])),
    scale=st.floats(0.0, 10.0),
)
def test_the_batched_indifference_rule_is_the_cores(value: float, threshold: float, scale: float) -> None:
    assert at_least_each(np.array([value]), np.array([threshold]), scale)[0] == at_least(value, threshold, scale)
