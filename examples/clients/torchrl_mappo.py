"""TorchRL: its ``PettingZooWrapper`` (AEC with ``use_mask=True``, and Parallel), ``check_env_specs``, a random
``rollout``, and its multi-agent PPO recipe (one actor and one critic per group, masked categorical
policies, ``ClipPPOLoss`` with GAE) for a few iterations on the Parallel env.

The bare constructors work as they are (their plain numeric infos go into TorchRL's tensors); only the game is
made small. Run: ``python examples/clients/torchrl_mappo.py``.
"""

from __future__ import annotations

import torch
from tensordict.nn import TensorDictModule, TensorDictSequential
from torch import nn
from torchrl.collectors import Collector
from torchrl.envs import DoubleToFloat, TransformedEnv
from torchrl.envs.libs.pettingzoo import PettingZooWrapper
from torchrl.envs.utils import check_env_specs
from torchrl.modules import MaskedCategorical, ProbabilisticActor
from torchrl.objectives import ClipPPOLoss, ValueEstimators

from infobargain.envs import information_bargaining_v1

SETTINGS = {"protocol": "ultimatum", "grid_size": 5}


def make_env(parallel: bool = True) -> PettingZooWrapper:
    game = information_bargaining_v1.parallel_env(**SETTINGS) if parallel else information_bargaining_v1.env(**SETTINGS)
    return PettingZooWrapper(game, use_mask=True)


def float_observations(env: PettingZooWrapper) -> TransformedEnv:
    """The env with float32 observation vectors for torch networks (the env's are float64)."""
    return TransformedEnv(
        env, DoubleToFloat(in_keys=[(group, "observation", "observation") for group in env.group_map])
    )


def group_modules(env: TransformedEnv, group: str, hidden: int = 64) -> tuple[ProbabilisticActor, TensorDictModule]:
    """One group's masked actor and its critic."""
    size = env.observation_spec[group, "observation", "observation"].shape[-1]
    n_actions = env.full_action_spec[group, "action"].space.n
    logits = TensorDictModule(
        nn.Sequential(nn.Linear(size, hidden), nn.Tanh(), nn.Linear(hidden, n_actions)),
        in_keys=[(group, "observation", "observation")],
        out_keys=[(group, "logits")],
    )
    actor = ProbabilisticActor(
        logits,
        in_keys={"logits": (group, "logits"), "mask": (group, "action_mask")},
        out_keys=[(group, "action")],
        distribution_class=MaskedCategorical,
        return_log_prob=True,
        log_prob_key=(group, "action_log_prob"),
    )
    critic = TensorDictModule(
        nn.Sequential(nn.Linear(size, hidden), nn.Tanh(), nn.Linear(hidden, 1)),
        in_keys=[(group, "observation", "observation")],
        out_keys=[(group, "state_value")],
    )
    return actor, critic


def group_loss(actor: ProbabilisticActor, critic: TensorDictModule, group: str) -> ClipPPOLoss:
    loss = ClipPPOLoss(actor, critic, entropy_coeff=0.01, normalize_advantage=False)
    loss.set_keys(
        action=(group, "action"),
        sample_log_prob=(group, "action_log_prob"),
        value=(group, "state_value"),
        reward=(group, "reward"),
        done=(group, "done"),
        terminated=(group, "terminated"),
        advantage=(group, "advantage"),
        value_target=(group, "value_target"),
    )
    loss.make_value_estimator(ValueEstimators.GAE, gamma=1.0, lmbda=0.95)
    return loss


def main(iterations: int = 3, frames_per_batch: int = 256, seed: int = 0) -> list[dict[str, float]]:
    torch.manual_seed(seed)
    for parallel in (False, True):  # both wrappers pass TorchRL's checks and roll out with masked random actions
        env = make_env(parallel)
        check_env_specs(env)
        env.rollout(20, break_when_any_done=False)
    env = float_observations(make_env(parallel=True))
    env.set_seed(seed)
    groups = list(env.group_map)
    modules = {group: group_modules(env, group) for group in groups}
    losses = {group: group_loss(*modules[group], group) for group in groups}
    policy = TensorDictSequential(*(actor for actor, _ in modules.values()))
    parameters = [p for loss in losses.values() for p in loss.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=3e-3)
    collector = Collector(env, policy, frames_per_batch=frames_per_batch, total_frames=iterations * frames_per_batch)
    history = []
    for batch in collector:
        with torch.no_grad():
            for loss in losses.values():
                loss.value_estimator(
                    batch, params=loss.critic_network_params, target_params=loss.target_critic_network_params
                )
        for _ in range(4):
            optimizer.zero_grad()
            total = sum(sum(v for k, v in loss(batch).items() if k.startswith("loss_")) for loss in losses.values())
            total.backward()
            optimizer.step()
        done = batch["next", "done"].squeeze(-1)
        returns = {
            group: float(batch["next", group, "reward"].squeeze(-1).squeeze(-1)[done].mean()) for group in groups
        }
        history.append(returns)
        print({group: round(value, 4) for group, value in returns.items()})
    collector.shutdown()
    return history


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
