"""The mathematics of one game: persuasion instances, schemes and receiver rules, named scenarios."""

from infobargain.game.instance import Instance, InstanceError, random_instance
from infobargain.game.pie import SplitPie, split_pie, split_pie_bounded
from infobargain.game.scenarios import PAPER_SCENARIOS, SCENARIOS, Game, scenario, scenario_names
from infobargain.game.schemes import (
    TIE_BREAKS,
    Payoffs,
    SchemeError,
    TieBreak,
    best_response,
    deal_payoffs,
    default_action,
    disagreement_payoffs,
    expected_utilities,
    fit_signals,
    ignore_rule,
    obey_actions,
    obey_rule,
    posteriors,
    signal_probabilities,
    validate_scheme,
)

__all__ = [
    "PAPER_SCENARIOS",
    "SCENARIOS",
    "TIE_BREAKS",
    "Game",
    "Instance",
    "InstanceError",
    "Payoffs",
    "SchemeError",
    "SplitPie",
    "TieBreak",
    "best_response",
    "deal_payoffs",
    "default_action",
    "disagreement_payoffs",
    "expected_utilities",
    "fit_signals",
    "ignore_rule",
    "obey_actions",
    "obey_rule",
    "posteriors",
    "random_instance",
    "scenario",
    "scenario_names",
    "signal_probabilities",
    "split_pie",
    "split_pie_bounded",
    "validate_scheme",
]
