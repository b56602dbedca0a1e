"""The RLModule both RLlib players use: RLlib's default PPO networks with illegal actions masked.

The observation is the dict of :func:`infobargain.agents.rllib.rllib_observation`. The networks (RLlib's
default PPO encoder, policy and value heads, sized by the usual ``model_config``) see only
``obs["observations"]``; ``obs["action_mask"]``, when present, pushes the logits of illegal actions to
:data:`ILLEGAL_LOGIT`, so they are never sampled and carry no gradient. Without a mask (the ``"scheme"``
encoding) the module is RLlib's default PPO module.

This module imports Ray at import time; only the RLlib backend and the RLlib player loader import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gymnasium
from ray.rllib.algorithms.ppo.torch.default_ppo_torch_rl_module import DefaultPPOTorchRLModule
from ray.rllib.core.columns import Columns

from infobargain.agents.rllib import ACTION_MASK, OBSERVATIONS

ILLEGAL_LOGIT = -1e9
"""The logit given to illegal actions: probability exactly 0 in float32, yet finite (no NaN in KL terms)."""


class MaskedPPOModule(DefaultPPOTorchRLModule):
    """RLlib's default PPO module over ``obs["observations"]``, masking logits with ``obs["action_mask"]``."""

    def __init__(self, *, observation_space: gymnasium.spaces.Dict, **kwargs: Any) -> None:
        # The networks are built for the vector alone; the module then reports the full dict space again,
        # because RLlib rebuilds a checkpointed module from the space it reports.
        super().__init__(observation_space=observation_space[OBSERVATIONS], **kwargs)
        self.observation_space = observation_space

    def _forward(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        inner, mask = _split(batch)
        return _mask(super()._forward(inner, **kwargs), mask)

    def _forward_train(self, batch: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        inner, mask = _split(batch)
        return _mask(super()._forward_train(inner, **kwargs), mask)

    def compute_values(self, batch: dict[str, Any], embeddings: Any | None = None) -> Any:
        inner, _ = _split(batch)
        return super().compute_values(inner, embeddings)


def _split(batch: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """A shallow copy of ``batch`` whose observations are the vectors alone, and the action mask (or None)."""
    observation = batch[Columns.OBS]
    if not isinstance(observation, Mapping):
        return batch, None
    return {**batch, Columns.OBS: observation[OBSERVATIONS]}, observation.get(ACTION_MASK)


def _mask(outputs: dict[str, Any], mask: Any) -> dict[str, Any]:
    if mask is not None:
        logits = outputs[Columns.ACTION_DIST_INPUTS]
        outputs[Columns.ACTION_DIST_INPUTS] = logits.masked_fill(mask <= 0, ILLEGAL_LOGIT)
    return outputs
