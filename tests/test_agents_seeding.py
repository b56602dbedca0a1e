"""Players are reproducible from construction: their generators are seeded (reset(seed) reseeds them)."""

from __future__ import annotations

from infobargain.agents import make_policy
from infobargain.envs import information_bargaining_v0 as ib


def decisions(player: object, environment: ib.raw_env, count: int = 20) -> list[int]:
    observation = environment.observe("sender_0")
    return [int(player.act(observation)) for _ in range(count)]  # type: ignore[attr-defined]


def test_random_players_built_alike_play_alike_before_any_reset() -> None:
    environment = ib.raw_env(grid_size=21)
    environment.reset(seed=0)
    first, second = make_policy("random", environment, "sender"), make_policy("random", environment, "sender")
    assert decisions(first, environment) == decisions(second, environment)
    assert len(set(decisions(first, environment))) > 1  # it does randomise
