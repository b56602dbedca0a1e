"""Each algorithm's settings: one dataclass per run-config section, its checks declared on its fields.

A field made with :func:`setting` carries its inclusive range (``low``/``high``, plus ``positive`` for ``> low``)
or its allowed values (``choices``); :func:`check_settings` enforces them, with finiteness, whenever a run config
is loaded or changed. A plug-in algorithm's settings class uses the same helper (or none: then only the types
are checked). Which algorithm reads which section is the registry's business
(:mod:`infobargain.training.algorithms`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from typing import Any

from infobargain.game.limits import shown
from infobargain.game.protocol import ROLES


def setting(
    default: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    positive: bool = False,
    choices: Sequence[Any] | None = None,
) -> Any:
    """A settings field with its checks: a number in ``[low, high]`` (``(low, high]`` when ``positive``), or one of
    ``choices``."""
    return field(default=default, metadata={"low": low, "high": high, "positive": positive, "choices": choices})


class SettingsError(ValueError):
    """A setting is out of its range or not one of its choices; the message names ``section.key``."""


def check_settings(section: str, settings: Any) -> None:
    """Raise :class:`SettingsError` for the first field of ``settings`` that breaks its declared check."""
    if not is_dataclass(settings):
        return
    for spec in fields(settings):
        value, meta, dotted = getattr(settings, spec.name), spec.metadata, f"{section}.{spec.name}"
        if meta.get("choices") is not None and value not in meta["choices"]:
            allowed = ", ".join(str(choice) for choice in meta["choices"])
            raise SettingsError(f"{dotted}: must be one of {allowed}, got {shown(value)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        low, high, positive = meta.get("low"), meta.get("high"), meta.get("positive", False)
        above = low is None or (value > low if positive else value >= low)
        if not (math.isfinite(value) and above and (high is None or value <= high)):
            bounds = [f"> {low:g}" if positive else f">= {low:g}"] if low is not None else []
            bounds += [f"<= {high:g}"] if high is not None else []
            raise SettingsError(f"{dotted}: must be a finite number {' and '.join(bounds)}, got {shown(value)}")


def field_types(settings: Any) -> dict[str, type]:
    """Each field's type, read off its default (what a string from the command line converts to)."""
    types = {}
    for spec in fields(settings):
        default = spec.default if spec.default is not MISSING else getattr(settings, spec.name)
        types[spec.name] = type(default)
    return types


@dataclass
class PPOSection:
    """The library's PPO (:mod:`infobargain.training.mappo`): ``[mappo]`` (centralised critic) and ``[ippo]``
    (independent critics) read the same settings."""

    num_envs: int = setting(1024, low=1, high=10**6)
    learning_rate: float = setting(1e-3, low=0, high=10, positive=True)
    update_epochs: int = setting(2, low=1, high=10**4)
    minibatches: int = setting(1, low=1, high=10**6)
    """Two epochs over each rollout, in one batch: the same outcomes as four epochs of four minibatches at about
    half the cost (``benchmarks/bench_learning.py`` and ``bench_training.py`` compare them)."""
    clip_coef: float = setting(0.2, low=0, high=10, positive=True)
    entropy_coef: float = setting(0.02, low=0, high=10)
    entropy_final: float = setting(0.002, low=0, high=10)
    """Entropy bonus at the end of training; the coefficient decays linearly to it."""
    value_coef: float = setting(0.5, low=0, high=100)
    max_grad_norm: float = setting(0.5, low=0, high=10**6, positive=True)
    hidden_size: int = setting(128, low=1, high=16384)
    subgame_starts: float = setting(0.9, low=0, high=1)
    """Fraction of training episodes that start in a uniformly drawn round of the protocol (a subgame).
    Training every subgame directly is what lets self-play find subgame-perfect play, not just some
    equilibrium outcome; evaluation always starts in round 0."""
    accept_bonus: float = setting(0.0, low=0, high=1)
    """Training only, off by default: added to a responder's return when it accepts, so that learning breaks
    indifference towards acceptance as the exact SPE does (responders accept when indifferent). It biases
    outcomes; keep it well below the payoff differences that matter (e.g. 1e-3)."""
    subgame_curriculum: float = setting(0.0, low=0, high=1)
    """Fraction of training over which subgame starts reach back from the last round to round 0 (0: off)."""


@dataclass
class QLearningSection:
    """Self-play Q-learning (:mod:`infobargain.training.qlearning`); discrete offer spaces only."""

    num_envs: int = setting(512, low=1, high=10**6)
    """Games per update; fewer games mean more updates for the same decisions (values back up one round per
    few updates)."""
    learning_rate: float = setting(1e-3, low=0, high=10, positive=True)
    """Adam's step size; it decays linearly to 0 over the run."""
    update_epochs: int = setting(4, low=1, high=10**4)
    minibatches: int = setting(2, low=1, high=10**6)
    hidden_size: int = setting(128, low=1, high=16384)
    activation: str = setting("relu", choices=("relu", "tanh"))
    """Hidden-layer activation (``"relu"`` or ``"tanh"``)."""
    exploration: float = setting(0.2, low=0, high=1)
    """Probability of a uniformly random legal action at every decision (epsilon-greedy)."""
    first_exploration: float = setting(0.5, low=0, high=1)
    """The same probability for the first decision of an episode (an exploring start)."""
    subgame_starts: float = setting(0.9, low=0, high=1)
    """Fraction of episodes that start in a uniformly drawn round, half of them with a random offer on the table."""
    dueling: bool = True
    """Q-networks with a dueling head, a situation's value plus mean-centred advantages
    (:class:`~infobargain.agents.networks.DuelingHead`): the estimates of rarely taken actions follow their
    situation's value as later rounds are backed up (false: one output per action, as before)."""
    offer_head: bool = False
    """Q-networks that score every offer with one shared network from what it pays (its payoffs in the
    observation's offer menu; :class:`~infobargain.agents.networks.OfferHead`), so the same rule serves every
    offer of every game; frontier offers only, and with ``dueling = false`` (false: one output per action)."""
    lookahead: int = setting(1, low=0, high=1000)
    """Offers valued per offering decision besides the one made: each, drawn at random, is played on a branch of
    the env against the other player's greedy reply, and one it accepts gives the offer a target, so a proposer's
    estimates of claims it rarely makes follow the responder's current choices (0: off, as before issue 26)."""
    target_rate: float = setting(0.1, low=0, high=1, positive=True)
    """Polyak rate of the averaged network that acts and supplies bootstrap targets (1: no averaging)."""
    accept_bonus: float = setting(0.002, low=0, high=1)
    """The tie-break of subgame perfection (responders accept when indifferent), which a learner cannot read off
    estimates that are never exactly equal: a responder accepts when accepting is estimated within this much of
    its best alternative (values themselves stay unbiased). Keep it below the smallest payoff difference a
    responder should act on (0: off; see the README)."""


@dataclass
class SB3Section:
    learner: str = setting("sender", choices=ROLES)
    opponent: str = "spe"
    algorithm: str = setting("auto", choices=("auto", "MaskablePPO", "PPO", "SAC"))
    """``auto``: MaskablePPO for discrete offers, PPO for ``scheme``; or ``MaskablePPO``, ``PPO``, ``SAC``."""
    n_envs: int = setting(4, low=1, high=4096)
    learning_rate: float = setting(3e-4, low=0, high=10, positive=True)
    n_steps: int = setting(256, low=1, high=10**7)
    batch_size: int = setting(256, low=2, high=10**7)
    ent_coef: float = setting(0.01, low=0, high=10)
    n_epochs: int = setting(10, low=1, high=10**4)
    gamma: float = setting(1.0, low=0, high=1)
    """Payoffs already carry the game's own break-off and discount; 1 adds no discounting of its own."""
    gae_lambda: float = setting(0.95, low=0, high=1)
    hidden_size: int = setting(64, low=1, high=16384)
    """Two hidden layers of this width, for the actor and the critic."""
    vec_env: str = setting("dummy", choices=("dummy", "subproc"))
    """``dummy`` (one process: the game is cheap, so this is the fastest) or ``subproc`` (one process per env)."""
    log_greedy: bool = True
    """Log the greedy players' exact expected outcome (one expected-mode episode per first proposer) in each row."""


@dataclass
class IBRSection:
    rounds: int = setting(4, low=1, high=10**4)
    """Alternations: each trains the sender, then the receiver, against the other's frozen copy."""
    pool: bool = False
    """Train against a uniform pool of all past opponents instead of the latest one."""
    start: str = "random"
    """The opponent of the first learner in the first round (any player name or saved-player path)."""
    first_learner: str = setting("sender", choices=ROLES)
    """Which side trains first in every round."""


@dataclass
class RLlibSection:
    address: str = ""
    """Ray cluster address (``HOST:6379``, ``auto``, ``ray://host:10001``); empty: ``RAY_ADDRESS`` if set, else a
    local Ray."""
    num_env_runners: int = setting(2, low=0, high=10**4)
    """Sampling actors (0: sample in the driver process)."""
    num_envs_per_env_runner: int = setting(16, low=1, high=10**5)
    """Games each env runner plays in lockstep, so that its module acts on batches (5-10x faster than 1 here)."""
    num_cpus_per_env_runner: int = setting(1, low=0, high=1024)
    num_learners: int = setting(0, low=0, high=10**4)
    """Learner actors (0: learn in the driver process)."""
    num_gpus_per_learner: float = setting(0.0, low=0, high=1024)
    train_batch_size: int = setting(4000, low=1, high=10**9)
    """Environment steps (decisions of both players) per training iteration."""
    minibatch_size: int = setting(1000, low=1, high=10**9)
    num_epochs: int = setting(4, low=1, high=10**4)
    learning_rate: float = setting(3e-4, low=0, high=10, positive=True)
    entropy_coef: float = setting(0.02, low=0, high=10)
    gamma: float = setting(1.0, low=0, high=1)
    gae_lambda: float = setting(1.0, low=0, high=1)
    """With ``gamma`` 1: each decision's return is its player's episode reward, as in ``[mappo]``."""
    hidden_size: int = setting(64, low=1, high=16384)
    """Two tanh layers of this width for the policy and (separately) the value network of each player."""
    iterations: int = setting(0, low=0, high=10**9)
    """Stop after this many training iterations in all (0: only ``run.total_steps`` stops the run)."""


@dataclass
class BenchMARLSection:
    """BenchMARL's experiment (``[benchmarl_NAME]``, the ``benchmarl`` extra). 0 keeps BenchMARL's own default; the
    algorithm's hyperparameters are always BenchMARL's."""

    frames_per_batch: int = setting(0, low=0, high=10**9)
    """Decisions collected per iteration (BenchMARL: 6000; never more than the budget)."""
    n_envs: int = setting(0, low=0, high=10**5)
    """Games collected side by side (BenchMARL: 10)."""
    minibatch_iters: int = setting(0, low=0, high=10**6)
    """On-policy algorithms' minibatch updates per iteration (BenchMARL: 45)."""
    optimizer_steps: int = setting(0, low=0, high=10**7)
    """Off-policy algorithms' optimizer steps per iteration (BenchMARL: 1000)."""
