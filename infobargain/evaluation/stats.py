"""Means with 95 % confidence intervals, the one summary statistic every evaluation figure uses.

The interval is Student's t interval ``mean ± t(0.975, n−1) · s / √n`` (for 0/1 data such as deals, the
usual normal approximation). Two facts matter when reading it:

- In ``realization="expected"`` mode nature's moves are replaced by their expectations, so deterministic
  players produce the same payoffs in every episode and the interval has **zero width**. That is exact, not
  a sign of a well-measured stochastic quantity.
- With fewer than two values no interval can be formed; the half-width is then ``NaN`` (``null`` in JSON).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    """A sample mean, the half-width of its 95 % confidence interval and the sample size."""

    mean: float
    half_width: float
    n: int

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def to_json(self) -> dict[str, Any]:
        return {"mean": _finite(self.mean), "ci95": _finite(self.half_width), "n": self.n}

    def text(self, digits: int = 4) -> str:
        """``0.3667 ± 0.0000`` (``—`` without values, ``± ?`` without an interval)."""
        if self.n == 0 or math.isnan(self.mean):
            return "—"
        if math.isnan(self.half_width):
            return f"{self.mean:.{digits}f} ± ?"
        return f"{self.mean:.{digits}f} ± {self.half_width:.{digits}f}"


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def mean_ci(values: Iterable[float | None]) -> Estimate:
    """The mean of ``values`` (``None`` and NaN dropped) with the half-width of its 95 % t interval."""
    array = np.asarray([v for v in values if v is not None], dtype=np.float64)
    array = array[~np.isnan(array)]
    n = len(array)
    if n == 0:
        return Estimate(math.nan, math.nan, 0)
    mean = float(array.mean())
    if n < 2:
        return Estimate(mean, math.nan, n)
    spread = float(array.std(ddof=1))
    if spread <= 1e-15 * max(1.0, abs(mean)):  # identical values: an exact zero-width interval
        return Estimate(mean, 0.0, n)
    return Estimate(mean, student_t_quantile(n - 1) * spread / math.sqrt(n), n)


@functools.cache
def student_t_quantile(degrees_of_freedom: int) -> float:
    """``t(0.975, df)``. scipy.stats is imported here, not at module level: it costs over a second, which
    every command (``--help`` included) would otherwise pay."""
    from scipy import stats

    return float(stats.t.ppf(0.5 + CONFIDENCE / 2, degrees_of_freedom))
