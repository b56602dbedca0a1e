"""OpenSpiel: load the game by name, solve a small configuration with CFR, and score the library's
subgame-perfect players with OpenSpiel's own NashConv. Run: ``python examples/clients/openspiel_cfr.py``.
"""

from __future__ import annotations

import pyspiel
from open_spiel.python.algorithms import cfr, exploitability

import infobargain.envs.openspiel_game  # noqa: F401  (registers "python_infobargain" with OpenSpiel)
from infobargain.evaluation.openspiel import openspiel_nash_conv

SETTINGS = {"protocol": "alternating", "first_proposer": "coin_flip", "max_rounds": 2, "grid_size": 4}


def main(iterations: int = 100) -> dict[str, float]:
    game = pyspiel.load_game("python_infobargain", SETTINGS)
    solver = cfr.CFRSolver(game)
    for _ in range(iterations):
        solver.evaluate_and_update_policy()
    figures = {
        "cfr_nash_conv": float(exploitability.nash_conv(game, solver.average_policy())),
        "spe_nash_conv": openspiel_nash_conv("spe", "spe", SETTINGS),
    }
    print(f"{game}: NashConv of CFR's average policy after {iterations} iterations {figures['cfr_nash_conv']:.5f},")
    print(f"of the library's SPE players {figures['spe_nash_conv']:.2e}")
    return figures


if __name__ == "__main__":
    main()
