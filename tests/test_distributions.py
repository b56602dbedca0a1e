"""Distributions of games: every spelling, the env's draws, and the errors that name the bad instance."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from infobargain.envs import information_bargaining_v1 as ib
from infobargain.game.distributions import (
    InstanceDistribution,
    InstanceSet,
    RandomInstances,
    SamplerDistribution,
    resolve_game,
)
from infobargain.game.instance import Instance, InstanceError, random_instance
from infobargain.game.scenarios import scenario
from infobargain.training.config import ConfigError, RunConfig


def test_random_spelling_is_a_distribution_and_with_a_seed_one_game() -> None:
    assert isinstance(resolve_game("random:2x3"), RandomInstances)
    assert resolve_game("random:2x3").shape == (2, 3, 3)
    one = resolve_game("random:2x3:5")
    assert isinstance(one, Instance) and one == random_instance(2, 3, 5, name="random:2x3:5")


def test_random_draws_follow_the_documented_law() -> None:
    prior, sender, receiver = RandomInstances(3, 2).sample_arrays(np.random.default_rng(0), 4000)
    np.testing.assert_allclose(prior.sum(axis=1), 1.0)
    assert prior.min() >= 1e-3 / (1 + 3e-3) and abs(prior.mean() - 1 / 3) < 0.01  # Dirichlet(1): mean 1/S
    for table in (sender, receiver):
        assert table.shape == (4000, 3, 2) and table.min() >= -1 and table.max() <= 1
        assert abs(table.mean()) < 0.02 and abs(table.var() - 1 / 3) < 0.02  # uniform on [-1, 1]


def test_families_folders_and_lists(tmp_path: Path) -> None:
    paper = resolve_game("family:paper")
    assert isinstance(paper, InstanceSet)
    assert [member.name for member in paper.members] == ["pure_math", "grading_students", "selling_products"]
    assert len(resolve_game("family:signaling").members) == 4  # type: ignore[union-attr]
    for seed in (3, 1, 2):
        random_instance(2, 2, seed).save(tmp_path / f"game{seed}.json")
    folder = resolve_game(tmp_path)
    assert isinstance(folder, InstanceSet)
    assert [m.name for m in folder.members] == [f"random_2x2_seed{s}" for s in (1, 2, 3)]  # sorted by file name
    listed = resolve_game(["prosecutor", str(tmp_path / "game1.json")])
    assert isinstance(listed, InstanceSet) and [m.name for m in listed.members] == ["prosecutor", "random_2x2_seed1"]


def test_the_env_draws_a_new_game_from_its_generator_at_every_reset() -> None:
    env = ib.raw_env(game="random:2x2")
    priors = []
    for seed in (0, 1, 0):
        env.reset(seed=seed)
        priors.append(env.instance.prior[0])
        np.testing.assert_allclose(env.observe("sender_0")["observation"][:2], env.instance.prior)
    assert priors[0] == priors[2] != priors[1]
    env.reset()
    assert env.instance.prior[0] not in priors


def test_the_offer_menu_lists_what_every_frontier_action_pays() -> None:
    env = ib.raw_env(game="random:2x2", grid_size=7)
    env.reset(seed=4)
    menu = env.observe("sender_0")["observation"][env.observation_layout["offer_menu"]].reshape(2, 7, 2)
    for proposer, role in enumerate(("sender", "receiver")):
        for k in range(7):
            np.testing.assert_allclose(menu[proposer, k], env.encoding.offers[role][k].payoffs)
    assert "offer_menu" not in ib.raw_env(offer_space="grid", grid_size=3).observation_layout.slices


def test_a_parallel_env_plays_a_distribution() -> None:
    env = ib.parallel_env(game="family:signaling")
    seen = set()
    for seed in range(12):
        env.reset(seed=seed)
        seen.add(env.unwrapped.game.name)
    assert seen == {"pure_math", "grading_students", "selling_products", "prosecutor"}


# bad input: named, and before anything is built


def test_mixed_shapes_in_a_folder_name_the_file(tmp_path: Path) -> None:
    random_instance(2, 2, 0).save(tmp_path / "a.json")
    random_instance(3, 2, 0).save(tmp_path / "b.json")
    with pytest.raises(InstanceError, match=r"game: .*b\.json has shape \(3, 2, 2\).*a\.json has \(2, 2, 2\)"):
        resolve_game(tmp_path)


def test_an_empty_folder_and_a_pie_in_a_list_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InstanceError, match="holds no instance files"):
        resolve_game(tmp_path)
    with pytest.raises(InstanceError, match="split_pie in the list is not one persuasion instance"):
        resolve_game(["pure_math", "split_pie"])
    with pytest.raises(InstanceError, match="unknown family 'nope'"):
        resolve_game("family:nope")
    with pytest.raises(InstanceError, match="not of the form random:SxA"):
        resolve_game("random:2y2")


def test_a_sampler_that_raises_or_returns_garbage_is_named() -> None:
    def broken(rng: np.random.Generator) -> Instance:
        raise RuntimeError("no data")

    with pytest.raises(InstanceError, match=r"game: sampler '.*broken' raised RuntimeError: no data"):
        ib.raw_env(game=broken)

    def invalid(rng: np.random.Generator) -> Instance:
        return Instance([0.5, 0.6], [[0, 1], [0, 1]], [[0, 1], [1, 0]])  # the prior does not sum to 1

    with pytest.raises(InstanceError, match=r"game: sampler '.*invalid' raised InstanceError: prior"):
        SamplerDistribution(invalid)


def test_a_distribution_named_where_one_game_is_needed_says_so() -> None:
    with pytest.raises(InstanceError, match="'random:2x2' names a distribution"):
        scenario("random:2x2")


def test_a_run_config_checks_its_distribution_before_training(tmp_path: Path) -> None:
    base = {"run": {"algorithm": "qlearning"}, "env": {"game": str(tmp_path)}}
    with pytest.raises(ConfigError, match=r"env: game: the folder .* holds no instance files"):
        RunConfig.from_dict(base)
    config = RunConfig.from_dict({**base, "env": {"game": "random:2x2"}})
    assert isinstance(resolve_game(config.env["game"]), InstanceDistribution)
    random_instance(2, 2, 0).save(tmp_path / "a.json")
    assert json.loads(json.dumps(RunConfig.from_dict(base).to_dict()))["env"]["game"] == str(tmp_path)


def test_an_obedience_margin_a_drawn_game_may_miss_is_refused_up_front() -> None:
    # random:2x2 at margin 0.01 used to raise InfeasibleError at about 1 reset in 300 (reset(seed=150) among them)
    with pytest.raises(ValueError, match=r"obedience_margin: 0.01 cannot be guaranteed for random:2x2"):
        ib.env(game="random:2x2", obedience_margin=0.01)
    with pytest.raises(ValueError, match=r"obedience_margin: 0\.05 cannot be guaranteed"):
        RunConfig.from_dict({"env": {"game": "random:2x2", "obedience_margin": 0.05}})
    drawn = ib.env(game="random:2x2", obedience_margin=0.0)  # no margin: every draw is feasible
    for seed in range(150, 160):
        drawn.reset(seed=seed)
    members = [scenario("pure_math"), scenario("grading_students")]
    assert ib.env(game=members, obedience_margin=0.01).unwrapped.distribution is not None  # each member checked
    with pytest.raises(ValueError, match=r"1000 is more than the game .pure_math. of list of 2 games"):
        ib.env(game=members, obedience_margin=1000.0)
