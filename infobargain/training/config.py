"""Run configurations: a TOML file people can read and diff, with command-line overrides.

A config has a ``[run]`` table (name, seed, algorithm, budget, checkpointing), an ``[env]`` table whose
keys are the environment's parameters (docs/design.md contract 2, e.g. ``protocol = "alternating"``), and
one table per algorithm (``[mappo]``, ``[qlearning]``, ``[sb3]``, ``[ibr]``, ``[rllib]``) holding its hyper-parameters.
Unknown keys are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from infobargain.game.limits import shown
from infobargain.game.protocol import ROLES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from infobargain.game.config import GAME_PARAMETERS, EnvConfig

ALGORITHMS = ("mappo", "qlearning", "sb3", "ibr", "rllib")
RUN_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}")
"""A run name is one folder under ``runs/``: no separator, no ``..``, no hidden folder."""

TRAINING_ENV_OVERRIDES: dict[str, Any] = {"first_proposer": "coin_flip", "grid_size": 21}
"""Where a run config deliberately departs from the env's defaults (``infobargain.game.config``): players
learn both seats (coin-flip first proposer) on a finer frontier grid (with 11 points the discretised pie's
SPE is far from the continuous one)."""

ENV_DEFAULTS: dict[str, Any] = {
    **{name: getattr(EnvConfig(), name) for name in GAME_PARAMETERS},
    **TRAINING_ENV_OVERRIDES,
}
"""The ``[env]`` table's defaults: the env's own, with :data:`TRAINING_ENV_OVERRIDES`."""


@dataclass
class RunSection:
    name: str = "run"
    """The run's folder under ``runs/``: letters, digits, ``.``, ``_`` and ``-``, not starting with ``.`` (so it
    cannot name a path outside ``runs/``)."""
    seed: int = 0
    algorithm: str = "mappo"
    total_steps: int = 300_000
    """Decisions (environment steps) to train for, summed over both players."""
    checkpoint_every: int = 10
    """Checkpoint every this many updates (iterations)."""
    keep_checkpoints: int = 3
    """Numbered checkpoints kept: the latest this many (0 keeps all), plus the best by ``best_metric``."""
    best_metric: str = "learner_payoff"
    """The metrics column whose highest value marks the best checkpoint (``-NAME``: the lowest; empty: none).
    Backends that do not log the column (self-play logs no single learner's payoff) keep only the latest."""
    eval_episodes: int = 200
    threads: int = 1
    """Torch threads: 1 avoids the collapse of batched ops on a shared 2-core machine."""
    device: str = "cpu"
    """Where the networks of the library's PPO live: ``cpu``, ``cuda`` or ``auto`` (a GPU if torch sees one)."""


@dataclass
class MappoSection:
    num_envs: int = 1024
    learning_rate: float = 1e-3
    update_epochs: int = 2
    minibatches: int = 1
    """Two epochs over each rollout, in one batch: on the main job's game (seeds 0–2) and the ultimatum the same
    outcomes, at the same steps, as four epochs of four minibatches, in half the time (``bench_learning.py``,
    ``bench_training.py``; 2026-11-26)."""
    clip_coef: float = 0.2
    entropy_coef: float = 0.02
    entropy_final: float = 0.002
    """Entropy bonus at the end of training; the coefficient decays linearly to it."""
    value_coef: float = 0.5
    max_grad_norm: float = 0.5
    hidden_size: int = 128
    subgame_starts: float = 0.9
    """Fraction of training episodes that start in a uniformly drawn round of the protocol (a subgame).
    Training every subgame directly is what lets self-play find subgame-perfect play, not just some
    equilibrium outcome; evaluation always starts in round 0."""
    critic: str = "independent"
    """``"independent"``: each player's value network sees its own observation (independent PPO, the behaviour
    before this option existed); ``"centralised"``: both players' observations of the game (MAPPO's centralised
    critic). Policies always act on their own observation. In this fully observed game both see the same state."""
    accept_bonus: float = 0.0
    """Training only, off by default: added to a responder's return when it accepts, so that learning breaks
    indifference towards acceptance as the exact SPE does (responders accept when indifferent). It biases
    outcomes; keep it well below the payoff differences that matter (e.g. 1e-3)."""
    subgame_curriculum: float = 0.0
    """Fraction of training over which subgame starts reach back from the last round to round 0 (0: off)."""


@dataclass
class QLearningSection:
    """Self-play Q-learning (:mod:`infobargain.training.qlearning`); discrete offer spaces only."""

    num_envs: int = 512
    """Games per update; fewer games mean more updates for the same decisions (values back up one round per
    few updates)."""
    learning_rate: float = 1e-3
    """Adam's step size; it decays linearly to 0 over the run."""
    update_epochs: int = 4
    minibatches: int = 2
    hidden_size: int = 128
    activation: str = "relu"
    """Hidden-layer activation (``"relu"`` or ``"tanh"``)."""
    exploration: float = 0.2
    """Probability of a uniformly random legal action at every decision (epsilon-greedy)."""
    first_exploration: float = 0.5
    """The same probability for the first decision of an episode (an exploring start)."""
    subgame_starts: float = 0.9
    """Fraction of episodes that start in a uniformly drawn round, half of them with a random offer on the table."""
    target_rate: float = 0.1
    """Polyak rate of the averaged network that acts and supplies bootstrap targets (1: no averaging)."""
    accept_bonus: float = 0.002
    """The tie-break of subgame perfection (responders accept when indifferent), which a learner cannot read off
    estimates that are never exactly equal: a responder accepts when accepting is estimated within this much of
    its best alternative (values themselves stay unbiased). Keep it below the smallest payoff difference a
    responder should act on (0: off; see the README)."""


@dataclass
class SB3Section:
    learner: str = "sender"
    opponent: str = "spe"
    algorithm: str = "auto"
    """``auto``: MaskablePPO for discrete offers, PPO for ``scheme``; or ``MaskablePPO``, ``PPO``, ``SAC``."""
    n_envs: int = 4
    learning_rate: float = 3e-4
    n_steps: int = 256
    batch_size: int = 256
    ent_coef: float = 0.01
    n_epochs: int = 10
    gamma: float = 1.0
    """Payoffs already carry the game's own break-off and discount; 1 adds no discounting of its own."""
    gae_lambda: float = 0.95
    hidden_size: int = 64
    """Two hidden layers of this width, for the actor and the critic."""
    vec_env: str = "dummy"
    """``dummy`` (one process: the game is cheap, so this is the fastest) or ``subproc`` (one process per env)."""
    log_greedy: bool = True
    """Log the greedy players' exact expected outcome (one expected-mode episode per first proposer) in each row."""


@dataclass
class IBRSection:
    rounds: int = 4
    """Alternations: each trains the sender, then the receiver, against the other's frozen copy."""
    pool: bool = False
    """Train against a uniform pool of all past opponents instead of the latest one."""
    start: str = "random"
    """The opponent of the first learner in the first round (any player name or saved-player path)."""
    first_learner: str = "sender"
    """Which side trains first in every round."""


@dataclass
class RLlibSection:
    address: str = ""
    """Ray cluster address (``HOST:6379``, ``auto``, ``ray://host:10001``); empty: ``RAY_ADDRESS`` if set, else a
    local Ray."""
    num_env_runners: int = 2
    """Sampling actors (0: sample in the driver process)."""
    num_envs_per_env_runner: int = 16
    """Games each env runner plays in lockstep, so that its module acts on batches (5-10x faster than 1 here)."""
    num_cpus_per_env_runner: int = 1
    num_learners: int = 0
    """Learner actors (0: learn in the driver process)."""
    num_gpus_per_learner: float = 0.0
    train_batch_size: int = 4000
    """Environment steps (decisions of both players) per training iteration."""
    minibatch_size: int = 1000
    num_epochs: int = 4
    learning_rate: float = 3e-4
    entropy_coef: float = 0.02
    gamma: float = 1.0
    gae_lambda: float = 1.0
    """With ``gamma`` 1: each decision's return is its player's episode reward, as in ``[mappo]``."""
    hidden_size: int = 64
    """Two tanh layers of this width for the policy and (separately) the value network of each player."""
    iterations: int = 0
    """Stop after this many training iterations in all (0: only ``run.total_steps`` stops the run)."""


RANGES: dict[str, tuple[float, float]] = {
    "run.seed": (0, 2**63 - 1),
    "run.total_steps": (1, 10**12),
    "run.checkpoint_every": (1, 10**9),
    "run.keep_checkpoints": (0, 10**6),
    "run.eval_episodes": (1, 10**7),
    "run.threads": (1, 1024),
    "mappo.num_envs": (1, 10**6),
    "mappo.learning_rate": (0, 10),
    "mappo.update_epochs": (1, 10**4),
    "mappo.minibatches": (1, 10**6),
    "mappo.clip_coef": (0, 10),
    "mappo.entropy_coef": (0, 10),
    "mappo.entropy_final": (0, 10),
    "mappo.value_coef": (0, 100),
    "mappo.max_grad_norm": (0, 10**6),
    "mappo.hidden_size": (1, 16384),
    "mappo.subgame_starts": (0, 1),
    "mappo.accept_bonus": (0, 1),
    "mappo.subgame_curriculum": (0, 1),
    "qlearning.num_envs": (1, 10**6),
    "qlearning.learning_rate": (0, 10),
    "qlearning.update_epochs": (1, 10**4),
    "qlearning.minibatches": (1, 10**6),
    "qlearning.hidden_size": (1, 16384),
    "qlearning.exploration": (0, 1),
    "qlearning.first_exploration": (0, 1),
    "qlearning.subgame_starts": (0, 1),
    "qlearning.target_rate": (0, 1),
    "qlearning.accept_bonus": (0, 1),
    "sb3.n_envs": (1, 4096),
    "sb3.learning_rate": (0, 10),
    "sb3.n_steps": (1, 10**7),
    "sb3.batch_size": (2, 10**7),
    "sb3.ent_coef": (0, 10),
    "sb3.n_epochs": (1, 10**4),
    "sb3.gamma": (0, 1),
    "sb3.gae_lambda": (0, 1),
    "sb3.hidden_size": (1, 16384),
    "ibr.rounds": (1, 10**4),
    "rllib.num_env_runners": (0, 10**4),
    "rllib.num_envs_per_env_runner": (1, 10**5),
    "rllib.num_cpus_per_env_runner": (0, 1024),
    "rllib.num_learners": (0, 10**4),
    "rllib.num_gpus_per_learner": (0, 1024),
    "rllib.train_batch_size": (1, 10**9),
    "rllib.minibatch_size": (1, 10**9),
    "rllib.num_epochs": (1, 10**4),
    "rllib.learning_rate": (0, 10),
    "rllib.entropy_coef": (0, 10),
    "rllib.gamma": (0, 1),
    "rllib.gae_lambda": (0, 1),
    "rllib.hidden_size": (1, 16384),
    "rllib.iterations": (0, 10**9),
}
"""Inclusive ``(low, high)`` of every numeric hyper-parameter, checked when a config is loaded or changed (plus
finiteness; learning rates, ``clip_coef``, ``max_grad_norm`` and ``qlearning.target_rate`` must also be above 0)."""
POSITIVE = frozenset(
    {
        "mappo.learning_rate",
        "mappo.clip_coef",
        "mappo.max_grad_norm",
        "qlearning.learning_rate",
        "qlearning.target_rate",
        "sb3.learning_rate",
        "rllib.learning_rate",
    }
)
CHOICES: dict[str, tuple[str, ...]] = {
    "mappo.critic": ("independent", "centralised"),
    "qlearning.activation": ("relu", "tanh"),
    "sb3.learner": ROLES,
    "sb3.vec_env": ("dummy", "subproc"),
    "sb3.algorithm": ("auto", "MaskablePPO", "PPO", "SAC"),
    "ibr.first_learner": ROLES,
}

SECTIONS: dict[str, type] = {
    "run": RunSection,
    "mappo": MappoSection,
    "qlearning": QLearningSection,
    "sb3": SB3Section,
    "ibr": IBRSection,
    "rllib": RLlibSection,
}


class ConfigError(ValueError):
    """A run configuration is malformed; the message names the key."""


@dataclass
class RunConfig:
    run: RunSection = field(default_factory=RunSection)
    env: dict[str, Any] = field(default_factory=lambda: dict(ENV_DEFAULTS))
    mappo: MappoSection = field(default_factory=MappoSection)
    qlearning: QLearningSection = field(default_factory=QLearningSection)
    sb3: SB3Section = field(default_factory=SB3Section)
    ibr: IBRSection = field(default_factory=IBRSection)
    rllib: RLlibSection = field(default_factory=RLlibSection)

    # building

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunConfig:
        config = cls()
        for section, values in data.items():
            if not isinstance(values, Mapping):
                raise ConfigError(f"{section}: must be a table")
            for key, value in values.items():
                config.set(f"{section}.{key}", value)
        config.validate()
        return config

    @classmethod
    def load(cls, path: str | Path) -> RunConfig:
        try:
            data = tomllib.loads(Path(path).read_text())
        except OSError as error:
            raise ConfigError(f"config: cannot read {path}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"config: {path} is not a text file (TOML is UTF-8 text)") from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"config: {path} is not valid TOML ({error})") from None
        except RecursionError:
            raise ConfigError(f"config: {path} is nested too deeply to be a run config") from None
        return cls.from_dict(data)

    def set(self, dotted: str, value: Any) -> None:
        """Set ``section.key`` (values from the command line arrive as strings and are converted)."""
        section, _, key = dotted.partition(".")
        if not key:
            raise ConfigError(f"{dotted}: expected SECTION.KEY (sections: env, {', '.join(SECTIONS)})")
        if section == "env":
            if key not in ENV_DEFAULTS:
                raise ConfigError(f"env.{key}: unknown environment parameter (known: {', '.join(ENV_DEFAULTS)})")
            self.env[key] = _convert(value, type(ENV_DEFAULTS[key]), dotted)
            return
        if section not in SECTIONS:
            raise ConfigError(f"{section}: unknown section (known: env, {', '.join(SECTIONS)})")
        target = getattr(self, section)
        types = {f.name: type(getattr(target, f.name)) for f in fields(target)}
        if key not in types:
            raise ConfigError(f"{dotted}: unknown key (known: {', '.join(types)})")
        setattr(target, key, _convert(value, types[key], dotted))

    def override(self, assignments: Iterable[str]) -> None:
        """Apply ``SECTION.KEY=VALUE`` strings."""
        for assignment in assignments:
            dotted, sep, value = assignment.partition("=")
            if not sep:
                raise ConfigError(f"--set {assignment}: expected SECTION.KEY=VALUE")
            self.set(dotted.strip(), value.strip())
        self.validate()

    def validate(self) -> None:
        if not RUN_NAME.fullmatch(self.run.name):
            raise ConfigError(
                f"run.name: must be letters, digits, '.', '_' or '-' and not start with '.', got {shown(self.run.name)}"
            )
        if self.run.algorithm not in ALGORITHMS:
            raise ConfigError(f"run.algorithm: must be one of {ALGORITHMS}, got {shown(self.run.algorithm)}")
        if not (self.run.device in ("cpu", "auto") or self.run.device.startswith("cuda")):
            raise ConfigError(f"run.device: must be 'cpu', 'cuda', 'cuda:N' or 'auto', got {shown(self.run.device)}")
        for dotted, (low, high) in RANGES.items():
            section, _, key = dotted.partition(".")
            value = getattr(getattr(self, section), key)
            above = value > low if dotted in POSITIVE else value >= low
            if not (math.isfinite(value) and above and value <= high):
                bound = f"> {low:g}" if dotted in POSITIVE else f">= {low:g}"
                raise ConfigError(f"{dotted}: must be a finite number {bound} and <= {high:g}, got {shown(value)}")
        for dotted, allowed in CHOICES.items():
            section, _, key = dotted.partition(".")
            if getattr(getattr(self, section), key) not in allowed:
                raise ConfigError(
                    f"{dotted}: must be one of {', '.join(allowed)}, got {shown(getattr(getattr(self, section), key))}"
                )
        from infobargain.envs.information_bargaining_v0 import raw_env, resolve_game
        from infobargain.game.limits import check_env_size

        try:
            check_env_size(resolve_game(self.env["game"]), self.env)  # before the env allocates anything
            raw_env(**self.env)
        except (ValueError, TypeError) as error:
            message = str(error)
            raise ConfigError(f"env: {message if len(message) <= 300 else message[:300] + '…'}") from None

    # writing

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"run": vars(self.run).copy(), "env": dict(self.env)}
        for name in SECTIONS:
            if name == "run":
                continue
            data[name] = vars(getattr(self, name)).copy()
        return data

    def to_toml(self) -> str:
        return dump_toml(self.to_dict())

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_toml())


def _convert(value: Any, kind: type, name: str) -> Any:
    if not isinstance(value, str) or kind is str:
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        wrong_bool = isinstance(value, bool) and kind is not bool  # True is an int to Python, not to a config
        if (
            wrong_bool
            or (kind is not str and not isinstance(value, kind))
            or (kind is str and not isinstance(value, str))
        ):
            raise ConfigError(f"{name}: expected {kind.__name__}, got {shown(value)}")
        return value
    try:
        if kind is bool:
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return value.lower() in ("true", "1", "yes")
        return kind(value)
    except ValueError:
        raise ConfigError(f"{name}: expected {kind.__name__}, got {shown(value)}") from None


def dump_toml(data: Mapping[str, Mapping[str, Any]]) -> str:
    """Tables of scalars (and lists of scalars) as TOML; enough for run configs, no dependency needed."""
    lines: list[str] = []
    for section, values in data.items():
        lines.append(f"[{section}]")
        for key, value in values.items():
            lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise ConfigError(f"config: cannot write {shown(value)} to TOML")
