"""Leaderboard cell files are checked before they are reused: a bad one is named in one line and computed again,
and nothing unchecked reaches the leaderboard."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import pytest

from infobargain.evaluation.cells import CellError, check_cell
from infobargain.evaluation.leaderboard import run_leaderboard

ULTIMATUM = "barg_ultimatum:split_pie"
ARGUMENTS: dict[str, Any] = {"tasks": [ULTIMATUM], "budget": 300, "seeds": [0], "episodes": 1, "show_progress": False}


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench")
    run_leaderboard(["regret"], out=out, **ARGUMENTS)
    (cell,) = (out / "cells").rglob("seed0.json")
    return cell, json.loads(cell.read_text())


def edited(cell: dict[str, Any], change: str) -> Any:
    cell = copy.deepcopy(cell)
    row = cell["rows"][0]
    if change == "outcome off the game":
        row["outcome"] = {"sender": 5.0, "receiver": -3.0}
    elif change == "NaN distance":
        row["distance_to_spe_played"] = math.nan
    elif change == "string metric":
        row["deal_rate"] = "high"
    elif change == "no rows":
        del cell["rows"]
    elif change == "a list":
        return [1]
    elif change == "another seed":
        cell["seed"] = 7
    elif change == "negative decisions":
        cell["decisions"] = -1e18
    return cell


BAD_TEXTS = {"empty": b"", "truncated": None, "binary": bytes(range(256))}
BAD_EDITS = ("outcome off the game", "NaN distance", "string metric", "no rows", "a list", "another seed")


@pytest.mark.parametrize("damage", [*BAD_TEXTS, *BAD_EDITS, "negative decisions"])
def test_a_bad_cell_is_named_and_computed_again(
    damage: str, finished: tuple[Path, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, good = finished
    cell = tmp_path / source.relative_to(source.parents[3])
    cell.parent.mkdir(parents=True)
    if damage in BAD_TEXTS:
        text = BAD_TEXTS[damage]
        cell.write_bytes(json.dumps(good).encode()[:50] if text is None else text)
    else:
        cell.write_text(json.dumps(edited(good, damage)))
    capsys.readouterr()
    document = run_leaderboard(["regret"], out=tmp_path, **ARGUMENTS)
    err = capsys.readouterr().err
    assert f"benchmark: cell {cell} is not usable (" in err and "computing it again" in err
    assert "Traceback" not in err
    assert document["cells"]["resumed"] == 0
    reread = json.loads(cell.read_text())
    assert check_cell(reread, {"seed": 0}, reread["settings"], [(0.0, 1.0), (0.0, 1.0)]) == reread
    row = document["rows"][0]
    assert 0 <= row["outcome"]["sender"]["mean"] <= 1 and math.isfinite(row["distance_to_spe_played"]["mean"])


def test_a_sound_cell_is_reused_quietly(
    finished: tuple[Path, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, good = finished
    cell = tmp_path / source.relative_to(source.parents[3])
    cell.parent.mkdir(parents=True)
    cell.write_text(json.dumps(good))
    capsys.readouterr()
    document = run_leaderboard(["regret"], out=tmp_path, **ARGUMENTS)
    assert document["cells"]["resumed"] == 1 and "not usable" not in capsys.readouterr().err


@pytest.mark.parametrize("damage", BAD_EDITS)
def test_check_cell_says_what_is_wrong(damage: str, finished: tuple[Path, dict[str, Any]]) -> None:
    _, good = finished
    identity = {key: good[key] for key in ("algorithm", "task", "game", "seed")}
    assert check_cell(good, identity, good["settings"], [(0.0, 1.0), (0.0, 1.0)]) == good
    with pytest.raises(CellError):
        check_cell(edited(good, damage), identity, good["settings"], [(0.0, 1.0), (0.0, 1.0)])
