"""Cross-play: every player of a set as the sender against every player as the receiver.

Each cell is a rollout of that pair; its payoffs are reported separately for each first proposer (never
pooled). Players that cannot take a seat (e.g. ``bp``, a sender-only player, as the receiver) leave their
cells empty (NaN in the matrices, blank in the CSV). Exports: a long-format CSV (one row per pair and first
proposer), a JSON document with the matrices, and a heat map.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from infobargain.agents import bind_policy, player_label
from infobargain.envs.information_bargaining_v1 import raw_env
from infobargain.evaluation.players import PlayerSpec
from infobargain.evaluation.rollout import Episode, rollout
from infobargain.evaluation.stats import mean_ci
from infobargain.game.protocol import ROLES, Role

CSV_COLUMNS = (
    "first_proposer",
    "sender_player",
    "receiver_player",
    "episodes",
    "deal_rate",
    "sender_payoff",
    "sender_ci95",
    "receiver_payoff",
    "receiver_ci95",
)


@dataclass(frozen=True)
class CrossPlay:
    """Payoff matrices ``[sender player][receiver player]`` per first proposer."""

    senders: list[str]
    receivers: list[str]
    cells: dict[tuple[int, int], list[Episode]]

    def firsts(self) -> list[Role]:
        present = {e.first_proposer for episodes in self.cells.values() for e in episodes}
        return [first for first in ROLES if first in present]

    def matrices(self) -> dict[str, dict[str, np.ndarray]]:
        """``{first: {"sender": matrix, "receiver": matrix, "deal_rate": matrix}}``."""
        shape = (len(self.senders), len(self.receivers))
        result: dict[str, dict[str, np.ndarray]] = {}
        for first in self.firsts():
            tables = {key: np.full(shape, np.nan) for key in ("sender", "receiver", "deal_rate")}
            for (i, j), episodes in self.cells.items():
                group = [e for e in episodes if e.first_proposer == first and not e.truncated]
                if group:
                    tables["sender"][i, j] = np.mean([e.sender_payoff for e in group])
                    tables["receiver"][i, j] = np.mean([e.receiver_payoff for e in group])
                    tables["deal_rate"][i, j] = np.mean([e.deal_probability for e in group])
            result[first] = tables
        return result

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for first in self.firsts():
            for i, sender in enumerate(self.senders):
                for j, receiver in enumerate(self.receivers):
                    group = [e for e in self.cells.get((i, j), []) if e.first_proposer == first and not e.truncated]
                    row: dict[str, Any] = {
                        "first_proposer": first,
                        "sender_player": sender,
                        "receiver_player": receiver,
                        "episodes": len(group),
                    }
                    if group:
                        s = mean_ci(e.sender_payoff for e in group)
                        r = mean_ci(e.receiver_payoff for e in group)
                        row.update(
                            deal_rate=float(np.mean([e.deal_probability for e in group])),
                            sender_payoff=s.mean,
                            sender_ci95=s.half_width,
                            receiver_payoff=r.mean,
                            receiver_ci95=r.half_width,
                        )
                    rows.append(row)
        return rows

    def to_json(self) -> dict[str, Any]:
        def clean(matrix: np.ndarray) -> list[list[float | None]]:
            return [[None if np.isnan(v) else float(v) for v in row] for row in matrix]

        return {
            "senders": self.senders,
            "receivers": self.receivers,
            "matrices": {
                first: {key: clean(matrix) for key, matrix in tables.items()}
                for first, tables in self.matrices().items()
            },
            "cells": self.rows(),
        }

    def write(self, directory: str | Path, stem: str = "cross_play", plot: bool = True) -> list[Path]:
        """Write ``STEM.csv``, ``STEM.json`` and (``plot``, when matplotlib is installed) ``STEM.png`` into
        ``directory``; returns the files written."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        written = [out / f"{stem}.csv", out / f"{stem}.json"]
        with open(written[0], "w", newline="") as handle:
            writer = csv.DictWriter(handle, CSV_COLUMNS)
            writer.writeheader()
            for row in self.rows():
                writer.writerow({key: ("" if isinstance(v, float) and np.isnan(v) else v) for key, v in row.items()})
        written[1].write_text(json.dumps(self.to_json(), indent=2) + "\n")
        if plot:
            from infobargain.evaluation.plots import plot_cross_play

            matrices = self.matrices()
            values = {first: {str(p): tables[p] for p in ROLES} for first, tables in matrices.items()}
            try:
                plot_cross_play(self.senders, self.receivers, values, out / f"{stem}.png")
            except ImportError:  # no matplotlib: the CSV and JSON still hold every number
                return written
            written.append(out / f"{stem}.png")
        return written


def _can_play(spec: PlayerSpec, env: Any, role: Role) -> bool:
    try:
        bind_policy(spec, env, role)
    except ValueError:
        return False
    return True


def cross_play(
    players: Sequence[PlayerSpec],
    env_kwargs: Mapping[str, Any] | None = None,
    *,
    receivers: Sequence[PlayerSpec] | None = None,
    episodes: int = 20,
    seed: int = 0,
    workers: int | None = None,
) -> CrossPlay:
    """Play every player in ``players`` as the sender against every player in ``receivers`` (default: the same
    set) for ``episodes`` episodes each; pairs a player cannot join stay empty."""
    kwargs = dict(env_kwargs or {})
    seats = list(receivers) if receivers is not None else list(players)
    env = raw_env(**kwargs)
    cells: dict[tuple[int, int], list[Episode]] = {}
    sender_ok = [_can_play(spec, env, "sender") for spec in players]
    receiver_ok = [_can_play(spec, env, "receiver") for spec in seats]
    for i, sender in enumerate(players):
        for j, receiver in enumerate(seats):
            if sender_ok[i] and receiver_ok[j]:
                cells[(i, j)] = rollout(sender, receiver, kwargs, episodes=episodes, seed=seed, workers=workers)
    return CrossPlay([player_label(p) for p in players], [player_label(p) for p in seats], cells)
