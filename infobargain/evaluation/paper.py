"""The paper's published LLM results, as a reference column for the task suite.

Source: Lin, Zhu, Cunningham, Li, Poupart, Zha and Wang, "Information Bargaining: Bilateral Commitment in
Bayesian Persuasion", arXiv 2506.05876 (2025). ``paper_llm_results.csv`` (package data in
``infobargain/evaluation/data/``) aggregates the per-episode result files the authors published with their
code; its README names the source commit. Each row is one task family (pooled over the paper's scenarios) and one model.

What is comparable: for the signaling (``SIG``) families the CSV splits episodes by first proposer, so each
suite row (one first proposer) gets the models' mean ``(U_S, U_R)`` for that first proposer. The
bargaining (``BARG``) families only give the authors' headline metric, the payoff of whoever proposed last
(0 without a deal), pooled over first proposers; the pies are symmetric between the two seats, so that
number is compared with the SPE's accepted-proposer payoff of either first proposer. Families that differ
only in the prompt (the "may-meet" variants add one sentence) are pooled, weighting by episodes.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from infobargain.game.protocol import ROLES, Role

CITATION = (
    "Lin, Zhu, Cunningham, Li, Poupart, Zha and Wang, “Information Bargaining: Bilateral Commitment in Bayesian "
    "Persuasion”, arXiv 2506.05876 (2025)"
)


def default_path() -> Path:
    """The copy shipped with the package (``infobargain/evaluation/data/paper_llm_results.csv``, provenance in the
    README beside it), so a plain install shows the paper's column."""
    return Path(__file__).resolve().parent / "data" / "paper_llm_results.csv"


def _float(cell: str | None) -> float | None:
    if cell is None or cell.strip() == "":
        return None
    text = cell.strip()
    try:
        return float(Fraction(text)) if "/" in text else float(text)
    except (ValueError, ZeroDivisionError):
        return None


@dataclass(frozen=True)
class PaperRow:
    """One (task family, model) row of ``paper_llm_results.csv``."""

    family: str
    model: str
    episodes: int
    deal_rate: float | None
    last_proposer_payoff: float | None
    authors_reference: float | None
    authors_reference_text: str
    by_first: dict[Role, tuple[int, float | None, float | None]]
    """first proposer → (episodes, mean sender payoff, mean receiver payoff)."""


def load(path: str | Path) -> list[PaperRow]:
    """Parse the CSV; raises ``ValueError`` when a needed column is missing."""
    rows = []
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        needed = {"task_family", "model", "episodes", "mean_last_proposer_payoff", "authors_reference"}
        missing = needed - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"paper results: {path} lacks the column(s) {', '.join(sorted(missing))}")
        for row in reader:
            by_first: dict[Role, tuple[int, float | None, float | None]] = {}
            for first in ROLES:
                count = _float(row.get(f"{first}_first_episodes"))
                by_first[first] = (  # type: ignore[index]
                    int(count or 0),
                    _float(row.get(f"{first}_first_mean_sender")),
                    _float(row.get(f"{first}_first_mean_receiver")),
                )
            rows.append(
                PaperRow(
                    family=row["task_family"],
                    model=row["model"],
                    episodes=int(_float(row["episodes"]) or 0),
                    deal_rate=_float(row.get("deal_rate")),
                    last_proposer_payoff=_float(row["mean_last_proposer_payoff"]),
                    authors_reference=_float(row["authors_reference"]),
                    authors_reference_text=(row["authors_reference"] or "").strip(),
                    by_first=by_first,
                )
            )
    return rows


def source_commit(path: str | Path) -> str | None:
    """The source commit named in the README beside the CSV (``commit abc1234``), if any."""
    readme = Path(path).with_name("README.md")
    if not readme.exists():
        return None
    found = re.search(r"commit\s+([0-9a-f]{7,40})", readme.read_text())
    return found.group(1) if found else None


def _weighted(pairs: Sequence[tuple[int, float | None]]) -> float | None:
    usable = [(n, v) for n, v in pairs if n > 0 and v is not None]
    total = sum(n for n, _ in usable)
    return None if total == 0 else sum(n * v for n, v in usable) / total  # type: ignore[operator]


def pooled(rows: Sequence[PaperRow], families: Sequence[str], first: Role, signaling: bool) -> dict[str, Any]:
    """Per model, the families' figures comparable with one suite row (``first`` proposing first).

    Signaling: ``{"sender", "receiver", "episodes"}`` for that first proposer. Bargaining:
    ``{"proposer_payoff", "episodes"}`` (pooled over first proposers).
    """
    chosen = [row for row in rows if row.family in families]
    result: dict[str, Any] = {}
    for model in dict.fromkeys(row.model for row in chosen):
        mine = [row for row in chosen if row.model == model]
        if signaling:
            counts = [(row.by_first[first][0], row.by_first[first][1]) for row in mine]
            receiver = [(row.by_first[first][0], row.by_first[first][2]) for row in mine]
            sender_mean, receiver_mean = _weighted(counts), _weighted(receiver)
            if sender_mean is None or receiver_mean is None:
                continue
            result[model] = {
                "sender": sender_mean,
                "receiver": receiver_mean,
                "episodes": sum(n for n, _ in counts),
            }
        else:
            value = _weighted([(row.episodes, row.last_proposer_payoff) for row in mine])
            if value is not None:
                result[model] = {"proposer_payoff": value, "episodes": sum(row.episodes for row in mine)}
    return result


def authors_reference(rows: Sequence[PaperRow], families: Sequence[str]) -> tuple[float | None, str]:
    """The value the authors compared the families with (the first one given)."""
    for row in rows:
        if row.family in families and row.authors_reference is not None:
            return row.authors_reference, row.authors_reference_text
    return None, ""


def metric_errors(figure: Mapping[str, float], spe: Mapping[str, float]) -> list[float]:
    """The absolute errors of one figure on the paper's metric (docs/theory.md §5) against an SPE
    (``{"sender", "receiver", "proposer_payoff"}``): ``|ΔU_S|`` and ``|ΔU_R|`` for a signaling figure,
    ``|Δ proposer payoff|`` for a pie figure (one that carries ``proposer_payoff``)."""
    if "proposer_payoff" in figure:
        return [abs(figure["proposer_payoff"] - spe["proposer_payoff"])]
    return [abs(figure["sender"] - spe["sender"]), abs(figure["receiver"] - spe["receiver"])]


def metric_error(figure: Mapping[str, float], spe: Mapping[str, float]) -> float:
    """The mean of :func:`metric_errors`: one figure's error on the paper's metric."""
    errors = metric_errors(figure, spe)
    return sum(errors) / len(errors)
