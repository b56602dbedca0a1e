"""``infobargain play``: any two players play episodes on the AEC env; each transcript ends beside the exact SPE.

Players are ``make_policy`` names: analytic ones (``spe``, ``bp``, ``random``, …), saved models (paths),
``human`` (this terminal) and ``llm:MODEL`` (a chat model). The env's transcript is printed as the game goes,
so a person sees every offer before deciding. After each episode: the outcome and the exact subgame-perfect
outcome of the protocol actually played (the env's offer space, its first proposer, its parameters), from
``theory.spe.subgame_perfect`` on :func:`infobargain.agents.analytic.game_problem`. With ``--out``,
``episodes.jsonl`` (one object per episode) and the chat models' transcripts are written there.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from infobargain.cli.arguments import (
    RawDefaultsHelpFormatter,
    add_env_arguments,
    add_game_arguments,
    add_import_argument,
    check_output_folder,
    env_game_from_args,
    env_kwargs_from_args,
    import_plugins,
    whole_number,
)
from infobargain.game.protocol import ROLES, Role

EXAMPLES = """examples:
  infobargain play --sender human --receiver spe
  infobargain play --sender spe --receiver human --protocol ultimatum --first-proposer receiver --offer-space grid
  INFOBARGAIN_LLM_BASE_URL=http://127.0.0.1:8000/v1 infobargain play --sender llm:MODEL --receiver spe \\
      --episodes 12 --seed 0 --out runs/play-llm
players: spe, bp, nash, obedient, ignore, threshold:T, random, human, llm:MODEL (see infobargain.agents.llm for its
environment variables), or the path of a saved player."""


def register(commands: Any) -> None:
    """Add the ``play`` subcommand to the CLI's subparsers."""
    parser = commands.add_parser(
        "play",
        help="play episodes between two players (analytic, saved, human, llm:MODEL) beside the exact SPE",
        description="Any two players play episodes on the AEC env; each transcript ends beside the exact SPE.",
        epilog=EXAMPLES,
        formatter_class=RawDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--sender", required=True, metavar="PLAYER", help="the sender: spe, bp, human, llm:MODEL, PATH …"
    )
    parser.add_argument("--receiver", required=True, metavar="PLAYER", help="the receiver (same names)")
    add_game_arguments(parser)
    add_env_arguments(parser)
    parser.add_argument("--episodes", type=whole_number(1), default=1, help="episodes to play")
    parser.add_argument(
        "--seed", type=whole_number(0), default=None, help="seeds episode k's env with SEED + k (default: unseeded)"
    )
    parser.add_argument(
        "--out", default=None, metavar="DIR", help="write episodes.jsonl and chat transcripts here (default: nothing)"
    )
    parser.add_argument("--run-dir", dest="out", help=argparse.SUPPRESS)  # the older spelling of --out
    parser.add_argument(
        "--no-fallback",
        action="store_true",
        help="stop with a non-zero exit when a chat model cannot decide, instead of letting its fallback player "
        "decide (the same as INFOBARGAIN_LLM_FALLBACK=none)",
    )
    add_import_argument(parser)
    parser.set_defaults(handler=command_play)


def _pair(payoffs: Any) -> str:
    return f"(U_S, U_R) = ({float(payoffs[0]):.4f}, {float(payoffs[1]):.4f})"


def _agreement(round_index: int | None) -> str:
    return "no deal" if round_index is None else f"deal in round {round_index}"


def _policy_seed(seed: int | None, episode: int, role: Role) -> int | None:
    if seed is None:
        return None
    return int(np.random.SeedSequence([seed, episode, ROLES.index(role)]).generate_state(1)[0])


def play_episode(env: Any, policies: dict[str, Any], seed: int | None, echo: bool = True) -> dict[str, Any]:
    """Play one episode on the AEC ``env``; print the transcript as it grows (``echo``); return the record."""
    from infobargain.agents.analytic import game_problem
    from infobargain.theory.spe import subgame_perfect

    raw = env.unwrapped
    env.reset(seed=seed)
    printed = 0

    def flush() -> None:
        nonlocal printed
        if echo:
            for line in raw.transcript[printed:]:
                print(line, flush=True)
        printed = len(raw.transcript)

    for agent in env.agent_iter():
        flush()
        observation, _, termination, truncation, _ = env.last()
        env.step(None if termination or truncation else policies[agent].act(observation))
    flush()
    spe = subgame_perfect(game_problem(raw), raw.rules, raw.first)
    payoffs = np.asarray(raw.payoffs if raw.payoffs is not None else raw.problem.d, dtype=np.float64)
    record = {
        "seed": seed,
        "first_proposer": raw.first,
        "transcript": list(raw.transcript),
        "deal": raw.deal is not None,
        "agreement_round": raw.end_round if raw.deal is not None else None,
        "payoffs": payoffs.tolist(),
        "spe_played": {"payoffs": [spe.payoffs.sender, spe.payoffs.receiver], "agreement_round": spe.agreement_round},
    }
    rules = raw.rules
    label = f"{rules.protocol}, {raw.first} first, T={rules.rounds}, p={rules.break_off:g}, δ={rules.discount:g}"
    label += f", {raw.encoding.name} offers"
    expected = "" if raw.realization == "expected" else " (sampled realization: the SPE is in expectation)"
    difference = payoffs - np.asarray(spe.payoffs)
    print(f"outcome:   {_agreement(record['agreement_round'])}, {_pair(payoffs)}{expected}")
    if raw.deal is not None and raw.realization == "expected":
        explained = _discounted(raw, payoffs)
        if explained:
            print(explained)
    print(f"exact SPE: {_agreement(spe.agreement_round)}, {_pair(spe.payoffs)}  [{label}]")
    print(f"outcome − SPE: ({difference[0]:+.4f}, {difference[1]:+.4f})", flush=True)
    return record


def _discounted(raw: Any, payoffs: Any) -> str | None:
    """Why a deal pays less than its offer's payoffs in expected mode (None when it pays them): each rejection
    before it risked a break-off (the break-off branch pays the disagreement point) and the payoffs are
    discounted per rejected round."""
    deal = np.asarray(raw.deal.payoffs, dtype=np.float64)
    if np.allclose(payoffs, deal, atol=5e-5):
        return None
    rounds, rules = raw.end_round or 0, raw.rules
    factor = raw.survival * rules.discount**rounds
    rest = np.asarray(payoffs) - factor * deal
    return (
        f"           the deal offers {_pair(deal)}; reached after {rounds} rejection(s), it is paid with weight "
        f"{factor:.4f} = (1 − p)^{rounds} · δ^{rounds} (each rejection risked a break-off, p = {rules.break_off:g}; "
        f"discount δ = {rules.discount:g}), and the break-off branch adds ({rest[0]:.4f}, {rest[1]:.4f}) "
        "(the disagreement point, weighted)"
    )


def command_play(args: argparse.Namespace) -> int:
    from infobargain.agents.llm import LLMPolicy
    from infobargain.agents.registry import check_reachable_threshold, make_policy
    from infobargain.envs.information_bargaining_v1 import env as make_env

    import_plugins(args)
    check_output_folder(args.out, "--out")
    env = make_env(
        game=env_game_from_args(args),
        render_mode="ansi",
        info_format="full",
        illegal_action="raise",
        **env_kwargs_from_args(args),
    )
    env.reset(seed=args.seed)  # the players read the game from a ready env
    specs: dict[Role, str] = {"sender": args.sender, "receiver": args.receiver}
    for role, spec in specs.items():
        check_reachable_threshold(spec, env, role)
    players = {role: make_policy(spec, env, role) for role, spec in specs.items()}
    if args.no_fallback:
        for player in players.values():
            if isinstance(player, LLMPolicy):
                player.refuses_fallback = True
    run_dir = Path(args.out) if args.out else None
    if run_dir is not None:
        run_dir.mkdir(parents=True, exist_ok=True)
        for player in players.values():
            if isinstance(player, LLMPolicy):
                player.set_run_dir(run_dir)
    policies = {env.unwrapped.possible_agents[ROLES.index(role)]: player for role, player in players.items()}
    records = []
    try:
        for episode in range(args.episodes):
            seed = None if args.seed is None else args.seed + episode
            for role, player in players.items():
                player.reset(_policy_seed(args.seed, episode, role))
            print(
                f"\n=== episode {episode + 1}/{args.episodes}: sender {specs['sender']}, receiver {specs['receiver']}"
            )
            record = play_episode(env, policies, seed)
            record.update(episode=episode, sender=specs["sender"], receiver=specs["receiver"])
            records.append(record)
            if run_dir is not None:
                with (run_dir / "episodes.jsonl").open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    except EOFError:
        raise ValueError("play: the input ended before the human player decided") from None
    if len(records) > 1:
        mean = np.mean([r["payoffs"] for r in records], axis=0)
        spe_mean = np.mean([r["spe_played"]["payoffs"] for r in records], axis=0)
        deals = sum(r["deal"] for r in records)
        print(f"\nmean over {len(records)} episodes ({deals} deals): {_pair(mean)}; exact SPE {_pair(spe_mean)}")
    for role, player in players.items():
        if isinstance(player, LLMPolicy):
            stats = player.stats
            print(
                f"{role} {player.spec}: {stats.decisions} decisions, {stats.requests} replies asked, "
                f"{stats.invalid_replies} unusable, {stats.fallbacks} fallbacks; transcript {player.transcript_path}"
            )
            for reason, count in Counter(stats.fallback_reasons).most_common():
                print(f"  {count} fallback(s): {reason}")
    return 0
