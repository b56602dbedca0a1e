"""Where learning breaks: each round's offer and acceptance, learned against the SPE's, on and off the path.

On a discrete offer space every bargaining situation (first proposer, round, offer on the table) can be
visited (:class:`~infobargain.evaluation.exploitability.SituationProbe`), so a pair's whole strategy can be
set beside the subgame-perfect strategy of the game as played, round by round:

- **offer**: what the round's proposer puts on the table. Round 0's is its opening proposal; in alternating
  offers a later round's offer is the previous responder's counter-offer (the one it makes most often over
  the offers it rejects: a player that reads only the round and the offer on the table counters the same way
  whatever it rejected, as the SPE does); in other protocols the proposer opens every round afresh.
- **acceptance**: which of the proposer's offers the responder accepts. The SPE's responder accepts exactly the
  offers worth at least its rejection value; ``lowest_accepted`` is the smallest share the responder accepts
  (learned) against that value (SPE), and ``disagreements`` counts the offers, on the path or off it, that
  the learned responder treats differently.
- **path**: the rounds that learned play and SPE play actually reach from round 0.

The first round (counting from the last, where backward induction starts) whose decisions differ is where the
chain breaks; a difference there moves every earlier round's values. Stochastic players are read by their most
likely action.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from infobargain.envs.offers import ACCEPT, FIRST_OFFER, DiscreteOffers
from infobargain.evaluation.benchmarks import Benchmarks
from infobargain.evaluation.exploitability import Decision, DecisionTable, SituationProbe
from infobargain.evaluation.players import PlayerSpec
from infobargain.game.protocol import ROLES, Role, other

_INDEX: dict[Role, int] = {"sender": 0, "receiver": 1}


def _likely(decision: Decision) -> int:
    return int(decision.actions[int(np.argmax(decision.probabilities))])


def _offers(table: DecisionTable, probe: SituationProbe) -> list[int | None]:
    """Each round's offer index (``None`` where the previous responder accepts every offer)."""
    rules = probe.env.rules
    offers: list[int | None] = []
    for t in range(rules.rounds):
        proposer = rules.proposer(t, table.first)
        if probe.fresh(t):
            offers.append(_likely(table.propose[(proposer, t)]) - FIRST_OFFER)
            continue
        counters = [_likely(d) for d in table.respond[(proposer, t - 1)]]
        made = Counter(action - FIRST_OFFER for action in counters if action >= FIRST_OFFER)
        offers.append(made.most_common(1)[0][0] if made else None)
    return offers


def _accepts(table: DecisionTable, responder: Role, t: int) -> NDArray[np.bool_]:
    return np.array([_likely(d) == ACCEPT for d in table.respond[(responder, t)]])


def _path(offers: list[int | None], accepts: list[NDArray[np.bool_]]) -> tuple[list[int], int | None]:
    """Rounds reached from round 0 when every round's offer is the one in ``offers``, and the deal's round."""
    reached: list[int] = []
    for t, offer in enumerate(offers):
        if offer is None:
            break
        reached.append(t)
        if accepts[t][offer]:
            return reached, t
    return reached, None


def _point(values: NDArray[np.float64] | None) -> dict[str, float] | None:
    return None if values is None else {"sender": float(values[0]), "receiver": float(values[1])}


def compare_first(
    env_kwargs: Mapping[str, Any], first: Role, sender: PlayerSpec, receiver: PlayerSpec, bench: Benchmarks
) -> dict[str, Any]:
    """The round-by-round comparison for one first proposer."""
    learned_probe = SituationProbe(env_kwargs, first, sender, receiver)
    spe_probe = SituationProbe(env_kwargs, first, "spe", "spe")
    learned, spe = learned_probe.table(), spe_probe.table()
    rules = learned_probe.env.rules
    encoding = learned_probe.env.encoding
    assert isinstance(encoding, DiscreteOffers)
    points = {role: encoding.offer_points(role).vertices for role in ROLES}
    offers, spe_offers = _offers(learned, learned_probe), _offers(spe, spe_probe)
    responders = [other(rules.proposer(t, first)) for t in range(rules.rounds)]
    accepts = [_accepts(learned, responders[t], t) for t in range(rules.rounds)]
    spe_accepts = [_accepts(spe, responders[t], t) for t in range(rules.rounds)]
    (path, deal), (spe_path, spe_deal) = _path(offers, accepts), _path(spe_offers, spe_accepts)
    rounds: list[dict[str, Any]] = []
    for t in range(rules.rounds):
        proposer, responder = rules.proposer(t, first), responders[t]
        table, me = points[proposer], _INDEX[responder]
        offer, spe_offer = offers[t], spe_offers[t]
        accepted = table[accepts[t], me]
        rounds.append(
            {
                "round": t,
                "proposer": proposer,
                "offer": _point(None if offer is None else table[offer]),
                "spe_offer": _point(None if spe_offer is None else table[spe_offer]),
                "same_offer": offer == spe_offer,
                "accepts_offer": None if offer is None else bool(accepts[t][offer]),
                "accepts_spe_offer": None if spe_offer is None else bool(accepts[t][spe_offer]),
                "spe_accepts_spe_offer": None if spe_offer is None else bool(spe_accepts[t][spe_offer]),
                "lowest_accepted": float(accepted.min()) if len(accepted) else None,
                "spe_rejection_value": float(bench.spe_played[first].plan[t].rejection_value[me]),
                "disagreements": int((accepts[t] != spe_accepts[t]).sum()),
                "offers": len(table),
                "on_path": t in path,
                "on_spe_path": t in spe_path,
            }
        )
    differing = [r["round"] for r in rounds if not r["same_offer"] or r["disagreements"]]
    return {
        "rounds": rounds,
        "agreement_round": deal,
        "spe_agreement_round": spe_deal,
        "last_differing_round": max(differing) if differing else None,
    }


def round_diagnostics(
    sender: PlayerSpec,
    receiver: PlayerSpec,
    env_kwargs: Mapping[str, Any],
    bench: Benchmarks,
    firsts: Sequence[Role],
) -> dict[str, Any]:
    """Per first proposer, each round's learned offer and acceptance against the SPE's (discrete offers only)."""
    if not bench.discrete:
        return {"method": "not computed", "note": "round-by-round comparison needs a discrete offer space"}
    return {
        "method": "every situation probed, learned decisions against the SPE of the game as played",
        "by_first_proposer": {first: compare_first(env_kwargs, first, sender, receiver, bench) for first in firsts},
    }


def render_rounds(rounds: Mapping[str, Any] | None) -> list[str]:
    """The Markdown section of :func:`round_diagnostics`."""
    if not rounds or "by_first_proposer" not in rounds:
        return []
    lines = ["", "## Round by round against the SPE", ""]
    lines.append(
        "Each round's offer (learned / SPE), whether the responder accepts the SPE's offer, the lowest share it "
        "accepts against its SPE rejection value, and how many of the proposer's offers it treats differently "
        "from the SPE (on or off the path). `*` marks rounds on the learned path."
    )
    for first, result in rounds["by_first_proposer"].items():
        lines += ["", f"**{first} first** (last round that differs: {result['last_differing_round']})", ""]
        lines += [
            "| round | proposer | offer | SPE offer | accepts SPE offer | lowest accepted / SPE value | differing |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in result["rounds"]:
            lines.append(
                f"| {r['round']}{' *' if r['on_path'] else ''} | {r['proposer']} | {_pair(r['offer'])} | "
                f"{_pair(r['spe_offer'])} | {_yes(r['accepts_spe_offer'])} | {_share(r['lowest_accepted'])} / "
                f"{r['spe_rejection_value']:.4f} | {r['disagreements']} of {r['offers']} |"
            )
    return lines


def _pair(point: Mapping[str, float] | None) -> str:
    return "—" if point is None else f"({point['sender']:.4f}, {point['receiver']:.4f})"


def _share(value: float | None) -> str:
    return "none" if value is None else f"{value:.4f}"


def _yes(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "no")
