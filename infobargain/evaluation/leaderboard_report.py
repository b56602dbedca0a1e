"""The leaderboard as Markdown (the aggregate statistics, a summary per algorithm with the paper's LLMs as
reference rows, the sample-efficiency curves when run with them, then every row) and as plots (each row's
distance to the SPE as played, per algorithm; the statistics' intervals and performance profiles; the curves)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _number(value: float | None, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _spread(entry: Mapping[str, Any] | None, digits: int = 4) -> str:
    if not entry or entry.get("mean") is None:
        return "–"
    if entry.get("n", 0) > 1:
        return f"{entry['mean']:.{digits}f} ± {entry['sd']:.{digits}f}"
    return f"{entry['mean']:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _options(options: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in options.items()) or "–"


def render_leaderboard_markdown(document: Mapping[str, Any]) -> str:
    settings = document["settings"]
    threshold = document["reached_threshold"]
    lines = [
        "# Leaderboard: learning algorithms against the exact SPE",
        "",
        f"Budget {settings['budget']:,} decisions per training (less where the *budget* column says capped: the "
        f"registry's per-algorithm leaderboard budget), seeds {', '.join(map(str, settings['seeds']))}, "
        f"offer space {settings['offer_space']} (grid {settings['grid_size']}; pies: frontier), "
        f"{len(settings['tasks'])} games. Figures are means ± sd over seeds. *Distance* is the Euclidean distance "
        f"of the pair's exact expected payoffs to the exact SPE of the game as played (discrete offers); a row is "
        f"reached at ≤ {threshold}. *Paper-metric MAE* scores the same rows as the paper's LLM results "
        "(signaling: mean |ΔU| of (U_S, U_R); pies: |Δ accepted proposer's payoff|; against the continuous SPE).",
        "",
        "## Summary",
        "",
    ]
    header = [
        "algorithm",
        "rows reached (all seeds)",
        "mean distance",
        "max distance",
        "NashConv",
        "deal rate",
        "paper-metric MAE",
        "wall s (all rows)",
        "budget",
        "decisions / training",
        "options",
    ]
    body = []
    for name, entry in sorted(
        document["summary"].items(), key=lambda item: item[1]["distance_to_spe_played"]["mean"] or 0.0
    ):
        body.append(
            [
                f"**{name}**",
                f"{entry['rows_reached_all_seeds']}/{entry['rows']}",
                _spread(entry["distance_to_spe_played"]),
                _spread(entry["max_distance_to_spe_played"]),
                _spread(entry["nash_conv"]),
                _spread(entry["deal_rate"], 3),
                _spread(entry["paper_metric_error"]),
                _spread(entry["wall_s"], 1),
                _budget(document, name),
                _spread(entry["decisions"], 0),
                _options(entry["options"]),
            ]
        )
    reference = document["paper"]
    for model, mae in sorted(reference["mae"].items(), key=lambda item: item[1]):
        covered = reference["rows_covered"][model]
        body.append([f"{model} (LLM, paper)", *["–"] * 5, _number(mae), "–", "–", "–", f"{covered} rows"])
    lines += _table(header, body)
    lines += _statistics_section(document.get("statistics", {}))
    if "curves" in document:
        lines += _curves_section(document["curves"])
    notes = [f"- {name}: {note}" for name, entry in document["summary"].items() for note in entry["notes"]]
    notes += [f"- {note}" for note in document.get("notes", [])]
    if notes:
        lines += ["", "Notes:", *notes]
    lines += _failed_section(document.get("failed", []))
    lines += _out_of_reach_section(document.get("out_of_reach", []))
    lines += ["", "## Rows", ""]
    header = [
        "task",
        "game",
        "first",
        "algorithm",
        "outcome (U_S, U_R)",
        "SPE as played",
        "distance",
        "NashConv",
        "gain S",
        "gain R",
        "deal rate",
        "agreement round (SPE)",
        "wall s",
        "decisions",
    ]
    body = []
    best = _best_models(reference["rows"])
    for row in sorted(document["rows"], key=lambda r: (r["task"], r["game"], r["first_proposer"], r["algorithm"])):
        outcome = row["outcome"]
        spe = row["spe_played"]
        body.append(
            [
                row["task"],
                row["game"],
                row["first_proposer"],
                row["algorithm"] + (" ✓" if row["reached_all_seeds"] else ""),
                f"({_number(outcome['sender']['mean'])}, {_number(outcome['receiver']['mean'])})",
                f"({_number(spe['sender'])}, {_number(spe['receiver'])})",
                _spread(row["distance_to_spe_played"]),
                _spread(row["nash_conv"]),
                _spread(row["gain_sender"]),
                _spread(row["gain_receiver"]),
                _spread(row["deal_rate"], 3),
                f"{_spread(row['agreement_round'], 2)} ({row['spe_agreement_round']})",
                _spread(row["wall_s"], 1),
                _spread(row["decisions"], 0),
            ]
        )
    lines += _table(header, body)
    if best:
        lines += [
            "",
            "Best LLM of the paper per row (its error on the paper's metric, against the continuous SPE):",
            "",
        ]
        lines += _table(
            ["task", "first", "model", "error"],
            [[task, first, model, _number(error)] for (task, first), (model, error) in sorted(best.items())],
        )
    lines += [
        "",
        f"{document['cells']['total']} cells ({document['cells']['resumed']} read back from disk), "
        f"{document['elapsed_s']:.0f} s on {document['cpu_cores']} cores. LLM figures: {reference['citation']}"
        + (f", results at commit {reference['source_commit']}." if reference.get("source_commit") else "."),
        *_provenance(document.get("run")),
        "",
    ]
    return "\n".join(lines)


def _provenance(run: Mapping[str, Any] | None) -> list[str]:
    """Where and when the run was made (a published leaderboard states it)."""
    if not run:
        return []
    commit = str(run.get("commit") or "unknown")[:12]
    return ["", f"Run {run.get('date')}, commit {commit}, on {run.get('machine')}: `{run.get('command')}`."]


def _budget(document: Mapping[str, Any], name: str) -> str:
    """An algorithm's budget per training, marked where the registry caps it below the leaderboard's."""
    budget = document["algorithms"].get(name, {}).get("budget", document["settings"]["budget"])
    return f"{budget:,}" + (" (capped)" if budget < document["settings"]["budget"] else "")


def _failed_section(failed: list[Mapping[str, Any]]) -> list[str]:
    """The cells that failed (left out of every figure above; a re-run computes them again)."""
    if not failed:
        return []
    lines = ["", "## Failed cells", "", "Left out of every figure; the next run with the same folder retries them.", ""]
    return lines + _table(
        ["algorithm", "task", "game", "seed", "error"],
        [
            [cell["algorithm"], cell["task"], cell["game"], str(cell["seed"]), cell["error"].replace("|", "/")]
            for cell in failed
        ],
    )


def _out_of_reach_section(out_of_reach: list[Mapping[str, Any]]) -> list[str]:
    """The games an algorithm cannot train on (its own limit, e.g. CFR+'s game tree): no cell was run."""
    if not out_of_reach:
        return []
    lines = ["", "## Out of reach", "", "Not run: the algorithm says why it cannot train on the game.", ""]
    return lines + _table(
        ["algorithm", "task", "game", "reason"],
        [
            [entry["algorithm"], entry["task"], entry["game"], entry["reason"].replace("|", "/")]
            for entry in out_of_reach
        ],
    )


def _interval(entry: Mapping[str, float]) -> str:
    return f"{entry['estimate']:.3f} [{entry['low']:.3f}, {entry['high']:.3f}]"


def _statistics_section(statistics: Mapping[str, Any]) -> list[str]:
    """IQM score and fraction reached with 95 % intervals, and the probability of improvement, as tables."""
    lines = ["", "## Aggregate statistics", ""]
    if "algorithms" not in statistics:
        return [*lines, *(f"- {note}" for note in statistics.get("notes", ["statistics: none computed"]))]
    lines += [
        f"Over {statistics['rows']} rows and every seed (rliable, stratified bootstrap, 95 % intervals). *Score*: "
        f"{statistics['score']}. *IQM*: the interquartile mean, the mean of the middle 50 % of runs × rows. "
        f"*Reached*: distance to the SPE as played ≤ {statistics['reached_threshold']}. *P(A > B)*: the "
        "probability that a run of A scores above a run of B on a random row (0.5: no difference).",
        "",
    ]
    ranked = sorted(statistics["algorithms"].items(), key=lambda item: -item[1]["iqm_score"]["estimate"])
    lines += _table(
        ["algorithm", "runs", "IQM score", "fraction of rows reached"],
        [
            [name, str(entry["runs"]), _interval(entry["iqm_score"]), _interval(entry["fraction_reached"])]
            for name, entry in ranked
        ],
    )
    improvement = statistics.get("probability_of_improvement", {})
    if improvement:
        names = [name for name, _ in ranked]
        lines += ["", "P(row algorithm > column algorithm):", ""]
        lines += _table(
            ["", *names],
            [[a, *("–" if a == b else _interval(improvement[f"{a},{b}"]) for b in names)] for a in names],
        )
    lines += [f"- {note}" for note in statistics.get("notes", [])]
    return lines


CURVE_COLUMNS = (0.25, 0.5, 0.75, 1.0)
"""The budget fractions the curves' table shows (the nearest the curves have); the figure shows every one."""


def _curves_section(curves: Mapping[str, Any]) -> list[str]:
    """The sample-efficiency curves at a few budget fractions (IQM with its 95 % interval), and the algorithms
    that have none."""
    lines = ["", "## Sample-efficiency curves", ""]
    if "algorithms" not in curves:
        return [*lines, *(f"- {note}" for note in curves.get("notes", []))]
    fractions = curves["fractions"]
    shown = sorted({min(range(len(fractions)), key=lambda i: abs(fractions[i] - column)) for column in CURVE_COLUMNS})
    lines += [
        "Each training's checkpoints nearest evenly spaced budgets, scored exactly like its final players: the "
        "interquartile mean (IQM) over seeds × rows (task, game, first proposer) at each fraction of the "
        "algorithm's budget, with its stratified-bootstrap 95 % interval (rliable). Figure: "
        "`leaderboard_curves.png`.",
        "",
    ]
    header = ["algorithm", "metric", *(f"{fractions[i]:.0%} of budget" for i in shown)]
    body = []
    for name, entry in sorted(curves["algorithms"].items()):
        for metric, label in (("distance_to_spe_played", "distance"), ("nash_conv", "NashConv")):
            if metric in entry:
                figures = entry[metric]
                body.append(
                    [
                        f"{name} ({entry['runs']} seeds × {entry['rows']} rows)",
                        label,
                        *(_interval({key: figures[key][i] for key in ("estimate", "low", "high")}) for i in shown),
                    ]
                )
    lines += _table(header, body)
    if curves.get("without_curve"):
        lines += [
            "",
            f"No curve (the algorithm does not rebuild a checkpoint's players, or its cells came from a published "
            f"run): {', '.join(curves['without_curve'])}.",
        ]
    return lines + [f"- {note}" for note in curves.get("notes", [])]


def _best_models(rows: list[Mapping[str, Any]]) -> dict[tuple[str, str], tuple[str, float]]:
    """Per (task, first proposer): the model with the smallest error (the paper pools its figures over games)."""
    best: dict[tuple[str, str], tuple[str, float]] = {}
    for row in rows:
        key = (row["task"], row["first_proposer"])
        if key not in best or row["error"] < best[key][1]:
            best[key] = (row["model"], row["error"])
    return best


def plot_leaderboard(document: Mapping[str, Any], path: str | Path) -> None:
    """Horizontal bars: each row's distance to the SPE as played per algorithm (sd over seeds as error bars),
    with the reached threshold as a line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rows = document["rows"]
    algorithms = sorted({row["algorithm"] for row in rows})
    keys = sorted({(row["task"], row["game"], row["first_proposer"]) for row in rows})
    lookup = {(row["task"], row["game"], row["first_proposer"], row["algorithm"]): row for row in rows}
    height = 0.8 / max(1, len(algorithms))
    figure, axes = plt.subplots(figsize=(9, 1.0 + 0.22 * len(keys) * max(1, len(algorithms)) ** 0.5 * 2))
    positions = np.arange(len(keys))
    for index, algorithm in enumerate(algorithms):
        means, sds = [], []
        for key in keys:
            row = lookup.get((*key, algorithm))
            distance = row["distance_to_spe_played"] if row else {"mean": np.nan, "sd": 0.0}
            means.append(np.nan if distance["mean"] is None else distance["mean"])
            sds.append(distance["sd"] or 0.0)
        # A distance is never negative: the lower whisker stops at zero.
        lower = np.minimum(np.nan_to_num(means), sds)
        axes.barh(positions + index * height, means, height, xerr=[lower, sds], label=algorithm)
    axes.axvline(document["reached_threshold"], color="black", linestyle="--", linewidth=1, label="reached")
    axes.set_yticks(positions + height * (len(algorithms) - 1) / 2)
    axes.set_yticklabels([f"{task} {game} ({first[0]})" for task, game, first in keys], fontsize=7)
    axes.invert_yaxis()
    axes.set_xlim(left=0)
    axes.set_xlabel("distance to the SPE as played (mean ± sd over seeds; s: sender first, r: receiver first)")
    axes.set_title("Leaderboard: distance to the exact SPE")
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)


def write_leaderboard(document: Mapping[str, Any], out: str | Path) -> dict[str, Path]:
    """``leaderboard.md`` and, when matplotlib is installed, ``leaderboard.png`` in ``out`` (the JSON is written
    by the runner)."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = {"json": folder / "leaderboard.json", "markdown": folder / "leaderboard.md"}
    written["markdown"].write_text(render_leaderboard_markdown(document))
    try:
        plot_leaderboard(document, folder / "leaderboard.png")
        written["plot"] = folder / "leaderboard.png"
        if "algorithms" in document.get("statistics", {}):
            from infobargain.evaluation.leaderboard_stats import plot_statistics

            plot_statistics(document["statistics"], folder / "leaderboard_statistics.png")
            written["statistics_plot"] = folder / "leaderboard_statistics.png"
        if document.get("curves", {}).get("algorithms"):
            from infobargain.evaluation.leaderboard_curves import FIGURE, plot_curves

            plot_curves(document["curves"], folder / FIGURE)
            written["curves_plot"] = folder / FIGURE
    except ImportError:
        pass
    return written
