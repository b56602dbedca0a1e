"""Players: reproducible from construction (seeded generators; reset(seed) reseeds them), and deprecated names warn."""

from __future__ import annotations

from infobargain.agents import make_policy
from infobargain.envs import information_bargaining_v1 as ib


def decisions(player: object, environment: ib.raw_env, count: int = 20) -> list[int]:
    observation = environment.observe("sender_0")
    return [int(player.act(observation)) for _ in range(count)]  # type: ignore[attr-defined]


def test_random_players_built_alike_play_alike_before_any_reset() -> None:
    environment = ib.raw_env(grid_size=21)
    environment.reset(seed=0)
    first, second = make_policy("random", environment, "sender"), make_policy("random", environment, "sender")
    assert decisions(first, environment) == decisions(second, environment)
    assert len(set(decisions(first, environment))) > 1  # it does randomise


def test_the_old_tolerance_name_warns() -> None:
    import pytest

    from infobargain.agents import analytic
    from infobargain.game.state import TOLERANCE

    with pytest.warns(DeprecationWarning, match="game.state.TOLERANCE"):
        assert analytic.ACCEPT_TOLERANCE == TOLERANCE
