"""Cross-play matrices and their exports."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from infobargain.evaluation import cross_play


def test_matrix_per_first_proposer_and_exports(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    players = ["spe", "bp", "obedient"]
    # 11 points per frontier, (1/3 + i/30, 1/3 − i/30): the SPE point (11/30, 9/30) is on the grid
    result = cross_play(players, {"first_proposer": "coin_flip", "grid_size": 11}, episodes=12, seed=1)
    matrices = result.matrices()
    assert set(matrices) == {"sender", "receiver"}
    sender_first = matrices["sender"]["sender"]
    assert sender_first.shape == (3, 3)
    assert sender_first[0, 0] == pytest.approx(11 / 30)  # SPE against SPE, sender first
    assert sender_first[1, 2] == pytest.approx(2 / 3)  # BP sender against an obedient receiver
    assert all(math.isnan(v) for v in matrices["sender"]["sender"][:, 1])  # bp cannot play the receiver
    written = result.write(tmp_path)
    assert [p.name for p in written] == ["cross_play.csv", "cross_play.json", "cross_play.png"]
    with open(tmp_path / "cross_play.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 * 3 * 3
    blank = [r for r in rows if r["receiver_player"] == "bp"]
    assert blank and all(r["sender_payoff"] == "" for r in blank)
    document = json.loads((tmp_path / "cross_play.json").read_text())
    assert document["senders"] == players
    assert document["matrices"]["sender"]["sender"][0][1] is None
    assert (tmp_path / "cross_play.png").stat().st_size > 1000


def test_separate_receiver_set() -> None:
    result = cross_play(["spe", "nash"], {"first_proposer": "sender"}, receivers=["obedient"], episodes=2)
    assert result.matrices()["sender"]["receiver"].shape == (2, 1)
    assert result.firsts() == ["sender"]
