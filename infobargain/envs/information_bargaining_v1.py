"""Information Bargaining

| Import             | `from infobargain.envs import information_bargaining_v1`  |
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
information_bargaining_v1.env(
    game="pure_math", protocol="alternating", first_proposer="sender", max_rounds=10,
    break_off=0.1, discount=1.0, tie_break="sender", obedience_margin=0.0,
    receiver_offer="threshold", realization="expected", realization_rounds=10,
    offer_space="frontier", grid_size=25, max_cycles=None, render_mode=None,
    observation_format="dict", info_format="numeric", illegal_action="disagree",  # env() and parallel_env() only
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
`infos[agent]["outcome"]` (full infos; `sender_payoff`, `receiver_payoff` in numeric ones), is the mean of
those rewards. Nobody decides anything in the realization stage
(bilateral commitment): there, each agent's only legal action is `ACCEPT` (0), which passes; the sender
observes the state and the receiver the signal.

`offer_space`: `"scheme"`, `"grid"` or `"frontier"` (see `infobargain.envs.offers`; a pie needs `"frontier"`).
`grid_size`: levels per probability for `"grid"`, points along the frontier for `"frontier"`.
`observation`: `"full"` (the game's own tables; the default) or `"menu"` (one size for every game and protocol,
below).

`max_cycles`: an outside cap; after `max_cycles` cycles (each agent acting once: `2 · max_cycles` AEC steps,
`max_cycles` Parallel steps) an unfinished episode is **truncated**. Deals, breakdowns and the protocol's own
deadline are **terminations**.

`observation_format`, `info_format`, `illegal_action`: conventions of other libraries (next section).

### Library conventions

`env()` and `parallel_env()` (not `raw_env`) take three options whose defaults are PettingZoo's classic
conventions, so that the bare constructors work in every MARL library (TorchRL, Tianshou, RLlib, SuperSuit;
`docs/clients.md` shows each library's path). `raw_env` keeps the full infos and raises on an illegal action;
`env(info_format="full", illegal_action="raise")` (`infobargain.envs.conventions.STRICT`) is `raw_env` with
order enforcement and adds no wrapper.

- `observation_format`: `"dict"` (`{"observation": float64, "action_mask": int8}`), `"box"` (the vector alone
  as float32, for SuperSuit and SB3's `MlpPolicy`; the mask stays in `infos[agent]["action_mask"]` with full
  infos, and in `env.unwrapped.action_mask(agent)`) or `"rllib"` (`{"observations", "action_mask"}`, both
  float32, the keys of RLlib's masking module).
- `info_format`: `"numeric"` (the default: plain infos, 14 floats under the same keys on every step, listed in
  `infobargain.envs.conventions.NUMERIC_INFO_KEYS`, that libraries can batch into tensors) or `"full"` (the
  rich description: strings, nested dicts, keys present when they apply, the mask included).
- `illegal_action`: `"disagree"` (the default) or `"raise"` (`raw_env`'s behaviour: `ActionError`). The rule
  of `"disagree"`: a Discrete action outside the acting agent's mask or the action space (`None`, NaN and
  huge integers included) **during bargaining ends the episode at once**: bargaining ends without a deal in
  that round `t`, every agent is terminated, both are paid the game's own no-deal outcome `discount**t · d`
  in one final reward (expected mode: plus the break-off mass already banked, as any end of bargaining; in
  sampled mode the realization stage is not played), and **the offender** is flagged:
  `infos[offender]["illegal_action"]` is `1.0` (`True` with full infos), the other agent's `0.0`. This is
  PettingZoo's `TerminateIllegalWrapper` (the episode ends, the offender is marked) with the game's own
  disagreement payoffs instead of its `−1`/`0`, which mean nothing on a general-sum game's payoff scale. In
  the realization stage, where nobody decides, whatever the acting agent sends passes. A malformed action
  (a wrong shape, a non-number, a `"scheme"` vector outside `[-1, 1]`, a Parallel dict that misses a live
  agent) raises under both, and a waiting agent's action in the Parallel form only has to lie in the space.

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
vector is legal, so there is no mask. The scheme actually used is echoed in `infos[agent]["offer"]` (full infos).
An action is a Python, NumPy or PyTorch number, a scalar (Discrete: an integer or a whole float) or an array
of the space's shape; the AEC, Parallel and vector envs read it alike (`infobargain.envs.actions`). Anything
else raises `ActionError`, a `ValueError` naming the agent: NaN, infinity, `None`, fractions and integers
outside the space cannot be played; wrong shapes (a Discrete action in a list or a 1-element array), strings,
booleans, complex numbers and masked arrays are malformed (`ActionError.malformed`). `check_action(agent,
action)` asks without playing. The Parallel form refuses an action dict that misses a live agent or names
another key.

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

**`observation="menu"`** (`"frontier"` offers, at most 10 rounds) has the same size for every game: `d`, the
offer menu, the protocol (a one-hot of ultimatum / fixed_role / alternating, the break-off chance, the discount,
the number of offers / 10), role, turn, proposing, phase, the round one-hot over 10 entries counted from the
start and again from the end, the offer on the table's payoffs, who made it, the deal. No prior, utilities,
scheme, state or signal: on the frontier grid `d` and the menu are all the bargaining stage depends on. One
player then plays games of any size under any protocol, and `game=` also takes mixed-size distributions such as
`"random:2-4x2-4"` (refused with `"full"`, whose size depends on the game's).

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
* v1: the version bump for the offer menu's new observation (PettingZoo bumps the version when spaces change).
  `information_bargaining_v0` and the `-v0` ids remain as aliases of v1.
* v1, bare constructors: `env()` and `parallel_env()` default to PettingZoo's classic conventions,
  `info_format="numeric"` (was `"full"`) and `illegal_action="disagree"` (was `"raise"`), which now ends the
  episode at once in both realization modes and flags only the offender. `raw_env` is unchanged (full infos,
  raises); pass `info_format="full", illegal_action="raise"` for the former defaults. The game, its spaces and
  its rules are unchanged.
* v1, `observation="menu"`: a size-independent observation for players of every game size and protocol, beside
  the default `"full"` one (unchanged), and mixed-size games (`"random:2-4x2-4"`) with it.
"""

from __future__ import annotations

from typing import Any, Literal

import gymnasium
import numpy as np
from numpy.typing import NDArray
from pettingzoo import AECEnv, ParallelEnv

from infobargain.envs.actions import ActionError, box_actions, box_problem, decision_masks, discrete_action
from infobargain.envs.conventions import with_conventions
from infobargain.envs.infos import situation_info
from infobargain.envs.observations import ObservationLayout, game_observation, observation_layout, round_entries
from infobargain.envs.offers import RECEIVER_OFFERS, DiscreteOffers, Offer, OfferEncoding, make_offer_encoding
from infobargain.envs.order_enforcing import OrderEnforcingWrapper
from infobargain.envs.parallel import ParallelGame
from infobargain.envs.realization import RealizationStage
from infobargain.envs.transcript import Transcript, offers_picture
from infobargain.envs.view import GameView, act
from infobargain.game.config import ENV_DEFAULTS, GameSpec
from infobargain.game.distributions import InstanceDistribution, RandomSizes, resolve_game
from infobargain.game.instance import Instance
from infobargain.game.pie import SplitPie
from infobargain.game.protocol import ROLE_INDEX, Protocol, Role, other
from infobargain.game.schemes import check_tie_break
from infobargain.game.state import (
    BARGAINING,
    BREAK_DOWN,
    CONTINUE,
    DONE,
    NO_MOVES,
    REALIZATION,
    Phase,
    State,
)
from infobargain.theory.problem import BargainingProblem, bargaining_problem, check_margin_for

AGENTS: dict[Role, str] = {"sender": "sender_0", "receiver": "receiver_0"}
ROLE_OF: dict[str, Role] = {name: role for role, name in AGENTS.items()}
Realization = Literal["expected", "sampled"]
REALIZATIONS: tuple[Realization, ...] = ("expected", "sampled")
__all__ = [
    "AGENTS",
    "ROLE_OF",
    "ActionError",
    "GameSpec",
    "GameView",
    "ObservationLayout",
    "ParallelGame",
    "Phase",
    "act",
    "env",
    "parallel_env",
    "raw_env",
    "resolve_game",
]


def env(
    observation_format: str = "dict", info_format: str = "numeric", illegal_action: str = "disagree", **kwargs: Any
) -> AECEnv:
    """The AEC environment with PettingZoo's order enforcement, under PettingZoo's classic conventions by
    default: plain (numeric) infos, and an illegal action ends the episode (``raw_env`` raises instead; it
    checks every action against its space and mask itself, with clearer messages than PettingZoo's
    bounds-checking wrapper). The first three options adapt it to other conventions
    (:mod:`infobargain.envs.conventions`; ``info_format="full", illegal_action="raise"``: ``raw_env``'s)."""
    return OrderEnforcingWrapper(with_conventions(raw_env(**kwargs), observation_format, info_format, illegal_action))


def parallel_env(
    observation_format: str = "dict", info_format: str = "numeric", illegal_action: str = "disagree", **kwargs: Any
) -> ParallelEnv:
    """The Parallel form (:class:`~infobargain.envs.parallel.ParallelGame`: one decision per step), under the
    same conventions as :func:`env`."""
    max_cycles = kwargs.pop("max_cycles", ENV_DEFAULTS.max_cycles)
    game = ParallelGame(raw_env(max_cycles=max_cycles, **kwargs), max_cycles)  # raw_env validates max_cycles
    return with_conventions(game, observation_format, info_format, illegal_action)


class raw_env(AECEnv):
    metadata: dict[str, Any] = {
        "name": "information_bargaining_v1",
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
        observation: str = ENV_DEFAULTS.observation,
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
        self.observation = observation
        self.render_mode = render_mode
        self.decision_cap = None if max_cycles is None else 2 * max_cycles

        source = resolve_game(game)
        if isinstance(source, RandomSizes) and observation != "menu":
            raise ValueError(source.size_dependent_notice("observation='full'"))
        if isinstance(source, InstanceDistribution):  # a margin no drawn game can meet fails now, not at a reset
            check_margin_for(source, self.obedience_margin, self.tie_break)
        self.distribution = source if isinstance(source, InstanceDistribution) else None
        """The distribution a new game is drawn from at every reset (``None``: one fixed game)."""
        self.load_game(source.sample(np.random.default_rng(0)) if isinstance(source, InstanceDistribution) else source)
        self.possible_agents = list(AGENTS.values())
        self.agents = self.possible_agents[:]
        self._situation_infos: dict[str, dict[str, Any]] | None = None
        self.observation_layout = observation_layout(self.game, self.encoding, self.rules, observation)
        self._action_space = self.encoding.action_space()
        self._discrete_size = (
            int(self._action_space.n) if isinstance(self._action_space, gymnasium.spaces.Discrete) else None
        )
        self._action_labels = {agent: f"action: {agent}" for agent in self.possible_agents}  # what messages start with
        if isinstance(self._action_space, gymnasium.spaces.Box):
            from infobargain.envs.scheme_kernels import within_box  # compiled: one pass, no numpy dispatch per call

            self._within_box = within_box
        spaces: dict[str, gymnasium.Space] = {
            "observation": gymnasium.spaces.Box(-np.inf, np.inf, (self.observation_layout.size,), np.float64)
        }
        if isinstance(self._action_space, gymnasium.spaces.Discrete):
            spaces["action_mask"] = gymnasium.spaces.Box(0, 1, (int(self._action_space.n),), np.int8)
        self._observation_space = gymnasium.spaces.Dict(spaces)
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
        self._masks = decision_masks(self.encoding.size if isinstance(self.encoding, DiscreteOffers) else 0)
        self._static: NDArray[np.float64] | None = None  # the game's part of the observation, built on first use

    @property
    def instance(self) -> Instance:
        if not isinstance(self.game, Instance):
            raise AttributeError("instance: this environment plays a pie, not a persuasion instance")
        return self.game

    def _reset_state(self, first: Role = "sender") -> None:
        self.game_state = State(self.rules, self.encoding, self.problem.d, first)
        """The bargaining stage's state machine (the rules live there); the env adds the realization stage,
        the expectation over break-offs in expected mode, observations and the transcript."""
        self.phase = BARGAINING
        self.survival = 1.0
        self.breakdown_value = np.zeros(2)
        self.payoffs: NDArray[np.float64] | None = None
        self.stage: RealizationStage | None = None
        """The realization stage, once bargaining has ended (sampled mode)."""
        self.decisions = 0
        self._transcript = Transcript()

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
        self._transcript.add(f"{self.game.name}: {self.rules.protocol}, {first} proposes first")
        self._situation_infos = None

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
        if self.phase == REALIZATION:
            assert self.stage is not None
            return self.stage.actor
        return self.game_state.acting

    @property
    def acting_agent(self) -> str:
        """The agent whose step comes next (the one that decides or passes)."""
        return AGENTS[self.acting_role]

    @property
    def can_counter(self) -> bool:
        return self.game_state.can_counter

    def action_mask(self, agent: str) -> NDArray[np.int8]:
        """Legal actions of ``agent`` now (discrete encodings); a read-only array shared between calls."""
        state = self.game_state
        if self.phase != BARGAINING or ROLE_OF[agent] != state.acting:
            return self._masks[NO_MOVES.index]
        return self._masks[state.moves().index]

    # observations

    def observe(self, agent: str) -> dict[str, NDArray[Any]]:
        observation: dict[str, NDArray[Any]] = {"observation": self._vector(ROLE_OF[agent])}
        if isinstance(self.encoding, DiscreteOffers):
            observation["action_mask"] = self.action_mask(agent)
        return observation

    def state(self) -> NDArray[np.float64]:
        acting = np.zeros(2, dtype=np.float64)
        if self.phase != DONE:
            acting[ROLE_INDEX[self.acting_role]] = 1.0
        return np.concatenate([self._vector(None), acting])

    def game_observation(self) -> NDArray[np.float64]:
        """The observation entries that describe the game itself (fixed until the game changes)."""
        return game_observation(self.observation_layout, self.game, self.problem, self.encoding)

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
        bargaining = phase == BARGAINING
        if role is not None:
            vector[at["role"] + ROLE_INDEX[role]] = 1.0
            if phase != DONE and self.acting_role == role:
                vector[at["my_turn"]] = 1.0
            if bargaining and state.proposer == role:
                vector[at["proposing"]] = 1.0
        vector[at["phase"] + (0 if bargaining else 1)] = 1.0
        for entry in round_entries(self.observation_layout, self.rules.rounds, np.array(state.round)):
            vector[entry] = 1.0
        offer = state.pending if bargaining else state.deal
        if offer is not None:
            vector[at["offer_on_table"]] = 1.0
            if "offer_keep" in at:
                vector[at["offer_keep"]] = offer.keep  # type: ignore[union-attr]
            elif "offer_scheme" in at:
                vector[slots["offer_scheme"]] = offer.scheme.ravel()  # type: ignore[union-attr]
            vector[slots["offer_payoffs"]] = offer.payoffs
            if role is not None and offer.proposer == role:
                vector[at["offer_by_me"]] = 1.0
        if state.deal is not None:
            vector[at["deal"]] = 1.0
        stage = self.stage
        if phase == REALIZATION and stage is not None and "state" in at:
            if role in (None, "sender") and stage.world_state is not None:
                vector[at["state"] + stage.world_state] = 1.0
            if role in (None, "receiver") and stage.signal is not None:
                vector[at["signal"] + stage.signal] = 1.0
        return vector

    @property
    def infos(self) -> dict[str, dict[str, Any]]:  # type: ignore[override]
        """Every live agent's full info (the env card's keys), built when first read after a step: ``env()``'s
        default numeric infos never need it."""
        if self._situation_infos is None:
            self._situation_infos = self._infos()
        return self._situation_infos

    def _infos(self) -> dict[str, dict[str, Any]]:
        """Every live agent's info: the shared description of the situation plus its own mask."""
        phase = self.phase
        shared = situation_info(self.game_state, phase, self.payoffs, self.survival)
        acting = AGENTS[self.acting_role] if phase != DONE else None
        discrete = isinstance(self.encoding, DiscreteOffers)
        infos = {}
        for agent in self.agents:
            info = {**shared, "acting": agent == acting}
            if discrete:  # a waiting agent may only pass
                info["action_mask"] = self.action_mask(agent) if agent == acting else self._masks[NO_MOVES.index]
            infos[agent] = info
        return infos

    # the game

    def check_action(self, agent: str, action: Any, *, enforce_mask: bool = True) -> Any:
        """``action`` as the env would play it for ``agent`` now: an index, or a float vector for ``"scheme"``
        (:mod:`infobargain.envs.actions` decides what is accepted). Raises :class:`ActionError` (a
        ``ValueError``) for anything outside the action space, or outside the agent's mask when
        ``enforce_mask`` (``False``: a waiting agent's action in the Parallel form, which only has to be in the
        space)."""
        who = self._action_labels[agent]
        if self._discrete_size is None:
            vector = box_actions(action, self._action_space.shape, who)  # type: ignore[arg-type]
            if self._within_box(vector, -1.0 - 1e-6, 1.0 + 1e-6):  # NaN is not within
                return vector
            raise ActionError(f"{who} sent {box_problem(vector)}", malformed=True)
        index = discrete_action(action, self._discrete_size, who)
        if enforce_mask and not self.action_mask(agent)[index]:
            legal = np.flatnonzero(self.action_mask(agent)).tolist()
            shown = legal if len(legal) <= 8 else f"{legal[:3]} … {legal[-2:]} ({len(legal)} actions)"
            raise ActionError(
                f"action: {index} is illegal for {agent} now ({self.situation()}); legal actions: {shown}"
            )
        return index

    def situation(self) -> str:
        """The decision at hand, in words (for messages)."""
        if self.phase != BARGAINING:
            return f"{self.phase} stage: only ACCEPT (0) passes"
        return self.game_state.describe()

    def decide(self, agent: str, action: Any) -> None:
        """Play one checked decision (:meth:`check_action`) of the acting ``agent`` and set ``self.rewards``."""
        self.rewards = dict.fromkeys(self.agents, 0.0)
        role = ROLE_OF[agent]
        if self.phase == REALIZATION:
            self._pass_realization(role)
        else:
            self._bargain(role, action)
        self.decisions += 1
        if self.decision_cap is not None and self.decisions >= self.decision_cap and self.phase != DONE:
            self.truncations = dict.fromkeys(self.agents, True)
            self._transcript.add("  truncated (max_cycles)")
        self._situation_infos = None

    def _bargain(self, role: Role, action: Any) -> None:
        """One bargaining decision, played by the core; the env resolves break-off chance and logs."""
        state = self.game_state
        if state.pending is None:
            state.apply_action(action)
            self._logged_offer(role)
            return
        state.apply_action(action)
        if state.phase == DONE:
            self._transcript.add(f"  {role} accepts" if state.deal is not None else f"  {role} rejects")
            if state.deal is None:
                self._transcript.add("  deadline: no deal")
        else:
            countered = state.counter is not None
            self._transcript.add(f"  {role} rejects" + (" with a counter-offer" if countered else ""))
            self._break_off()
            if countered and state.phase == BARGAINING:
                self._logged_offer(role)
        if state.phase == DONE:
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
            self._transcript.add("  bargaining breaks down")
            state.apply_chance(BREAK_DOWN)
        else:
            state.apply_chance(CONTINUE)

    def _logged_offer(self, role: Role) -> None:
        offer = self.game_state.pending
        assert offer is not None
        self._transcript.add_offer(self.game_state.round, role, offer)

    def _end_bargaining(self) -> None:
        state = self.game_state
        if self.realization == "expected":
            self.payoffs = self.breakdown_value + self.survival * state.returns()
            self._finish(self.payoffs)
            return
        self.phase = REALIZATION
        self.stage = RealizationStage(
            self.game,
            state.deal,
            state.value,
            factor=self.rules.discount ** (state.end_round or 0),
            rounds=self.realization_rounds,
            tie_break=self.tie_break,
            first=state.proposer,  # the responder's decision ended bargaining: turns keep alternating
            rng=self.np_random,
        )

    def _pass_realization(self, role: Role) -> None:
        """Both agents pass once per round; the round is paid when the second one passes."""
        assert self.stage is not None
        reward = self.stage.pass_turn(role)
        if reward is None:
            return
        self.rewards = {AGENTS["sender"]: float(reward[0]), AGENTS["receiver"]: float(reward[1])}
        if self.stage.over:
            self.payoffs = self.stage.payoffs
            self._finish(None)

    def _finish(self, rewards: NDArray[np.float64] | None) -> None:
        self.phase = DONE
        if rewards is not None:
            self.rewards = {AGENTS["sender"]: float(rewards[0]), AGENTS["receiver"]: float(rewards[1])}
        self.terminations = dict.fromkeys(self.agents, True)
        assert self.payoffs is not None
        self._transcript.add(
            f"payoffs: sender {self.payoffs[0]:.4f}, receiver {self.payoffs[1]:.4f}"
            + ("" if self.deal is not None else " (no deal)")
        )

    def disagree(self, agent: str, reason: str, *, end_episode: bool = False) -> None:
        """End bargaining now without a deal, as one step of ``agent`` (the Gymnasium views' and ``env()``'s
        illegal actions). ``end_episode``: end the episode too, in ``"sampled"`` mode without playing the
        realization stage (both are paid its expected reward, ``discount**t · d``, once)."""
        self._cumulative_rewards[agent] = 0.0
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._transcript.add(f"  {ROLE_OF[agent]} walks away ({reason}): no deal")
        self.game_state.walk_away()
        if end_episode and self.realization == "sampled":
            self.payoffs = self.game_state.returns()
            self._finish(self.payoffs)
        else:
            self._end_bargaining()
        self._situation_infos = None
        self._accumulate_rewards()
        self.agent_selection = AGENTS[self.acting_role] if self.phase != DONE else AGENTS[other(ROLE_OF[agent])]

    # AEC

    def step(self, action: Any) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        action = self.check_action(agent, action)
        self._cumulative_rewards[agent] = 0.0
        self.decide(agent, action)
        self._accumulate_rewards()
        self.agent_selection = AGENTS[self.acting_role] if self.phase != DONE else AGENTS[other(ROLE_OF[agent])]
        if self.render_mode == "human":
            self.render()

    # rendering

    @property
    def transcript(self) -> list[str]:
        """The episode so far, one line per event: offers, decisions, breakdowns, payoffs."""
        return self._transcript.lines

    def render(self) -> str | NDArray[np.uint8] | None:
        if self.render_mode is None:
            gymnasium.logger.warn(
                "render() called without a render_mode; pass render_mode='ansi', 'human' or 'rgb_array'"
            )
            return None
        if self.render_mode == "ansi":
            return "\n".join(self.transcript)
        if self.render_mode == "human":
            print("\n".join(self._transcript.unprinted()))
            return None
        return offers_picture(self.problem, self._transcript, f"{self.game.name}: offers so far")

    def close(self) -> None:
        pass
