"""The actor-critic network of the library's own PPO, and its action distributions.

Discrete encodings get a masked categorical policy (illegal actions get probability 0); the ``"scheme"``
encoding a diagonal Gaussian whose samples the environment clips to ``[-1, 1]``. Sampling takes an
explicit ``torch.Generator`` so that training is reproducible and resumable.
"""

from __future__ import annotations

import torch
from torch import nn


def _layer(inputs: int, outputs: int, gain: float = 2**0.5) -> nn.Linear:
    layer = nn.Linear(inputs, outputs)
    nn.init.orthogonal_(layer.weight, gain)
    nn.init.zeros_(layer.bias)
    return layer


ACTIVATIONS: dict[str, type[nn.Module]] = {"tanh": nn.Tanh, "relu": nn.ReLU}
ACTORS = ("mlp", "offers")
"""Policy networks: ``"mlp"`` maps the observation to one output per action; ``"offers"`` (:class:`OfferScorer`)
scores every frontier offer from its own payoffs, for players that meet games they have never seen."""


def _mlp(inputs: int, width: int, outputs: int, activation: str, gain: float) -> nn.Sequential:
    layer = ACTIVATIONS[activation]
    return nn.Sequential(_layer(inputs, width), layer(), _layer(width, width), layer(), _layer(width, outputs, gain))


OFFER_WIDTH = 48
"""Width of :class:`OfferScorer`'s per-offer network."""


class OfferScorer(nn.Module):
    """One output per action of a ``"frontier"`` offer space, the offers scored by one network they share.

    A frontier action means "the k-th point of this game's frontier"; what it pays is listed in the observation's
    offer menu (``offer_menu``: both proposers' offers, both players' payoffs). A flat network must learn, for every
    output, which menu entries belong to it; here a trunk summarises the situation, ACCEPT and REJECT are read off
    the summary, and each offer k the acting player can make is scored from the summary, its payoff to the player,
    its payoff to the other and its position ``k / (K − 1)``. The same rule then serves every offer and every game.
    """

    def __init__(
        self,
        observation_size: int,
        action_size: int,
        hidden_size: int,
        activation: str,
        menu_start: int,
        role_start: int,
    ) -> None:
        super().__init__()
        self.offers = action_size - 2
        self.menu_start, self.role_start = menu_start, role_start
        self.trunk = nn.Sequential(
            _layer(observation_size, hidden_size),
            ACTIVATIONS[activation](),
            _layer(hidden_size, hidden_size),
            ACTIVATIONS[activation](),
        )
        self.fixed = _layer(hidden_size, 2, gain=0.01)  # ACCEPT, REJECT
        # The per-offer network runs K times per observation: it reads a small projection of the summary.
        self.context = _layer(hidden_size, OFFER_WIDTH)
        self.score = nn.Sequential(
            _layer(OFFER_WIDTH + 3, OFFER_WIDTH), ACTIVATIONS[activation](), _layer(OFFER_WIDTH, 1, gain=0.01)
        )
        self.position: torch.Tensor
        self.register_buffer("position", torch.linspace(0.0, 1.0, self.offers), persistent=False)

    @property
    def accept_bias(self) -> torch.Tensor:
        return self.fixed.bias[0]

    def forward(self, observation: torch.Tensor) -> torch.Tensor:
        batch, count = observation.shape[0], self.offers
        summary = self.trunk(observation)
        context = self.context(summary)
        menu = observation[:, self.menu_start : self.menu_start + 4 * count].view(batch, 2, count, 2)
        role = observation[:, self.role_start : self.role_start + 2]  # one-hot: sender, receiver
        own = torch.einsum("bp,bpkx->bkx", role, menu)  # the acting player's own offers
        mine = torch.einsum("bx,bkx->bk", role, own)
        features = torch.cat(
            [
                context[:, None, :].expand(batch, count, OFFER_WIDTH),
                mine[..., None],
                (own.sum(-1) - mine)[..., None],
                self.position.expand(batch, count)[..., None],
            ],
            dim=-1,
        )
        return torch.cat([self.fixed(summary), self.score(features).squeeze(-1)], dim=-1)


class ActorCritic(nn.Module):
    """Separate policy and value MLPs over one player's observation vector.

    The policy head outputs logits; a value-based learner (:mod:`infobargain.training.qlearning`) uses it for
    Q-values, whose greedy action is the same arg-max.
    """

    def __init__(
        self,
        observation_size: int,
        action_size: int,
        discrete: bool,
        hidden_size: int = 64,
        activation: str = "tanh",
        critic_size: int | None = None,
        actor: str = "mlp",
        menu_start: int = 0,
        role_start: int = 0,
    ) -> None:
        """``critic_size``: the value network's input size when it sees more than the player's own observation
        (a centralised critic); the policy always acts on the observation alone. ``actor``: one of
        :data:`ACTORS`; ``"offers"`` needs the observation's ``offer_menu`` and ``role`` offsets."""
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation: must be one of {tuple(ACTIVATIONS)}, got {activation!r}")
        if actor not in ACTORS or (actor == "offers" and not discrete):
            raise ValueError(f"actor: must be one of {ACTORS} ('offers' for discrete frontier offers), got {actor!r}")
        self.observation_size, self.action_size, self.discrete = observation_size, action_size, discrete
        self.hidden_size, self.activation = hidden_size, activation
        self.actor_kind, self.menu_start, self.role_start = actor, menu_start, role_start
        self.critic_size = observation_size if critic_size is None else critic_size
        self.actor: nn.Module = (
            OfferScorer(observation_size, action_size, hidden_size, activation, menu_start, role_start)
            if actor == "offers"
            else _mlp(observation_size, hidden_size, action_size, activation, gain=0.01)
        )
        self.critic = _mlp(self.critic_size, hidden_size, 1, activation, gain=1.0)
        self.log_std = nn.Parameter(torch.full((action_size,), -0.5)) if not discrete else None

    @property
    def accept_bias(self) -> torch.Tensor:
        """The bias of the ACCEPT output (where a tie-break in favour of accepting is added)."""
        if isinstance(self.actor, OfferScorer):
            return self.actor.accept_bias
        return self.actor[-1].bias[0]  # type: ignore[index]

    def value(self, critic_input: torch.Tensor) -> torch.Tensor:
        """The value estimate from the critic's input (the observation, or more for a centralised critic)."""
        return self.critic(critic_input).squeeze(-1)

    def _log_probs(self, observation: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        logits = self.actor(observation)
        if mask is not None:
            logits = logits.masked_fill(~mask, -1e9)
        return torch.log_softmax(logits, dim=-1)

    def act(
        self,
        observation: torch.Tensor,
        mask: torch.Tensor | None,
        generator: torch.Generator | None = None,
        greedy: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Sample (or, greedily, pick the mode of) an action; returns it and its log-probability."""
        if self.discrete:
            log_probs = self._log_probs(observation, mask)
            if greedy:
                action = log_probs.argmax(dim=-1)
            else:
                action = torch.multinomial(log_probs.exp(), 1, generator=generator).squeeze(-1)
            return action, log_probs.gather(-1, action[:, None]).squeeze(-1)
        mean = torch.tanh(self.actor(observation))
        assert self.log_std is not None
        std = self.log_std.exp().expand_as(mean)
        action = mean if greedy else mean + std * torch.randn(mean.shape, generator=generator)
        return action, self._gaussian_log_prob(mean, std, action)

    def evaluate(
        self,
        observation: torch.Tensor,
        mask: torch.Tensor | None,
        action: torch.Tensor,
        critic_input: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Log-probability of ``action``, entropy of the policy, and the value estimate (from ``critic_input``,
        by default the observation)."""
        value = self.value(observation if critic_input is None else critic_input)
        if self.discrete:
            log_probs = self._log_probs(observation, mask)
            chosen = log_probs.gather(-1, action.long()[:, None]).squeeze(-1)
            probabilities = log_probs.exp()
            entropy = -(probabilities * log_probs.clamp(min=-1e8)).sum(-1)
            return chosen, entropy, value
        mean = torch.tanh(self.actor(observation))
        assert self.log_std is not None
        std = self.log_std.exp().expand_as(mean)
        entropy = (0.5 + 0.5 * torch.log(torch.tensor(2 * torch.pi)) + torch.log(std)).sum(-1)
        return self._gaussian_log_prob(mean, std, action), entropy, value

    @staticmethod
    def _gaussian_log_prob(mean: torch.Tensor, std: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        return (
            -((action - mean) ** 2) / (2 * std**2) - torch.log(std) - 0.5 * torch.log(torch.tensor(2 * torch.pi))
        ).sum(-1)
