"""Information Bargaining

| Import             | `from infobargain.envs import information_bargaining_v0`  |
|--------------------|-----------------------------------------------------------|
| Actions            | Discrete (`grid`, `frontier`) or Box (`scheme`)            |
| Parallel API       | Yes                                                        |
| Manual control     | `infobargain play --sender human --receiver spe`           |
| Agents             | `agents = ['sender_0', 'receiver_0']`                      |
| Number of agents   | 2                                                          |
| Action shape       | `(1,)` discrete, `(1 + S·Σ,)` scheme                       |
| Observation shape  | `{"observation": (n,), "action_mask": (n_actions,)}`       |

A sender who will know the state of the world and a receiver who acts on it bargain over the sender's
signaling scheme, then live with the deal in a realization stage (Lin et al., "Information Bargaining:
Bilateral Commitment in Bayesian Persuasion", 2025; docs/theory.md in this project). Both players commit:
a receiver that accepts a scheme obeys it (best-responds to every posterior, `π1`); without a deal it
ignores all signals (`π0`) and both get the disagreement point `d`. The same environment plays plain
bargaining over a pie, the paper's validation game.

### Arguments

``` python
information_bargaining_v0.env(
    game="pure_math", protocol="alternating", first_proposer="sender", max_rounds=10,
    break_off=0.1, discount=1.0, tie_break="sender", obedience_margin=0.0,
    receiver_offer="threshold", realization="expected", realization_rounds=10,
    offer_space="frontier", grid_size=11, max_cycles=None, render_mode=None,
    observation_format="dict", info_format="full", illegal_action="raise",  # env() and parallel_env() only
)
```

`game`: one game: a scenario name (`"pure_math"`, `"grading_students"`, `"selling_products"`, `"prosecutor"`,
`"split_pie"`, `"split_pie_bounded"`, `"random:SxA:SEED"`), a path to an instance JSON file, an `Instance` or
a `SplitPie`. Or a distribution of instances, a new one drawn at every reset from the env's `np_random`, for
agents that generalise across instances (`infobargain.game.distributions`): `"random:SxA"` (a fresh random
instance every episode), `"family:paper"` (the paper's three scenarios), `"family:signaling"`, a folder of
instance files, a list of games, or a sampler `f(np_random) -> Instance`. All instances of a distribution
have the same numbers of states, actions and signals; `env.unwrapped.game` is the one being played.

`protocol`: `"ultimatum"` (one offer), `"fixed_role"` (the first proposer offers up to `max_rounds` times),
`"alternating"` (roles swap after each rejection; a counter-offer is how a responder rejects).

`first_proposer`: `"sender"`, `"receiver"` or `"coin_flip"` (drawn at reset from the env's `np_random`).

`max_rounds`: offers allowed (ignored by `"ultimatum"`). `break_off`: probability that bargaining breaks down
after a rejection. `discount`: payoff factor per rejected round.

`tie_break`, `obedience_margin`: how an indifferent receiver breaks ties (`"sender"`: in the sender's
favour; `"receiver"`: against it) and the margin by which the theory layer's obedient schemes must beat
every other action. Both are passed to the theory layer, so benchmarks and the env agree.

`receiver_offer`: a receiver offers a demanded scheme `φ1`. `"threshold"`: the sender that accepts commits to
its best scheme giving the receiver at least `U_R(φ1)`; `"exact"`: to `φ1` itself.

`realization`: `"expected"` pays the exact expected utilities of the outcome in one reward at the end of
bargaining; nature's moves (break-off and the realization stage) are replaced by their expectations, so a
rejection in round `t` moves probability mass `break_off` to a breakdown paying `discount**t · d`.
`"sampled"` draws break-offs, then plays `realization_rounds` rounds: nature draws the state, the
committed scheme draws a signal, the receiver plays its committed rule, and both are paid
`discount**t · u(s, a)` every round (`t`: the round bargaining ended). The episode payoff, reported in
`infos[agent]["outcome"]`, is the mean of those rewards. Nobody decides anything in the realization stage
(bilateral commitment): there, each agent's only legal action is `ACCEPT` (0), which passes; the sender
observes the state and the receiver the signal.

`offer_space`: `"scheme"`, `"grid"` or `"frontier"` (see `infobargain.envs.offers`; a pie needs `"frontier"`).
`grid_size`: levels per probability for `"grid"`, points along the frontier for `"frontier"`.

`max_cycles`: an outside cap; after `max_cycles` cycles (each agent acting once: `2 · max_cycles` AEC steps,
`max_cycles` Parallel steps) an unfinished episode is **truncated**. Deals, breakdowns and the protocol's own
deadline are **terminations**.

`observation_format`, `info_format`, `illegal_action`: conventions of other libraries (next section).

### Library conventions

`env()` and `parallel_env()` (not `raw_env`) take three options, all defaulting to PettingZoo's classic form;
`docs/clients.md` shows each MARL library's path with them.

- `observation_format`: `"dict"` (`{"observation": float64, "action_mask": int8}`), `"box"` (the vector alone
  as float32, for SuperSuit and SB3's `MlpPolicy`; the mask stays in `infos[agent]["action_mask"]`) or
  `"rllib"` (`{"observations", "action_mask"}`, both float32, the keys of RLlib's masking module).
- `info_format`: `"full"` (descriptive: strings, nested dicts, keys present when they apply) or `"numeric"`
  (the same facts as floats under the same keys on every step, for libraries that batch infos into tensors:
  TorchRL, Tianshou's `Collector`).
- `illegal_action`: `"raise"` (the default; always `raw_env`'s behaviour) raises `ActionError`, since a
  masked pipeline never sends an illegal action and an error finds the bug; `"disagree"` makes the offender
  walk away (no deal, both get the disagreement outcome, `infos[agent]["illegal_action"]` set), a move the
  game already has, for libraries that sample without masks (RLlib's env pre-check, SuperSuit with plain
  PPO). PettingZoo's `TerminateIllegalWrapper` (−1 for the offender, 0 for the other) is not offered: those
  numbers mean nothing on a general-sum game's payoff scale. Malformed actions raise under both.

### Timing

Offers are numbered `t = 0, 1, …`; `max_rounds` counts offers. The proposer of round `t` offers; the
responder accepts (`ACCEPT`), rejects (`REJECT`: fixed-role, ultimatum, and the last round of alternating
offers) or, in alternating offers before the last round, counter-offers, which both rejects and makes
round `t + 1`'s offer. After a rejection in round `t < max_rounds − 1` bargaining breaks down with
probability `break_off`; a rejection in the last round ends it without a deal. An episode whose bargaining
ends in round `t` pays `discount**t` times the deal's payoffs, or times `d` after a breakdown or the
deadline. Responders are never forced: accepting when indifferent (up to one relative tolerance) is the
convention of the game core, `infobargain.game.state`, where these rules live: the env plays its `State`,
takes the expectation over its break-off chance nodes in expected mode, and adds the realization stage.

### Action space

Discrete encodings: `0` ACCEPT (also "pass"), `1` REJECT, `2 …` offers; the `action_mask` marks the legal
ones (a proposer must offer; a waiting agent may only pass). `"scheme"`: `Box(-1, 1, (1 + S·Σ,))`, entry 0
the decision (`>= 0` accepts), the rest the scheme, row-normalised after mapping `[-1, 1] → [0, 1]`; every
vector is legal, so there is no mask. The scheme actually used is echoed in `infos[agent]["offer"]`.
Anything else (NaN, infinity, `None`, integers outside the space, arrays of the wrong shape, a Discrete
action wrapped in a 1-element array) raises `ActionError`, a `ValueError` naming the agent;
`check_action(agent, action)` asks without playing.

### Observation space

`{"observation": float64 vector, "action_mask": int8 vector}` (no mask for `"scheme"`). The vector holds
what is common knowledge: the prior and both utility tables (a pie: its share-to-payoff lines), `d`, for
`"frontier"` the offer menu (below), the
agent's role (one-hot), whether it acts now and whether it proposes this round, the phase, the round
(one-hot), the offer on the table (its scheme or kept share and both players' payoffs if accepted,
whether the agent made it), whether a deal was struck; then private information: in the realization
stage the sender sees the state (one-hot) and the receiver the signal (one-hot). `state()` returns all of
it for both players. `env.unwrapped.observation_layout` names every slice.

**The offer menu** (`"frontier"` only) makes every action legible in a game the player has never seen: a
frontier action means "the k-th point along this game's frontier", whose payoffs depend on the game, so the
observation lists both players' payoffs of every offer of both proposers, `[proposer (sender, receiver),
offer k, (sender payoff, receiver payoff)]` flattened. `"grid"` and `"scheme"` actions name the same scheme
in every game, and the prior and utilities in the observation say what it pays.

### Game state

`env.unwrapped.view` (also `parallel_env().view` and the Gymnasium views' `view`) is a public, read-only
`GameView` of the game and the situation: the protocol, the bargaining problem and offer encoding, the
round, proposer, offer on the table and deal, a copy of the core state, the transcript. Players that need
more than their observation read it (`act(policy, observation, view)` hands it over), so one player object
plays in any env of its configuration.

### Rewards

Expected mode: each agent's expected utility, once, when bargaining ends. Sampled mode: each agent's
utility every realization round. All rewards are the agent's own; no shaping.

### Version history

* v0: first release; the rules moved into the game core (`infobargain.game.state`), a public `GameView`, and
  the library-convention options of `env()`/`parallel_env()` (no change to the game or its spaces).
* v0, distributions of games: `game=` takes distributions, and `"frontier"` observations gained the offer
  menu (the observation vector grew by `4 · grid_size`; players saved before it are refused at loading, with
  the sizes named). The game, its rules and its action spaces are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import gymnasium
import numpy as np
from numpy.typing import NDArray
from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.utils import wrappers
from pettingzoo.utils.env_logger import EnvLogger
from pettingzoo.utils.wrappers.order_enforcing import AECOrderEnforcingIterable, AECOrderEnforcingIterator

from infobargain.envs.conventions import with_conventions
from infobargain.envs.offers import (
    ACCEPT,
    FIRST_OFFER,
    RECEIVER_OFFERS,
    REJECT,
    DiscreteOffers,
    Offer,
    OfferEncoding,
    make_offer_encoding,
)
from infobargain.envs.view import GameView, act
from infobargain.game.config import ENV_DEFAULTS, GameSpec
from infobargain.game.distributions import InstanceDistribution, resolve_game
from infobargain.game.instance import Instance
from infobargain.game.pie import SplitPie
from infobargain.game.protocol import ROLE_INDEX, Protocol, Role, other
from infobargain.game.schemes import check_tie_break, default_action, obey_actions
from infobargain.game.state import BREAK_DOWN, CONTINUE, State
from infobargain.theory.problem import BargainingProblem, bargaining_problem, check_margin_for

AGENTS: dict[Role, str] = {"sender": "sender_0", "receiver": "receiver_0"}
ROLE_OF: dict[str, Role] = {name: role for role, name in AGENTS.items()}
Realization = Literal["expected", "sampled"]
REALIZATIONS: tuple[Realization, ...] = ("expected", "sampled")
Phase = Literal["bargaining", "realization", "done"]
__all__ = [
    "AGENTS",
    "ROLE_OF",
    "ActionError",
    "GameSpec",
    "GameView",
    "ObservationLayout",
    "act",
    "env",
    "parallel_env",
    "raw_env",
    "resolve_game",
]


def game_observations(
    layout: ObservationLayout,
    d: NDArray[np.float64],
    menu: NDArray[np.float64] | None,
    *,
    prior: NDArray[np.float64] | None = None,
    utilities: NDArray[np.float64] | None = None,
    pie: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """``[games, observation]``: the game part of the observation of a batch of games (other entries 0), from
    their ``d`` ``[games, 2]``, offer menus ``[games, 2, K, 2]`` (when the layout has one), and either priors and
    utilities ``[games, 2 (sender, receiver), S, A]`` or a pie's description ``[games, 6]``. The AEC env and the
    vector env both build their observations with it."""
    vector = np.zeros((len(d), layout.size), dtype=np.float64)
    if pie is not None:
        vector[:, layout["pie"]] = pie
    else:
        assert prior is not None and utilities is not None
        vector[:, layout["prior"]] = prior
        vector[:, layout["sender_utility"]] = utilities[:, 0].reshape(len(d), -1)
        vector[:, layout["receiver_utility"]] = utilities[:, 1].reshape(len(d), -1)
    vector[:, layout["disagreement"]] = d
    if "offer_menu" in layout.slices:
        assert menu is not None
        vector[:, layout["offer_menu"]] = menu.reshape(len(d), -1)
    return vector


class ActionError(ValueError):
    """An action the env cannot play: not in the action space, or not legal now. ``shape`` marks a malformed
    action (wrong shape), which the Gymnasium views raise even where they treat illegal actions as walking away."""

    def __init__(self, message: str, *, shape: bool = False) -> None:
        super().__init__(message)
        self.shape = shape


def _integer(action: Any) -> int | None:
    """``action`` as a Discrete index, or ``None`` when it is not an integer (floats must be whole numbers;
    arrays must be 0-dimensional)."""
    if isinstance(action, (int, np.integer)) and not isinstance(action, (bool, np.bool_)):
        return int(action)
    if isinstance(action, np.ndarray):
        if action.ndim > 0 or action.dtype.kind not in "iuf":
            return None
        action = action.item()
        if isinstance(action, int):
            return action
    if isinstance(action, (float, np.floating)) and np.isfinite(action) and float(action).is_integer():
        return int(action)
    return None


class ObservationLayout:
    """Named slices of the flat observation vector."""

    def __init__(self, parts: list[tuple[str, int]]) -> None:
        self.slices: dict[str, slice] = {}
        start = 0
        for name, size in parts:
            self.slices[name] = slice(start, start + size)
            start += size
        self.size = start
        self.starts = {name: part.start for name, part in self.slices.items()}
        """Where each slice starts (what a one-hot entry is written at)."""

    def __getitem__(self, name: str) -> slice:
        return self.slices[name]


def env(
    observation_format: str = "dict", info_format: str = "full", illegal_action: str = "raise", **kwargs: Any
) -> AECEnv:
    """The AEC environment with PettingZoo's order enforcement. (``raw_env`` checks every action against its
    space and mask itself, with clearer messages than PettingZoo's bounds-checking wrapper.) The first three
    options adapt it to other libraries' conventions (:mod:`infobargain.envs.conventions`)."""
    conventions = with_conventions(raw_env(**kwargs), observation_format, info_format, illegal_action)
    return _OrderEnforcingWrapper(conventions)


class _AfterReset:
    """An attribute of the wrapped env read through the order-enforcing wrapper, with PettingZoo's error before
    reset. A class-level descriptor: the inherited ``__getattr__`` chain it replaces costs about 0.6 µs per read, and
    ``agent_iter()`` and ``step()`` read ``agents`` and ``agent_selection`` on every step. Only reads are
    intercepted (a non-data descriptor), so assigning on the wrapper behaves as before."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, wrapper: Any, owner: type | None = None) -> Any:
        if wrapper is None:
            return self
        if not wrapper._has_reset:
            raise AttributeError(f"{self.name} cannot be accessed before reset")
        return getattr(wrapper.env, self.name)


class _OrderEnforcingWrapper(wrappers.OrderEnforcingWrapper):
    """PettingZoo's order enforcement, with ``last()`` answered by the env in one call (the inherited one forwards
    half a dozen attributes through ``__getattr__`` on every step, a third of ``env()``'s time) and the attributes
    it guards read through :class:`_AfterReset`."""

    agents = _AfterReset()
    agent_selection = _AfterReset()
    rewards = _AfterReset()
    terminations = _AfterReset()
    truncations = _AfterReset()
    infos = _AfterReset()
    num_agents = _AfterReset()

    def last(self, observe: bool = True) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        if not self._has_reset:
            raise AttributeError("agent_selection cannot be accessed before reset")
        return self.env.last(observe)  # type: ignore[no-any-return]

    def step(self, action: Any) -> None:
        """The inherited checks, reading the wrapped env directly (the inherited one reads ``agents`` through
        the wrapper and steps through one more frame)."""
        if not self._has_reset:
            EnvLogger.error_step_before_reset()
        self._has_updated = True
        if self.env.agents:
            self.env.step(action)
        else:
            EnvLogger.warn_step_after_terminated_truncated()

    def agent_iter(self, max_iter: int = 2**63) -> AECOrderEnforcingIterable:
        if not self._has_reset:
            EnvLogger.error_agent_iter_before_reset()
        return _AgentIterable(self, max_iter)


class _AgentIterable(AECOrderEnforcingIterable):
    def __iter__(self) -> _AgentIterator:
        return _AgentIterator(self.env, self.max_iter)


class _AgentIterator(AECOrderEnforcingIterator):
    """PettingZoo's order-enforcing agent iterator, reading the wrapped env directly (the inherited one reads two
    attributes through the wrapper and calls its parent's ``__next__``: a fifth of ``env()``'s own time)."""

    def __next__(self) -> str:
        wrapper = self.env
        env = wrapper.env
        if not env.agents or self.iters_til_term <= 0:
            raise StopIteration
        self.iters_til_term -= 1
        assert wrapper._has_updated, "need to call step() or reset() in a loop over `agent_iter`"
        wrapper._has_updated = False
        return env.agent_selection  # type: ignore[no-any-return]


class raw_env(AECEnv):
    metadata: dict[str, Any] = {
        "name": "information_bargaining_v0",
        "render_modes": ["ansi", "human", "rgb_array"],
        "is_parallelizable": False,
    }

    def __init__(
        self,
        game: GameSpec = ENV_DEFAULTS.game,
        protocol: str = ENV_DEFAULTS.protocol,
        first_proposer: str = ENV_DEFAULTS.first_proposer,
        max_rounds: int = ENV_DEFAULTS.max_rounds,
        break_off: float = ENV_DEFAULTS.break_off,
        discount: float = ENV_DEFAULTS.discount,
        tie_break: str = ENV_DEFAULTS.tie_break,
        obedience_margin: float = ENV_DEFAULTS.obedience_margin,
        receiver_offer: str = ENV_DEFAULTS.receiver_offer,
        realization: str = ENV_DEFAULTS.realization,
        realization_rounds: int = ENV_DEFAULTS.realization_rounds,
        offer_space: str = ENV_DEFAULTS.offer_space,
        grid_size: int = ENV_DEFAULTS.grid_size,
        max_cycles: int | None = ENV_DEFAULTS.max_cycles,
        render_mode: str | None = ENV_DEFAULTS.render_mode,
    ) -> None:
        super().__init__()
        self.rules = Protocol(protocol, first_proposer, max_rounds, break_off, discount)  # type: ignore[arg-type]
        self.tie_break = check_tie_break(tie_break)
        if not (isinstance(obedience_margin, (int, float)) and np.isfinite(obedience_margin) and obedience_margin >= 0):
            raise ValueError(f"obedience_margin: must be a finite number >= 0, got {obedience_margin!r}")
        if receiver_offer not in RECEIVER_OFFERS:
            raise ValueError(f"receiver_offer: must be one of {RECEIVER_OFFERS}, got {receiver_offer!r}")
        if realization not in REALIZATIONS:
            raise ValueError(f"realization: must be one of {REALIZATIONS}, got {realization!r}")
        if isinstance(realization_rounds, bool) or not isinstance(realization_rounds, int) or realization_rounds < 1:
            raise ValueError(f"realization_rounds: must be an integer >= 1, got {realization_rounds!r}")
        if max_cycles is not None and (
            isinstance(max_cycles, bool) or not isinstance(max_cycles, int) or max_cycles < 1
        ):
            raise ValueError(f"max_cycles: must be None or an integer >= 1, got {max_cycles!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode: must be one of {self.metadata['render_modes']} or None, got {render_mode!r}"
            )
        self.obedience_margin = float(obedience_margin)
        self.receiver_offer = receiver_offer
        self.realization = realization
        self.realization_rounds = realization_rounds
        self.offer_space = offer_space
        self.grid_size = grid_size
        self.render_mode = render_mode
        self.decision_cap = None if max_cycles is None else 2 * max_cycles

        source = resolve_game(game)
        if isinstance(source, InstanceDistribution):  # a margin no drawn game can meet fails now, not at a reset
            check_margin_for(source, self.obedience_margin, self.tie_break)
        self.distribution = source if isinstance(source, InstanceDistribution) else None
        """The distribution a new game is drawn from at every reset (``None``: one fixed game)."""
        self.load_game(source.sample(np.random.default_rng(0)) if isinstance(source, InstanceDistribution) else source)
        self.possible_agents = list(AGENTS.values())
        self.agents = self.possible_agents[:]
        self.observation_layout = self._layout()
        self._action_space = self.encoding.action_space()
        if isinstance(self._action_space, gymnasium.spaces.Box):
            from infobargain.envs.scheme_kernels import within_box  # compiled: numpy's min() and max() cost 1.7 µs

            self._within_box = within_box
        observation: dict[str, gymnasium.Space] = {
            "observation": gymnasium.spaces.Box(-np.inf, np.inf, (self.observation_layout.size,), np.float64)
        }
        if isinstance(self._action_space, gymnasium.spaces.Discrete):
            observation["action_mask"] = gymnasium.spaces.Box(0, 1, (int(self._action_space.n),), np.int8)
        self._observation_space = gymnasium.spaces.Dict(observation)
        self.state_space = gymnasium.spaces.Box(-np.inf, np.inf, (self.observation_layout.size + 2,), np.float64)
        self._reset_state()

    # spaces

    # One space object per env, the same for both agents: held by the env itself (a cache keyed on the
    # env, such as functools.cache on the method, would keep every env ever built alive).

    def observation_space(self, agent: str) -> gymnasium.spaces.Dict:
        return self._observation_space

    def action_space(self, agent: str) -> gymnasium.Space:
        return self._action_space

    # game set-up

    def load_game(self, game: Instance | SplitPie) -> None:
        """Play ``game`` from now on (until a distribution draws the next one at reset): its bargaining problem,
        offers and masks. The vector env builds its per-game tables with it."""
        self.game: Instance | SplitPie = game
        self.problem: BargainingProblem = bargaining_problem(game, self.tie_break, self.obedience_margin)  # type: ignore[arg-type]
        self.encoding: OfferEncoding = make_offer_encoding(
            self.offer_space,
            self.problem,
            game,
            self.receiver_offer,
            self.grid_size,  # type: ignore[arg-type]
        )
        self.is_pie = isinstance(game, SplitPie)
        self._masks = self._build_masks()
        self._static: NDArray[np.float64] | None = None  # the game's part of the observation, built on first use

    def _layout(self) -> ObservationLayout:
        rounds = self.rules.rounds
        if self.is_pie:
            game_parts = [("pie", 6), ("disagreement", 2)]
            offer_parts = [("offer_keep", 1)]
            private: list[tuple[str, int]] = []
        else:
            game = self.instance
            game_parts = [
                ("prior", game.n_states),
                ("sender_utility", game.n_states * game.n_actions),
                ("receiver_utility", game.n_states * game.n_actions),
                ("disagreement", 2),
            ]
            offer_parts = [("offer_scheme", game.n_states * game.signals)]
            private = [("state", game.n_states), ("signal", game.signals)]
        if self.encoding.name == "frontier":  # what each offer action means in this game (see the env card)
            game_parts.append(("offer_menu", 2 * self.encoding.size * 2))  # type: ignore[attr-defined]
        return ObservationLayout(
            [
                *game_parts,
                ("role", 2),
                ("my_turn", 1),
                ("proposing", 1),
                ("phase", 2),
                ("round", rounds),
                ("offer_on_table", 1),
                *offer_parts,
                ("offer_payoffs", 2),
                ("offer_by_me", 1),
                ("deal", 1),
                *private,
            ]
        )

    @property
    def instance(self) -> Instance:
        if not isinstance(self.game, Instance):
            raise AttributeError("instance: this environment plays a pie, not a persuasion instance")
        return self.game

    def _reset_state(self, first: Role = "sender") -> None:
        self.game_state = State(self.rules, self.encoding, self.problem.d, first)
        """The bargaining stage's state machine (the rules live there); the env adds the realization stage,
        the expectation over break-offs in expected mode, observations and the transcript."""
        self.phase: Phase = "bargaining"
        self.survival = 1.0
        self.breakdown_value = np.zeros(2)
        self.payoffs: NDArray[np.float64] | None = None
        self.realization_round = 0
        self.realization_actor: Role = "sender"
        self.realization_half = False
        self.committed_actions: NDArray[np.intp] | None = None
        self._printed = 0
        self.realization_total = np.zeros(2)
        self.world_state: int | None = None
        self.signal: int | None = None
        self.decisions = 0
        self._log: list[str | Callable[[], str]] = []
        self.offer_trail: list[tuple[Role, NDArray[np.float64]]] = []

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        if seed is not None or not hasattr(self, "np_random"):
            self.np_random, self.np_random_seed = gymnasium.utils.seeding.np_random(seed)
        if self.distribution is not None:
            self.load_game(self.distribution.sample(self.np_random))
        if self.rules.first_proposer == "coin_flip":
            first: Role = "sender" if self.np_random.random() < 0.5 else "receiver"
        else:
            first = self.rules.first_proposer
        self._reset_state(first)
        self.agents = self.possible_agents[:]
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.agent_selection = AGENTS[first]
        self._log.append(f"{self.game.name}: {self.rules.protocol}, {first} proposes first")
        self.infos = self._infos()

    # the bargaining state, read from the core (read-only)

    @property
    def first(self) -> Role:
        return self.game_state.first

    @property
    def round(self) -> int:
        return self.game_state.round

    @property
    def proposer(self) -> Role:
        return self.game_state.proposer

    @property
    def pending(self) -> Offer | None:
        """The offer on the table (bargaining stage)."""
        return self.game_state.pending

    @property
    def deal(self) -> Offer | None:
        return self.game_state.deal

    @property
    def end_round(self) -> int | None:
        return self.game_state.end_round

    @property
    def view(self) -> GameView:
        """The public, read-only view of this env's game and situation that players and tools read."""
        return GameView(self)

    # who acts, and what may they do

    @property
    def acting_role(self) -> Role:
        if self.phase == "realization":
            return self.realization_actor
        return self.game_state.acting

    @property
    def can_counter(self) -> bool:
        return self.game_state.can_counter

    def action_mask(self, agent: str) -> NDArray[np.int8]:
        """Legal actions of ``agent`` now (discrete encodings); a read-only array shared between calls."""
        masks, state = self._masks, self.game_state
        if self.phase != "bargaining" or ROLE_OF[agent] != state.acting:
            return masks["pass"]
        if state.pending is None:
            return masks["offer"]
        return masks["accept_or_counter"] if state.can_counter else masks["accept_or_reject"]

    def _build_masks(self) -> dict[str, NDArray[np.int8]]:
        size = FIRST_OFFER + self.encoding.size if isinstance(self.encoding, DiscreteOffers) else FIRST_OFFER
        masks = {
            name: np.zeros(size, dtype=np.int8) for name in ("pass", "offer", "accept_or_counter", "accept_or_reject")
        }
        masks["pass"][ACCEPT] = 1
        masks["offer"][FIRST_OFFER:] = 1
        masks["accept_or_counter"][[ACCEPT, *range(FIRST_OFFER, size)]] = 1
        masks["accept_or_reject"][[ACCEPT, REJECT]] = 1
        for mask in masks.values():
            mask.setflags(write=False)
        return masks

    # observations

    def observe(self, agent: str) -> dict[str, NDArray[Any]]:
        observation: dict[str, NDArray[Any]] = {"observation": self._vector(ROLE_OF[agent])}
        if isinstance(self.encoding, DiscreteOffers):
            observation["action_mask"] = self.action_mask(agent)
        return observation

    def state(self) -> NDArray[np.float64]:
        acting = np.zeros(2, dtype=np.float64)
        if self.phase != "done":
            acting[ROLE_INDEX[self.acting_role]] = 1.0
        return np.concatenate([self._vector(None), acting])

    def game_observation(self) -> NDArray[np.float64]:
        """The observation entries that describe the game itself (fixed until the game changes)."""
        menu = self.encoding.menu()[None] if isinstance(self.encoding, DiscreteOffers) else None
        if self.is_pie:
            pie = self.game
            assert isinstance(pie, SplitPie)
            description = np.array(
                [
                    [
                        pie.keep_min,
                        pie.keep_max,
                        pie.proposer_base,
                        pie.proposer_slope,
                        pie.responder_base,
                        pie.responder_slope,
                    ]
                ]
            )
            return game_observations(self.observation_layout, self.problem.d[None], menu, pie=description)[0]
        game = self.instance
        return game_observations(
            self.observation_layout,
            self.problem.d[None],
            menu,
            prior=game.prior[None],
            utilities=np.stack([game.sender_utility, game.receiver_utility])[None],
        )[0]

    def _vector(self, role: Role | None) -> NDArray[np.float64]:
        """The observation of ``role`` (``None``: everything, for ``state()``): the game's part, then only the
        entries that are not 0 (the hot path of ``last()``: integer offsets, no slice per flag)."""
        if self._static is None:
            self._static = self.game_observation()
        at, slots, vector, state = (
            self.observation_layout.starts,
            self.observation_layout.slices,
            self._static.copy(),
            self.game_state,
        )
        phase = self.phase
        bargaining = phase == "bargaining"
        if role is not None:
            vector[at["role"] + ROLE_INDEX[role]] = 1.0
            if phase != "done" and self.acting_role == role:
                vector[at["my_turn"]] = 1.0
            if bargaining and state.proposer == role:
                vector[at["proposing"]] = 1.0
        vector[at["phase"] + (0 if bargaining else 1)] = 1.0
        vector[at["round"] + min(state.round, self.rules.rounds - 1)] = 1.0
        offer = state.pending if bargaining else state.deal
        if offer is not None:
            vector[at["offer_on_table"]] = 1.0
            if self.is_pie:
                vector[at["offer_keep"]] = offer.keep
            else:
                vector[slots["offer_scheme"]] = offer.scheme.ravel()  # type: ignore[union-attr]
            vector[slots["offer_payoffs"]] = offer.payoffs
            if role is not None and offer.proposer == role:
                vector[at["offer_by_me"]] = 1.0
        if state.deal is not None:
            vector[at["deal"]] = 1.0
        if phase == "realization" and not self.is_pie:
            if role in (None, "sender") and self.world_state is not None:
                vector[at["state"] + self.world_state] = 1.0
            if role in (None, "receiver") and self.signal is not None:
                vector[at["signal"] + self.signal] = 1.0
        return vector

    def _infos(self) -> dict[str, dict[str, Any]]:
        """Every live agent's info: the shared description of the situation plus its own mask."""
        state = self.game_state
        shared: dict[str, Any] = {
            "phase": self.phase,
            "round": state.round,
            "proposer": state.proposer,
            "first_proposer": state.first,
        }
        if state.pending is not None and self.phase == "bargaining":
            shared["offer"] = self._describe(state.pending)
        if self.phase != "bargaining":
            deal = state.deal
            shared["outcome"] = {
                "deal": deal is not None,
                "agreement_round": state.end_round if deal is not None else None,
                "end_round": state.end_round,
                "offer": None if deal is None else self._describe(deal),
                "payoffs": None if self.payoffs is None else self.payoffs.tolist(),
                "survival": self.survival,
            }
        acting = AGENTS[self.acting_role] if self.phase != "done" else None
        discrete = isinstance(self.encoding, DiscreteOffers)
        infos = {}
        for agent in self.agents:
            info = {**shared, "acting": agent == acting}
            if discrete:
                info["action_mask"] = self.action_mask(agent)
            infos[agent] = info
        return infos

    @staticmethod
    def _describe(offer: Offer) -> dict[str, Any]:
        described: dict[str, Any] = {"proposer": offer.proposer, "payoffs": offer.payoffs.tolist()}
        if offer.scheme is not None:
            described["scheme"] = offer.scheme.tolist()
        if offer.demanded is not None:
            described["demanded"] = offer.demanded.tolist()
        if offer.keep is not None:
            described["keep"] = offer.keep
        if offer.index is not None:
            described["index"] = offer.index
        return described

    # the game

    def check_action(self, agent: str, action: Any) -> Any:
        """``action`` as the env would play it for ``agent`` now; raises :class:`ActionError` (a ``ValueError``)
        for anything outside the action space or the agent's mask."""
        return self._check_action(agent, action, enforce_mask=True)

    def _check_action(self, agent: str, action: Any, *, enforce_mask: bool) -> Any:
        """The action as the game plays it (an index, or a float vector for ``"scheme"``); raises
        :class:`ActionError` for anything outside the action space, or masked out when ``enforce_mask``."""
        space = self._action_space
        if isinstance(space, gymnasium.spaces.Box):
            return self._check_vector(agent, action, space)
        index = _integer(action)
        if index is None:
            if isinstance(action, np.ndarray) and action.ndim > 0:
                raise ActionError(
                    f"action: {agent} sent an array of shape {action.shape}; a Discrete action is a single integer "
                    f"(e.g. int(action[0]))",
                    shape=True,
                )
            if isinstance(action, (float, np.floating)) and np.isfinite(action):
                raise ActionError(f"action: {agent} sent {action!r}, outside the action space {space}")
            raise ActionError(f"action: {agent} sent {action!r}, expected an integer in {space}")
        if not 0 <= index < space.n:  # type: ignore[attr-defined]
            raise ActionError(f"action: {agent} sent {action!r}, outside the action space {space}")
        if enforce_mask and not self.action_mask(agent)[index]:
            legal = np.flatnonzero(self.action_mask(agent)).tolist()
            shown = legal if len(legal) <= 8 else f"{legal[:3]} … {legal[-2:]} ({len(legal)} actions)"
            raise ActionError(
                f"action: {index} is illegal for {agent} now ({self.situation()}); legal actions: {shown}"
            )
        return index

    def _check_vector(self, agent: str, action: Any, space: gymnasium.spaces.Box) -> NDArray[np.float64]:
        try:
            vector = np.asarray(action, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            raise ActionError(f"action: {agent} sent {action!r}, expected numbers of shape {space.shape}") from None
        if vector.shape != space.shape:
            raise ActionError(f"action: {agent} sent shape {vector.shape}, the action space is {space}", shape=True)
        vector = np.ascontiguousarray(vector)  # one layout for the compiled code
        if self._within_box(vector, -1.0 - 1e-6, 1.0 + 1e-6):  # NaN is not within
            return vector
        if not np.all(np.isfinite(vector)):
            raise ActionError(f"action: {agent} sent NaN or infinity")
        raise ActionError(f"action: {agent} sent values outside [-1, 1] (max |a| = {np.abs(vector).max():.4g})")

    def situation(self) -> str:
        """The decision at hand, in words (for messages)."""
        if self.phase != "bargaining":
            return f"{self.phase} stage: only ACCEPT (0) passes"
        return self.game_state.describe()

    def _act(self, agent: str, action: Any) -> None:
        """Apply one decision of the acting agent and set ``self.rewards``."""
        self.rewards = dict.fromkeys(self.agents, 0.0)
        role = ROLE_OF[agent]
        if self.phase == "realization":
            self._realization_step(role)
        else:
            self._bargain(role, action)
        self.decisions += 1
        if self.decision_cap is not None and self.decisions >= self.decision_cap and self.phase != "done":
            self.truncations = dict.fromkeys(self.agents, True)
            self._log.append("  truncated (max_cycles)")
        self.infos = self._infos()

    def _bargain(self, role: Role, action: Any) -> None:
        """One bargaining decision, played by the core; the env resolves break-off chance and logs."""
        state = self.game_state
        if state.pending is None:
            state.apply_action(action)
            self._logged_offer(role)
            return
        state.apply_action(action)
        if state.phase == "done":
            self._log.append(f"  {role} accepts" if state.deal is not None else f"  {role} rejects")
            if state.deal is None:
                self._log.append("  deadline: no deal")
        else:
            countered = state.counter is not None
            self._log.append(f"  {role} rejects" + (" with a counter-offer" if countered else ""))
            self._break_off()
            if countered and state.phase == "bargaining":
                self._logged_offer(role)
        if state.phase == "done":
            self._end_bargaining()

    def _break_off(self) -> None:
        """Resolve the chance node after a rejection: expected mode keeps the breakdown branch as probability
        mass (so one episode pays the exact expectation), sampled mode draws it."""
        state = self.game_state
        (_, p), _ = state.chance_outcomes()
        if self.realization == "expected":
            self.breakdown_value = self.breakdown_value + self.survival * p * state.breakdown_returns()
            self.survival *= 1.0 - p
            state.apply_chance(CONTINUE)
        elif self.np_random.random() < p:
            self._log.append("  bargaining breaks down")
            state.apply_chance(BREAK_DOWN)
        else:
            state.apply_chance(CONTINUE)

    def _logged_offer(self, role: Role) -> None:
        offer, round_index = self.game_state.pending, self.game_state.round
        assert offer is not None
        self.offer_trail.append((role, offer.payoffs.copy()))
        self._log.append(lambda: f"round {round_index}: {role} offers {self._offer_text(offer)}")  # formatted when read

    def _offer_text(self, offer: Offer) -> str:
        payoffs = f"(U_S, U_R) = ({offer.payoffs[0]:.4f}, {offer.payoffs[1]:.4f})"
        if offer.keep is not None:
            return f"to keep {offer.keep:.4f} → {payoffs}"
        assert offer.scheme is not None
        scheme = np.round(offer.scheme, 4).tolist()
        return f"φ = {scheme} → {payoffs}"

    def _end_bargaining(self) -> None:
        state = self.game_state
        if self.realization == "expected":
            self.payoffs = self.breakdown_value + self.survival * state.returns()
            self._finish(self.payoffs)
            return
        self.phase = "realization"
        if not self.is_pie:
            self.committed_actions = (
                None if state.deal is None else obey_actions(self.instance, state.deal.scheme, self.tie_break)  # type: ignore[arg-type]
            )
        # The responder's decision ended bargaining, so the last proposer moves next: turns keep alternating.
        self.realization_actor = state.proposer
        self._draw_realization()

    def _draw_realization(self) -> None:
        if self.is_pie:
            return
        self.world_state = int(self.np_random.choice(self.instance.n_states, p=self.instance.prior))
        if self.deal is None:  # nothing committed: no signal, the receiver plays a0
            self.signal = None
            return
        scheme = self.deal.scheme
        assert scheme is not None
        self.signal = int(self.np_random.choice(self.instance.signals, p=scheme[self.world_state]))

    def _realization_step(self, role: Role) -> None:
        """Both agents pass once per round; the round is paid when the second one passes."""
        self.realization_actor = other(role)
        if not self.realization_half:
            self.realization_half = True
            return
        self.realization_half = False
        factor = self.rules.discount ** (self.end_round or 0)
        if self.is_pie:
            value = self.game_state.value
        else:
            assert self.world_state is not None
            if self.committed_actions is None or self.signal is None:
                action = default_action(self.instance, self.tie_break)
            else:
                action = int(self.committed_actions[self.signal])
            value = np.array(
                [
                    self.instance.sender_utility[self.world_state, action],
                    self.instance.receiver_utility[self.world_state, action],
                ]
            )
        reward = factor * value
        self.rewards = {AGENTS["sender"]: float(reward[0]), AGENTS["receiver"]: float(reward[1])}
        self.realization_total += reward
        self.realization_round += 1
        if self.realization_round >= self.realization_rounds:
            self.payoffs = self.realization_total / self.realization_rounds
            self._finish(None)
        else:
            self._draw_realization()

    def _finish(self, rewards: NDArray[np.float64] | None) -> None:
        self.phase = "done"
        if rewards is not None:
            self.rewards = {AGENTS["sender"]: float(rewards[0]), AGENTS["receiver"]: float(rewards[1])}
        self.terminations = dict.fromkeys(self.agents, True)
        assert self.payoffs is not None
        self._log.append(
            f"payoffs: sender {self.payoffs[0]:.4f}, receiver {self.payoffs[1]:.4f}"
            + ("" if self.deal is not None else " (no deal)")
        )

    def disagree(self, agent: str, reason: str) -> None:
        """End bargaining now without a deal, as one step of ``agent`` (used by the Gymnasium views)."""
        self._cumulative_rewards[agent] = 0.0
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._log.append(f"  {ROLE_OF[agent]} walks away ({reason}): no deal")
        self.game_state.walk_away()
        self._end_bargaining()
        self.infos = self._infos()
        self._accumulate_rewards()
        self.agent_selection = AGENTS[self.acting_role] if self.phase != "done" else AGENTS[other(ROLE_OF[agent])]

    # AEC

    def step(self, action: Any) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        action = self._check_action(agent, action, enforce_mask=True)
        self._cumulative_rewards[agent] = 0.0
        self._act(agent, action)
        self._accumulate_rewards()
        self.agent_selection = AGENTS[self.acting_role] if self.phase != "done" else AGENTS[other(ROLE_OF[agent])]
        if self.render_mode == "human":
            self.render()

    # rendering

    @property
    def transcript(self) -> list[str]:
        """The episode so far, one line per event: offers, decisions, breakdowns, payoffs."""
        return [line if isinstance(line, str) else line() for line in self._log]

    def render(self) -> str | NDArray[np.uint8] | None:
        if self.render_mode is None:
            gymnasium.logger.warn(
                "render() called without a render_mode; pass render_mode='ansi', 'human' or 'rgb_array'"
            )
            return None
        if self.render_mode == "ansi":
            return "\n".join(self.transcript)
        if self.render_mode == "human":
            lines = self.transcript
            print("\n".join(lines[self._printed :]))
            self._printed = len(lines)
            return None
        return self._render_rgb()

    def _render_rgb(self) -> NDArray[np.uint8]:
        from infobargain.theory.plot import draw_bargaining_set, require_matplotlib

        plt = require_matplotlib()
        figure = draw_bargaining_set(
            self.problem, {}, offers=self.offer_trail, title=f"{self.game.name}: offers so far"
        )
        figure.canvas.draw()
        image = np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()  # type: ignore[attr-defined]
        plt.close(figure)
        return image

    def close(self) -> None:
        pass


def parallel_env(
    observation_format: str = "dict", info_format: str = "full", illegal_action: str = "raise", **kwargs: Any
) -> ParallelEnv:
    """The Parallel form (:class:`ParallelGame`), adapted to other libraries' conventions by the first three options."""
    return with_conventions(ParallelGame(**kwargs), observation_format, info_format, illegal_action)


class ParallelGame(ParallelEnv):
    """The Parallel form: one decision per step. Every live agent sends an action; only the acting agent's is
    played (its ``infos[agent]["acting"]`` is true), the waiting agent's must lie in the action space and is
    otherwise ignored (its mask allows only ``ACCEPT``, so masked samplers send that)."""

    metadata = raw_env.metadata

    def __init__(self, max_cycles: int | None = None, **kwargs: Any) -> None:
        self.aec = raw_env(max_cycles=max_cycles, **kwargs)  # validates max_cycles
        self.aec.decision_cap = max_cycles  # one decision per Parallel step
        self.possible_agents = self.aec.possible_agents
        self.agents: list[str] = []
        self.render_mode = self.aec.render_mode

    def observation_space(self, agent: str) -> gymnasium.spaces.Dict:
        return self.aec.observation_space(agent)

    def action_space(self, agent: str) -> gymnasium.Space:
        return self.aec.action_space(agent)

    @property
    def unwrapped(self) -> raw_env:  # type: ignore[override]
        return self.aec

    @property
    def view(self) -> GameView:
        """The public, read-only view of the game and the situation (the AEC env's)."""
        return self.aec.view

    def state(self) -> NDArray[np.float64]:
        return self.aec.state()

    @property
    def state_space(self) -> gymnasium.spaces.Box:  # type: ignore[override]
        return self.aec.state_space

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        self.aec.reset(seed=seed, options=options)
        self.agents = self.aec.agents[:]
        return {agent: self.aec.observe(agent) for agent in self.agents}, {a: self.aec.infos[a] for a in self.agents}

    def step(
        self, actions: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, float], dict[str, bool], dict[str, bool], dict[str, Any]]:
        if not self.agents:
            raise RuntimeError("step() called after the episode ended (no live agents); call reset()")
        acting = AGENTS[self.aec.acting_role]
        missing = [agent for agent in self.agents if agent not in actions]
        if missing:
            raise ValueError(f"actions: missing an action for {', '.join(missing)} (every live agent sends one)")
        for agent in self.agents:
            self.aec._check_action(agent, actions[agent], enforce_mask=agent == acting)
        self.aec._act(acting, self.aec._check_action(acting, actions[acting], enforce_mask=True))
        agents = self.agents
        observations = {agent: self.aec.observe(agent) for agent in agents}
        rewards = {agent: self.aec.rewards.get(agent, 0.0) for agent in agents}
        terminations = {agent: self.aec.terminations[agent] for agent in agents}
        truncations = {agent: self.aec.truncations[agent] for agent in agents}
        infos = {agent: self.aec.infos[agent] for agent in agents}
        self.agents = [a for a in agents if not (terminations[a] or truncations[a])]
        if self.render_mode == "human":
            self.aec.render()
        return observations, rewards, terminations, truncations, infos

    def render(self) -> str | NDArray[np.uint8] | None:
        return self.aec.render()

    def close(self) -> None:
        self.aec.close()
