"""The actor-critic network of the library's own PPO, and its action distributions.

Discrete encodings get a masked categorical policy (illegal actions get probability 0); the ``"scheme"``
encoding a diagonal Gaussian whose samples the environment clips to ``[-1, 1]``. Sampling takes an
explicit ``torch.Generator`` so that training is reproducible and resumable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import torch
from torch import nn

from infobargain.game.state import FIRST_OFFER


def _layer(inputs: int, outputs: int, gain: float = 2**0.5) -> nn.Linear:
    layer = nn.Linear(inputs, outputs)
    nn.init.orthogonal_(layer.weight, gain)
    nn.init.zeros_(layer.bias)
    return layer


ACTIVATIONS: dict[str, type[nn.Module]] = {"tanh": nn.Tanh, "relu": nn.ReLU}


class DuelingHead(nn.Module):
    """Q-values as a state value plus mean-centred advantages: ``Q(s, a) = V(s) + A(s, a) - mean_b A(s, b)``.

    The output layer of the value-based learner (:mod:`infobargain.training.qlearning`). Every sample of a
    situation moves ``V``, whichever action it took, so the estimate of an action that is rarely taken follows
    its situation's value as that value changes, instead of waiting for the action's own samples. Learning
    backward induction, the values of later rounds keep changing while they are backed up, and a plain head
    left such actions' values behind (a proposer's offers off its greedy path, a responder's counter-offers).
    The map is linear in the hidden features, so :meth:`folded` is one plain layer with the same outputs.
    """

    def __init__(self, inputs: int, actions: int, gain: float) -> None:
        super().__init__()
        self.value = _layer(inputs, 1, gain)
        self.advantage = _layer(inputs, actions, gain)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        advantages = self.advantage(hidden)
        return self.value(hidden) + advantages - advantages.mean(dim=-1, keepdim=True)

    def folded(self) -> nn.Linear:
        """The same map as one linear layer (on the head's device): ``W = 1 w_V + W_A - 1 mean_a W_A[a]``, and
        likewise the bias."""
        value, advantage = self.value, self.advantage
        layer = nn.Linear(advantage.in_features, advantage.out_features).to(advantage.weight.device)
        with torch.no_grad():
            layer.weight.copy_(value.weight + advantage.weight - advantage.weight.mean(dim=0, keepdim=True))
            layer.bias.copy_(value.bias + advantage.bias - advantage.bias.mean())
        return layer


@dataclass(frozen=True)
class OfferLayout:
    """Where an :class:`OfferHead` reads what its player's offers pay: the observation's ``offer_menu`` and
    ``disagreement`` slices (their first entries), the offers per proposer, the player's role (0: sender) and the
    width of the offer network."""

    menu: int
    disagreement: int
    offers: int
    role: int
    width: int = 32

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


class OfferHead(nn.Module):
    """Q-values that score every offer with one shared network, from what that offer pays.

    An offer action means its payoffs: the observation's ``offer_menu`` lists both players' payoffs of every
    offer of both proposers. The accept and reject outputs are a linear layer of the trunk's features, as in a
    plain head. Each offer's output is a two-layer network of the trunk's features (the situation: protocol,
    round, what the responder can expect) and of the offer's own payoffs to the player and the other player and
    their gains over ``d``. The same weights score every offer, so "the best claim the responder accepts" is one
    function of an offer's payoffs, whatever the game's size and however its menu falls; a plain head learns
    it separately for each of the grid's positions, from menus shaped like those it trained on.

    ``offset`` is added to the observation before the payoffs are read: the learner feeds centred observations
    and keeps the centre here, a saved player folds the centre away and reads raw ones (offset 0).
    """

    def __init__(
        self, hidden: int, actions: int, layout: OfferLayout, observation_size: int, activation: type[nn.Module]
    ) -> None:
        super().__init__()
        if (
            actions != FIRST_OFFER + layout.offers
            or layout.role not in (0, 1)
            or min(layout.menu, layout.disagreement) < 0
        ):
            raise ValueError(f"offer head: {actions} actions do not fit {layout}")
        if max(layout.menu + 4 * layout.offers, layout.disagreement + 2) > observation_size or layout.width < 1:
            raise ValueError(f"offer head: {layout} does not fit observations of size {observation_size}")
        self.layout = layout
        self.responses = _layer(hidden, FIRST_OFFER, 0.01)  # accept, reject
        self.situation = _layer(hidden, layout.width)
        self.offer = _layer(4, layout.width)
        self.middle = _layer(layout.width, layout.width)
        self.score = _layer(layout.width, 1, 0.01)
        self.activation = activation()
        self.offset: torch.Tensor
        self.register_buffer("offset", torch.zeros(observation_size))

    def forward(self, hidden: torch.Tensor, observation: torch.Tensor) -> torch.Tensor:
        layout, seen = self.layout, observation + self.offset
        me, other = layout.role, 1 - layout.role
        menu = seen[:, layout.menu : layout.menu + 4 * layout.offers].reshape(-1, 2, layout.offers, 2)
        payoffs, d = menu[:, layout.role], seen[:, layout.disagreement : layout.disagreement + 2]
        mine, theirs = payoffs[..., me], payoffs[..., other]
        features = torch.stack([mine, theirs, mine - d[:, me, None], theirs - d[:, other, None]], dim=-1)
        offers = self.activation(self.offer(features) + self.situation(hidden)[:, None, :])
        offers = self.score(self.activation(self.middle(offers))).squeeze(-1)
        return torch.cat([self.responses(hidden), offers], dim=-1)


class OfferQNetwork(nn.Sequential):
    """An MLP trunk whose last module is an :class:`OfferHead`, which also reads the observation itself."""

    def forward(self, observation: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        hidden = observation
        for module in list(self)[:-1]:
            hidden = module(hidden)
        return self[-1](hidden, observation)  # type: ignore[no-any-return]


def has_offer_head(state: Mapping[str, torch.Tensor]) -> bool:
    """Whether ``state`` (an :class:`ActorCritic`'s state dict) has an :class:`OfferHead` for its policy head."""
    return any(key.startswith("actor.") and key.endswith(".offset") for key in state)


def has_dueling_head(state: Mapping[str, torch.Tensor]) -> bool:
    """Whether ``state`` (an :class:`ActorCritic`'s state dict) has a :class:`DuelingHead` for its policy head."""
    return any(key.startswith("actor.") and ".advantage." in key for key in state)


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
        dueling: bool = False,
        offer_head: OfferLayout | None = None,
    ) -> None:
        """``critic_size``: the value network's input size when it sees more than the player's own observation
        (a centralised critic); the policy always acts on the observation alone. ``dueling``: the policy head
        is a :class:`DuelingHead`; ``offer_head``: an :class:`OfferHead` reading the menu where it says (both
        Q-values for a value-based learner, one head at a time)."""
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation: must be one of {tuple(ACTIVATIONS)}, got {activation!r}")
        self.observation_size, self.action_size, self.discrete = observation_size, action_size, discrete
        self.hidden_size, self.activation = hidden_size, activation
        self.critic_size = observation_size if critic_size is None else critic_size
        self.offer_head = offer_head
        layer = ACTIVATIONS[activation]
        self.actor: nn.Sequential
        # Each head is made before its trunk: a seeded initialisation draws the weights in this order, and the
        # published figures depend on it.
        if offer_head is not None:
            if dueling or not discrete:
                raise ValueError("offer_head: a plain discrete head only (not dueling, not continuous actions)")
            offers = OfferHead(hidden_size, action_size, offer_head, observation_size, layer)
            self.actor = OfferQNetwork(*self._trunk(observation_size), offers)
        else:
            policy = (DuelingHead if dueling else _layer)(hidden_size, action_size, 0.01)
            self.actor = nn.Sequential(*self._trunk(observation_size), policy)
        value = _layer(hidden_size, 1, 1.0)
        self.critic = nn.Sequential(*self._trunk(self.critic_size), value)
        self.log_std = nn.Parameter(torch.full((action_size,), -0.5)) if not discrete else None

    def _trunk(self, inputs: int) -> list[nn.Module]:
        """Two hidden layers, before a head."""
        width, layer = self.hidden_size, ACTIVATIONS[self.activation]
        return [_layer(inputs, width), layer(), _layer(width, width), layer()]

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
