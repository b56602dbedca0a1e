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
    ) -> None:
        """``critic_size``: the value network's input size when it sees more than the player's own observation
        (a centralised critic); the policy always acts on the observation alone."""
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation: must be one of {tuple(ACTIVATIONS)}, got {activation!r}")
        self.observation_size, self.action_size, self.discrete = observation_size, action_size, discrete
        self.hidden_size, self.activation = hidden_size, activation
        self.critic_size = observation_size if critic_size is None else critic_size
        self.actor = self._mlp(observation_size, action_size, gain=0.01)
        self.critic = self._mlp(self.critic_size, 1, gain=1.0)
        self.log_std = nn.Parameter(torch.full((action_size,), -0.5)) if not discrete else None

    def _mlp(self, inputs: int, outputs: int, gain: float) -> nn.Sequential:
        width, layer = self.hidden_size, ACTIVATIONS[self.activation]
        return nn.Sequential(
            _layer(inputs, width), layer(), _layer(width, width), layer(), _layer(width, outputs, gain)
        )

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
