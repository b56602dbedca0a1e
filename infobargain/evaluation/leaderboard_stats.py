"""Aggregate statistics of a leaderboard, as MARL papers report them, computed by ``rliable`` (Agarwal et al. 2021).

**The score.** Each row (task, game, first proposer) of each seed gets a normalised score::

    score = clip(1 − distance_to_spe_played / distance of uniform random play, 0, 1)

1 is the exact SPE of the game as played, 0 is no better than both players choosing uniformly among their legal
actions (the random pair's exact expected payoffs, computed once per row). A second score is 1 when the row is
*reached* (distance at most :data:`~infobargain.evaluation.metrics.REACHED`) and 0 otherwise, so its mean is the
fraction of rows reached.

**The statistics**, per algorithm over its seeds × rows score matrix:

- the interquartile mean (IQM) of the score, and the mean of the reached score, each with a stratified-bootstrap
  95 % confidence interval (tasks are the strata, seeds are resampled within them);
- the probability of improvement of every algorithm over every other (the probability that a run of one scores
  above a run of the other on a randomly chosen row, Mann–Whitney per row), with its interval. The statistic is
  rliable's ``probability_of_improvement`` computed for all rows at once (:func:`probability_of_improvement`,
  tested equal to rliable's own): rliable calls SciPy's Mann–Whitney test once per row and resample, which took
  about a quarter of an hour of the full leaderboard's hour on 6 algorithms; the bootstrap is still rliable's;
- the performance profile: the fraction of runs × rows scoring above each threshold τ in [0, 1].

Only rows every compared algorithm has on every one of its seeds enter (a failed cell leaves its row out for all,
with a note), since the bootstrap and the probability of improvement compare the same rows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infobargain.evaluation.metrics import REACHED

SCORE = "1 − distance to the SPE as played / distance of uniform random play, clipped to [0, 1]"
REPETITIONS = 2000
"""Bootstrap resamples (rliable's examples use 2,000 to 50,000; intervals here move by < 0.005 beyond 2,000)."""
THRESHOLDS = np.linspace(0.0, 1.0, 51)

RowKey = tuple[str, str, str]


def _row_key(row: Mapping[str, Any]) -> RowKey:
    return (row["task"], row["game"], row["first_proposer"])


def score_matrices(
    cells: Sequence[Mapping[str, Any]], random_distance: Mapping[RowKey, float]
) -> tuple[dict[str, NDArray[np.float64]], dict[str, NDArray[np.float64]], list[RowKey], list[str]]:
    """Per algorithm, its ``[seed, row]`` scores and reached indicators on the rows all algorithms share, those
    rows, and notes on what was left out."""
    by_algorithm: dict[str, dict[int, dict[RowKey, float]]] = {}
    for cell in cells:
        seeds = by_algorithm.setdefault(cell["algorithm"], {})
        for row in cell.get("rows", []):
            seeds.setdefault(cell["seed"], {})[_row_key(row)] = row["distance_to_spe_played"]
    if not by_algorithm:
        return {}, {}, [], []
    all_rows = sorted({key for seeds in by_algorithm.values() for rows in seeds.values() for key in rows})
    shared = [
        key
        for key in all_rows
        if key in random_distance
        and all(key in rows and rows[key] is not None for seeds in by_algorithm.values() for rows in seeds.values())
    ]
    notes = []
    if len(shared) < len(all_rows):
        notes.append(
            f"statistics: {len(all_rows) - len(shared)} of {len(all_rows)} rows left out (not scored for every "
            "algorithm and seed)"
        )
    scores, reached = {}, {}
    for algorithm, seeds in by_algorithm.items():
        distances = np.array([[seeds[seed][key] for key in shared] for seed in sorted(seeds)], dtype=np.float64)
        baseline = np.array([random_distance[key] for key in shared], dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            normalised = np.where(baseline > 0, 1.0 - distances / baseline, (distances <= REACHED).astype(float))
        scores[algorithm] = np.clip(normalised, 0.0, 1.0)
        reached[algorithm] = (distances <= REACHED).astype(np.float64)
    return scores, reached, shared, notes


def probability_of_improvement(scores_x: NDArray[np.float64], scores_y: NDArray[np.float64]) -> float:
    """rliable's ``metrics.probability_of_improvement`` (``[run, row]`` matrices): per row, the Mann–Whitney U of
    X over Y divided by the pairs, i.e. P(x > y) + P(x = y) / 2 over all pairs of a run of each; averaged over
    rows. Vectorised over rows and pairs."""
    above = scores_x[:, None, :] > scores_y[None, :, :]
    ties = scores_x[:, None, :] == scores_y[None, :, :]
    return float(np.mean(above.mean(axis=(0, 1)) + 0.5 * ties.mean(axis=(0, 1))))


def _interval(point: NDArray[np.float64], bounds: NDArray[np.float64], index: int = 0) -> dict[str, float]:
    return {"estimate": float(point[index]), "low": float(bounds[0, index]), "high": float(bounds[1, index])}


@contextlib.contextmanager
def rliable_seed(seed: int) -> Iterator[np.random.RandomState]:
    """Make rliable's bootstraps reproducible: its stratified bootstrap draws its resamples from NumPy's *global*
    generator (``np.random.choice``), whatever ``random_state`` it is given, so that generator is seeded here and
    put back as it was afterwards. Yields the ``random_state`` to pass (rliable hands it to arch, which warns that
    it is deprecated: silenced)."""
    import warnings

    saved = np.random.get_state()
    np.random.seed(seed)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            yield np.random.RandomState(seed)
    finally:
        np.random.set_state(saved)


def aggregate(
    cells: Sequence[Mapping[str, Any]],
    random_distance: Mapping[RowKey, float],
    *,
    repetitions: int = REPETITIONS,
    seed: int = 0,
) -> dict[str, Any]:
    """The statistics of the module docstring, as a JSON-ready dict (the same for the same cells and ``seed``)."""
    from rliable import library, metrics

    with rliable_seed(seed) as state:
        return _aggregate(cells, random_distance, library, metrics, repetitions, state)


def _aggregate(
    cells: Sequence[Mapping[str, Any]],
    random_distance: Mapping[RowKey, float],
    library: Any,
    metrics: Any,
    repetitions: int,
    state: np.random.RandomState,
) -> dict[str, Any]:
    scores, reached, rows, notes = score_matrices(cells, random_distance)
    result: dict[str, Any] = {"score": SCORE, "reached_threshold": REACHED, "rows": len(rows), "notes": notes}
    if not rows:
        result["notes"] = [*notes, "statistics: no row is scored for every algorithm and seed"]
        return result
    runs = {algorithm: matrix.shape[0] for algorithm, matrix in scores.items()}
    if min(runs.values()) < 2:
        result["notes"] = [*notes, "statistics: bootstrap intervals need at least two seeds per algorithm"]
        return result
    point, bounds = library.get_interval_estimates(
        scores, lambda matrix: np.array([metrics.aggregate_iqm(matrix)]), reps=repetitions, random_state=state
    )
    reached_point, reached_bounds = library.get_interval_estimates(
        reached, lambda matrix: np.array([metrics.aggregate_mean(matrix)]), reps=repetitions, random_state=state
    )
    result["algorithms"] = {
        algorithm: {
            "runs": runs[algorithm],
            "iqm_score": _interval(point[algorithm], bounds[algorithm]),
            "fraction_reached": _interval(reached_point[algorithm], reached_bounds[algorithm]),
        }
        for algorithm in scores
    }
    names = list(scores)
    # Each unordered pair once: rliable's P(X > Y) counts ties as half, so P(Y > X) = 1 - P(X > Y), per resample.
    pairs = {(a, b): (scores[a], scores[b]) for i, a in enumerate(names) for b in names[i + 1 :]}
    if pairs:
        improvement, improvement_bounds = library.get_interval_estimates(
            {f"{a},{b}": pair for (a, b), pair in pairs.items()},
            lambda x, y: np.array([probability_of_improvement(x, y)]),
            reps=repetitions,
            random_state=state,
        )
        result["probability_of_improvement"] = {}
        for a, b in pairs:
            forward = _interval(improvement[f"{a},{b}"], improvement_bounds[f"{a},{b}"])
            result["probability_of_improvement"][f"{a},{b}"] = forward
            result["probability_of_improvement"][f"{b},{a}"] = {
                "estimate": 1.0 - forward["estimate"],
                "low": 1.0 - forward["high"],
                "high": 1.0 - forward["low"],
            }
    profiles, _ = library.create_performance_profile(scores, THRESHOLDS)
    result["performance_profile"] = {
        "thresholds": THRESHOLDS.tolist(),
        **{algorithm: np.asarray(profile, dtype=float).tolist() for algorithm, profile in profiles.items()},
    }
    return result


def plot_statistics(statistics: Mapping[str, Any], path: str | Path) -> None:
    """Three panels: IQM score and fraction of rows reached with their 95 % intervals, per algorithm, and the
    performance profiles. Intervals come from the bootstrap, so they stay within [0, 1]."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    algorithms = sorted(statistics["algorithms"], key=lambda a: statistics["algorithms"][a]["iqm_score"]["estimate"])
    colours = {name: plt.get_cmap("tab10")(index % 10) for index, name in enumerate(sorted(algorithms))}
    figure, axes = plt.subplots(1, 3, figsize=(13, 1.6 + 0.45 * len(algorithms)), constrained_layout=True)
    for axis, (key, label) in zip(
        axes[:2],
        (("iqm_score", "IQM of the score"), ("fraction_reached", "fraction of rows reached")),
        strict=True,
    ):
        for position, algorithm in enumerate(algorithms):
            interval = statistics["algorithms"][algorithm][key]
            axis.plot([interval["low"], interval["high"]], [position, position], linewidth=6, color=colours[algorithm])
            axis.plot([interval["estimate"]], [position], "k|", markersize=14)
        axis.set_yticks(range(len(algorithms)))
        axis.set_yticklabels(algorithms if key == "iqm_score" else [""] * len(algorithms))
        axis.set_xlim(-0.02, 1.02)
        axis.set_xlabel(f"{label} (95 % CI)")
    profile = statistics["performance_profile"]
    for algorithm in algorithms:
        axes[2].plot(profile["thresholds"], profile[algorithm], color=colours[algorithm], label=algorithm)
    axes[2].set_xlabel("score threshold τ")
    axes[2].set_ylabel("share of runs × rows above τ")
    axes[2].set_ylim(-0.02, 1.02)
    axes[2].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    figure.supxlabel(f"score: {statistics['score']}; bootstrap over seeds within rows", fontsize=8)
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)
