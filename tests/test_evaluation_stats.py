"""Confidence intervals and the progress fallback of the evaluation layer."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from infobargain.evaluation.stats import Estimate, mean_ci
from infobargain.progress import Progress, wanted


def test_identical_values_give_a_zero_width_interval() -> None:
    estimate = mean_ci([0.3] * 50)
    assert estimate.mean == pytest.approx(0.3)
    assert estimate.half_width == 0.0
    assert estimate.n == 50
    assert estimate.text() == "0.3000 ± 0.0000"


def test_interval_is_student_t() -> None:
    values = [0.0, 1.0, 2.0, 3.0]
    estimate = mean_ci(values)
    expected = stats.t.ppf(0.975, 3) * stats.tstd(values) / 2.0
    assert estimate.mean == pytest.approx(1.5)
    assert estimate.half_width == pytest.approx(expected)
    assert estimate.low < 1.5 < estimate.high


def test_too_few_values() -> None:
    assert math.isnan(mean_ci([1.0]).half_width)
    assert mean_ci([1.0]).to_json() == {"mean": 1.0, "ci95": None, "n": 1}
    empty = mean_ci([])
    assert empty.n == 0 and empty.text() == "—"
    assert mean_ci([None, math.nan, 2.0, 2.0]) == Estimate(2.0, 0.0, 2)  # type: ignore[list-item]


def test_progress_fallback_and_silence(capsys: pytest.CaptureFixture[str]) -> None:
    with Progress(3, "work", enabled=False) as bar:
        bar.update(3)
    assert capsys.readouterr().err == ""
    assert wanted(True, 1) and not wanted(False, 10**9)
