"""One generalist pair across protocols and sizes: the size-independent "menu" observation, mixed-size games,
the mixed vector env, the run config's protocol variants, and the zero-shot report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import infobargain.envs.information_bargaining_v1 as ib
from infobargain.envs.mixture import MixedVectorEnv, make_vector_env, mixture_parts, protocol_variants
from infobargain.envs.offers import ACCEPT, FIRST_OFFER, REJECT
from infobargain.envs.vector import VectorBargainingEnv
from infobargain.evaluation.suite import run_suite, runs_observation, unlike
from infobargain.evaluation.zero_shot import (
    cell_summaries,
    evaluate_generalist,
    hardest,
    structured_games,
    unseen_sizes,
    write_zero_shot,
)
from infobargain.game.distributions import RandomSizes, resolve_game
from infobargain.game.instance import random_instance
from infobargain.training.config import ConfigError, RunConfig

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
MENU = {"observation": "menu", "offer_space": "frontier", "grid_size": 5}
PROTOCOLS = {
    "ultimatum": {"protocol": "ultimatum", "max_rounds": 1, "break_off": 0.0},
    "fixed_role": {"protocol": "fixed_role", "max_rounds": 5, "break_off": 0.0},
    "alternating": {"protocol": "alternating", "max_rounds": 10, "break_off": 0.1},
}


def menu_size(grid: int) -> int:
    """The documented menu layout: d (2), the menu (2 proposers × grid offers × 2 payoffs), the protocol (3-way
    one-hot, break-off, discount, rounds / 10), role (2), my turn, proposing, phase (2), round and rounds left
    (10 each), offer on table, its payoffs (2), offer by me, deal."""
    return 2 + 4 * grid + 6 + 2 + 1 + 1 + 2 + 10 + 10 + 1 + 2 + 1 + 1


@pytest.mark.parametrize("size", [(2, 2), (2, 5), (3, 4), (5, 5)])
@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_the_menu_observation_has_one_size_for_every_game_and_protocol(size: tuple[int, int], protocol: str) -> None:
    env = ib.raw_env(game=random_instance(*size, seed=3), **MENU, **PROTOCOLS[protocol])
    env.reset(seed=0)
    observation = env.observe("sender_0")["observation"]
    assert observation.shape == (menu_size(5),) == env.observation_space("sender_0")["observation"].shape
    assert not {"prior", "sender_utility", "offer_scheme", "state", "signal"} & set(env.observation_layout.slices)


def test_the_full_observation_depends_on_the_size_and_the_menu_does_not() -> None:
    sizes = {(2, 2), (3, 3), (4, 4)}
    full = {ib.raw_env(game=random_instance(s, a, seed=0), grid_size=5).observation_layout.size for s, a in sizes}
    menu = {ib.raw_env(game=random_instance(s, a, seed=0), **MENU).observation_layout.size for s, a in sizes}
    assert len(full) == 3 and menu == {menu_size(5)}


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_protocol_features_say_which_protocol_and_its_parameters(protocol: str) -> None:
    env = ib.raw_env(game="pure_math", first_proposer="sender", discount=0.9, **MENU, **PROTOCOLS[protocol])
    env.reset(seed=0)
    layout = env.observation_layout
    vector = env.observe("receiver_0")["observation"]
    features = vector[layout["protocol"]]
    rounds = PROTOCOLS[protocol]["max_rounds"]
    expected_hot = [name == protocol for name in ("ultimatum", "fixed_role", "alternating")]
    assert features[:3].tolist() == [float(hot) for hot in expected_hot]
    assert features[3:].tolist() == pytest.approx([PROTOCOLS[protocol]["break_off"], 0.9, rounds / 10])
    assert np.argmax(vector[layout["round"]]) == 0 and np.argmax(vector[layout["rounds_left"]]) == rounds - 1


def test_the_round_is_counted_from_the_start_and_from_the_end() -> None:
    env = ib.raw_env(game="pure_math", first_proposer="sender", **MENU, **PROTOCOLS["fixed_role"])
    env.reset(seed=0)
    layout = env.observation_layout
    env.step(FIRST_OFFER)  # the sender offers, the receiver rejects: round 1 of 5
    env.step(REJECT)
    vector = env.observe("sender_0")["observation"]
    assert vector[layout["round"]].tolist() == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert vector[layout["rounds_left"]].tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]  # rounds 2, 3, 4 are left
    env.step(FIRST_OFFER + 2)
    offered = env.observe("receiver_0")["observation"]
    menu = offered[layout["offer_menu"]].reshape(2, 5, 2)
    assert offered[layout["offer_on_table"]][0] == 1.0
    assert offered[layout["offer_payoffs"]].tolist() == pytest.approx(menu[0, 2].tolist())


@pytest.mark.parametrize("protocol", ["fixed_role", "alternating"])
def test_the_vector_env_shows_what_the_aec_env_shows_in_the_menu_observation(protocol: str) -> None:
    instance = random_instance(3, 2, seed=5)
    kwargs = {"game": instance, "first_proposer": "sender", **MENU, **PROTOCOLS[protocol]}
    batch = VectorBargainingEnv(1, seed=0, autoreset=False, **kwargs)
    single = ib.raw_env(**kwargs)
    single.reset(seed=0)
    # an offer, a rejection (fixed-role) or counter-offer (alternating), then a deal
    played = (
        (FIRST_OFFER + 1, REJECT, FIRST_OFFER + 2) if protocol == "fixed_role" else (FIRST_OFFER + 1, FIRST_OFFER + 3)
    )
    for action in (*played, ACCEPT):
        role = batch.acting[0]
        agent = ("sender_0", "receiver_0")[role]
        assert single.agent_selection == agent
        np.testing.assert_allclose(batch.observe(role)[0], single.observe(agent)["observation"], atol=1e-12)
        batch.step(np.array([action]))
        single.step(action)


def test_mixed_size_games_are_refused_where_the_observation_depends_on_the_size() -> None:
    with pytest.raises(ValueError, match=r"random:2-4x2-4 mixes sizes \(random:2x2 … random:4x4\)") as caught:
        ib.raw_env(game="random:2-4x2-4")
    assert "\n" not in str(caught.value) and "observation='menu'" in str(caught.value)
    env = ib.raw_env(game="random:2-4x2-4", **MENU)
    shapes = set()
    for seed in range(30):
        env.reset(seed=seed)
        shapes.add((env.instance.n_states, env.instance.n_actions))
        assert env.observe("sender_0")["observation"].shape == (menu_size(5),)
    assert len(shapes) > 4


def test_mixed_size_spellings() -> None:
    mixed = resolve_game("random:2-3x4")
    assert isinstance(mixed, RandomSizes)
    assert [(m.n_states, m.n_actions) for m in mixed.members] == [(2, 4), (3, 4)]
    for bad in ("random:3-2x2", "random:0-2x2", "random:2-x2"):
        with pytest.raises(ValueError, match="random:S1-S2xA1-A2"):
            resolve_game(bad)


def test_menu_refusals_name_the_limit() -> None:
    with pytest.raises(ValueError, match=r"at most 10 rounds, the protocol has 12 \(max_rounds <= 10"):
        ib.raw_env(game="pure_math", max_rounds=12, **MENU)
    with pytest.raises(ValueError, match="offer_space='grid' has none"):
        ib.raw_env(game="pure_math", observation="menu", offer_space="grid", grid_size=3)
    with pytest.raises(ValueError, match="observation: must be one of"):
        ib.raw_env(game="pure_math", observation="menus")


def test_a_size_beyond_the_compiled_path_takes_the_reference_path_with_a_notice_of_its_speed() -> None:
    with pytest.warns(UserWarning, match=r"random:5x5 .* no batched offer tables .* about 3 ms each"):
        envs = VectorBargainingEnv(2, game="random:5x5", seed=0, **MENU)
    assert envs.observation_size == menu_size(5)
    envs.close()


def test_one_vector_env_plays_one_size() -> None:
    with pytest.raises(
        ValueError, match="random:2-4x2-4 mixes sizes, and one vector env plays one size; MixedVectorEnv"
    ):
        VectorBargainingEnv(4, game="random:2-4x2-4", **MENU)


def test_protocol_variants_are_spelled_and_checked() -> None:
    paper = protocol_variants("paper")
    assert [v["protocol"] for v in paper] == ["ultimatum", "fixed_role", "alternating"]
    assert paper[1] == {"protocol": "fixed_role", "max_rounds": 5, "break_off": 0.0, "first_proposer": "sender"}
    assert protocol_variants("alternating:3") == [{"protocol": "alternating", "max_rounds": 3}]
    for bad, reason in (
        ("altern", "is not NAME"),
        ("ultimatum:x", "ROUNDS is a whole number"),
        ("fixed_role:5:0:me", "FIRST"),
    ):
        with pytest.raises(ValueError, match=reason):
            protocol_variants(bad)


def test_a_mixed_batch_gives_each_part_its_share_its_protocol_and_its_size() -> None:
    kwargs = {"game": "random:2-3x2", "first_proposer": "coin_flip", **MENU}
    envs = make_vector_env(40, kwargs, protocols="ultimatum,alternating:4", seed=3)
    assert isinstance(envs, MixedVectorEnv) and len(envs.parts) == 4
    assert [part.num_envs for part in envs.parts] == [10, 10, 10, 10]
    observed = envs.observe(0)
    hot = observed[:, envs.layout["protocol"]][:, :3].argmax(axis=1)
    assert hot.tolist() == [0] * 20 + [2] * 20  # ultimatum's games, then alternating's
    assert envs.last_round.tolist() == [0] * 20 + [3] * 20
    assert [envs.parts[i].instance(0).n_states for i in range(4)] == [2, 3, 2, 3]
    rng = np.random.default_rng(0)
    done = np.zeros(40, dtype=bool)
    for _ in range(20):  # random legal play ends every episode within the longest protocol
        masks = envs.action_masks()
        result = envs.step((rng.random(masks.shape) * masks).argmax(axis=1))
        done |= result.done
        assert np.isfinite(result.payoffs[result.done]).all()
    assert done.all()
    again = make_vector_env(40, kwargs, protocols="ultimatum,alternating:4", seed=3)
    np.testing.assert_array_equal(again.observe(0), observed)  # a seeded reset fixes every part's games
    envs.close()
    again.close()


def test_parts_that_would_show_different_observations_are_refused_in_one_line_naming_both() -> None:
    parts = [{"game": "pure_math", **MENU}, {"game": "pure_math", **MENU, "grid_size": 7}]
    with pytest.raises(ValueError) as caught:
        MixedVectorEnv(4, parts)
    message = str(caught.value)
    assert "\n" not in message
    assert "alternating, 10 rounds, break-off 0.1, sender first on pure_math and alternating" in message
    assert f"({menu_size(5)} and {menu_size(7)} observation entries" in message


def test_the_shipped_generalist_config_trains_one_pair_on_every_protocol_and_size() -> None:
    config = RunConfig.load(CONFIGS / "generalist.toml")
    assert config.env["protocols"] == "paper" and config.env["observation"] == "menu"
    parts = mixture_parts({k: v for k, v in config.env.items() if k != "protocols"}, config.env["protocols"])
    assert len(parts) == 27  # three protocols × nine sizes
    assert "protocols" not in RunConfig().to_dict()["env"]  # absent unless set: the env's own arguments stay


def test_config_refusals_for_mixtures() -> None:
    config = RunConfig.load(CONFIGS / "generalist.toml")
    with pytest.raises(ConfigError, match="env: mixture: ultimatum, coin_flip first on random:2x2 and fixed_role"):
        config.override(["env.observation=full", "env.game=random:2x2"])
    env = {"game": "random:2-3x2", "observation": "menu", "grid_size": 5}
    with pytest.raises(ConfigError, match="algorithm 'mappo' trains on one protocol and one size"):
        RunConfig.from_dict({"run": {"algorithm": "mappo"}, "env": env})
    with pytest.raises(ConfigError, match="env: protocols: 'ultimatum:one': ROUNDS is a whole number"):
        RunConfig.from_dict({"run": {"algorithm": "qlearning"}, "env": {**env, "protocols": "ultimatum:one"}})


def test_unseen_sizes_leave_out_the_trained_ones() -> None:
    assert unseen_sizes([(2, 2), (3, 3), (4, 4)]) == [(2, 3), (3, 2), (2, 5), (5, 2), (5, 5)]
    trained = [(s, a) for s in (2, 3, 4) for a in (2, 3, 4)]
    assert unseen_sizes(trained) == [(2, 5), (5, 2), (5, 5)]


def test_structured_games_are_not_uniform_draws() -> None:
    games = structured_games(0)
    names = [game.name for game in games]
    assert "prosecutor" in names
    binary = [game for game in games if game.name.startswith("binary")]
    assert binary and all(
        set(np.unique(np.stack([g.sender_utility, g.receiver_utility]))) <= {0.0, 1.0} for g in binary
    )


def _row(protocol: str, size: str, distance: float, trivial: bool = False) -> dict[str, object]:
    point = {"sender": 0.0, "receiver": 0.0}
    return {
        "protocol": protocol,
        "size": size,
        "trained": size != "5x5",
        "instance": int(distance * 100),
        "first_proposer": "sender",
        "trivial": trivial,
        "outcome": point,
        "spe_played": point,
        "distance_to_spe_played": distance,
        "distance_to_spe_continuous": distance + 0.001,
        "nash_conv": 0.0,
        "game": {},
    }


def test_hardest_lists_the_worst_instances_of_each_protocol_and_size() -> None:
    rows = [_row("u", "2x2", d) for d in (0.0, 0.3, 0.1, 0.2, 0.05)] + [_row("a", "5x5", d) for d in (0.4, 0.0)]
    worst = hardest(rows)
    assert [(r["protocol"], r["distance_to_spe_played"]) for r in worst] == [
        ("u", 0.3),
        ("u", 0.2),
        ("u", 0.1),
        ("a", 0.4),
        ("a", 0.0),
    ]
    cells = cell_summaries([*rows, _row("u", "2x2", 0.0, trivial=True)])
    assert [(c["protocol"], c["size"], c["trained"], c["rows"], c["non_trivial_rows"]) for c in cells] == [
        ("u", "2x2", True, 6, 5),
        ("a", "5x5", False, 2, 2),
    ]
    assert cells[0]["distance_to_spe_played"]["max"] == 0.3
    assert cells[0]["non_trivial_distance_to_spe_played"]["mean"] == pytest.approx(0.13)


def test_the_exact_spe_players_score_zero_everywhere_in_the_zero_shot_report(tmp_path: Path) -> None:
    env = {"game": "random:2x2", "first_proposer": "coin_flip", **MENU}
    result = evaluate_generalist("spe", "spe", env, "ultimatum,fixed_role:2:0:sender", instances=2, paper_rows=False)
    assert result["protocols"] == ["ultimatum, coin_flip first", "fixed_role, 2 rounds, sender first"]
    sizes = {(cell["size"], cell["trained"]) for cell in result["cells"]}
    assert sizes == {("2x2", True), ("2x3", False), ("3x2", False), ("3x3", False)}
    rows = [*result["rows"], *result["structured"]["rows"]]
    assert len(result["rows"]) == 2 * 2 * 4 + 1 * 2 * 4  # ultimatum both first proposers; fixed-role the sender
    assert max(row["distance_to_spe_played"] for row in rows) == pytest.approx(0.0, abs=1e-9)
    written = write_zero_shot(result, tmp_path)
    report = (tmp_path / "report.md").read_text()
    assert (
        "## Hardest held-out instances" in report and "| fixed_role, 2 rounds, sender first | 3x3 (unseen) |" in report
    )
    assert json.loads((tmp_path / "evaluation.json").read_text())["totals"]["unseen_sizes"]["rows"] == 4 * 3 * 2 - 6
    if (tmp_path / "zero_shot.png").exists():  # with matplotlib
        assert tmp_path / "zero_shot.png" in written


def test_players_that_ignore_the_game_are_far_off_in_the_zero_shot_report() -> None:
    env = {"game": "random:2x2", "first_proposer": "coin_flip", **MENU}
    result = evaluate_generalist("ignore", "ignore", env, "ultimatum", instances=8, paper_rows=False)
    worst = max(row["distance_to_spe_played"] for row in result["rows"])
    assert worst > 0.05
    assert max(row["distance_to_spe_played"] for row in result["hardest"]) == worst


def test_a_menu_run_plays_every_persuasion_task_of_its_protocols() -> None:
    run = {"game": "random:2-4x2-4", "protocol": "ultimatum", "first_proposer": "coin_flip", **MENU}
    task = {"game": "pure_math", "protocol": "ultimatum", "first_proposer": "sender", **MENU}
    assert unlike(run, task) is None
    assert (
        unlike(run, {**task, "observation": "full"})
        == "its games are persuasion games of any size, the task's (2, 2, 2)"
    )
    assert unlike(run, {**task, "game": "split_pie"}) is not None


def _fake_run(folder: Path, env: dict[str, object]) -> Path:
    (folder / "players").mkdir(parents=True)
    lines = "\n".join(f"{key} = {json.dumps(value)}" for key, value in env.items())
    (folder / "config.toml").write_text(f"[env]\n{lines}\n")
    for role in ("sender", "receiver"):
        (folder / "players" / f"{role}.json").write_text(json.dumps({"policy": "spe", "role": role}))
    return folder


def test_runs_of_different_observations_are_refused_in_one_line(tmp_path: Path) -> None:
    menu = _fake_run(tmp_path / "menu", {"game": "random:2x2", "observation": "menu"})
    full = _fake_run(tmp_path / "full", {"game": "random:2x2"})
    assert runs_observation([menu]) == "menu"
    with pytest.raises(ValueError, match=r"menu reads observation='menu' and .*full observation='full'; one suite"):
        runs_observation([menu, full])


def test_the_suite_plays_a_generalist_run_on_each_task_its_protocols_fit(tmp_path: Path) -> None:
    env = {"game": "random:2-3x2", "protocols": "ultimatum", "first_proposer": "coin_flip", **MENU}
    run = _fake_run(tmp_path / "generalist", env)
    result = run_suite([run], tasks=["sig_ultimatum_coin", "sig_fixed_role_5"], grid_size=5, episodes=1)
    assert {row["task"] for row in result["rows"]} == {"sig_ultimatum_coin"}
    assert any("sig_fixed_role_5" in note for note in result["notes"])
    assert all(row["players"]["distance_to_spe_played"] == pytest.approx(0.0, abs=1e-9) for row in result["rows"])


@pytest.mark.slow
def test_a_generalist_run_trains_on_a_mixture_and_ends_with_its_zero_shot_report(tmp_path: Path) -> None:
    from infobargain.cli import main

    out = tmp_path / "run"
    command = ["train", "--config", str(CONFIGS / "generalist.toml"), "--out", str(out)]
    settings = ["run.total_steps=4000", "qlearning.num_envs=40", "env.game=random:2x2", "env.grid_size=5"]
    settings += ["env.protocols=ultimatum,fixed_role:2:0:sender"]
    assert main([*command, *(part for setting in settings for part in ("--set", setting))]) == 0
    result = json.loads((out / "evaluation.json").read_text())
    assert result["protocols"] == ["ultimatum, coin_flip first", "fixed_role, 2 rounds, sender first"]
    assert {cell["size"] for cell in result["cells"]} == {"2x2", "2x3", "3x2", "3x3"}
    assert len(result["paper"]["rows"]) == 9 and result["paper"]["notes"]  # the ultimatum rows; no 5-offer variant
    report = (out / "report.md").read_text()
    assert "## The paper's signaling rows" in report and "## Hardest held-out instances" in report
