"""Self-play Q-learning: its targets, the SPE it learns, exact resumption, and what it refuses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from infobargain.agents.learned import load_torch_player, save_torch_player
from infobargain.envs.information_bargaining_v1 import raw_env
from infobargain.envs.offers import ACCEPT, FIRST_OFFER
from infobargain.envs.vector import VectorBargainingEnv
from infobargain.evaluation.exploitability import exact_exploitability
from infobargain.training import qlearning
from infobargain.training.config import RunConfig
from infobargain.training.runner import run_training
from infobargain.training.settings import QLearningSection


def small_config(total_steps: int, **env: object) -> RunConfig:
    config = RunConfig()
    config.override(
        [
            "run.algorithm=qlearning",
            f"run.total_steps={total_steps}",
            "run.checkpoint_every=1",
            "qlearning.num_envs=128",
            "qlearning.hidden_size=32",
            *(f"env.{key}={value}" for key, value in env.items()),
        ]
    )
    return config


def untrained(envs: VectorBargainingEnv) -> list[qlearning.ActorCritic]:
    torch.manual_seed(0)
    return [qlearning.ActorCritic(envs.observation_size, envs.n_actions, True, 16) for _ in range(2)]


def run_interrupted(config: RunConfig, run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Train ``config`` into ``run_dir`` until a KeyboardInterrupt during its fourth update (two regressions per
    update), as a user's Ctrl-C would stop it."""
    real, calls = qlearning.regress, {"count": 0}

    def interrupted(*args: object, **kwargs: object) -> float:
        calls["count"] += 1
        if calls["count"] == 7:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(qlearning, "regress", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_training(config, run_dir, show_progress=False)
    monkeypatch.setattr(qlearning, "regress", real)


def test_targets_are_payoffs_in_the_decision_round() -> None:
    """Ultimatum: the responder's target is the offer it accepts or the disagreement payoff (the tie-break bonus
    never enters a target); the proposer's is what its offer earned, since it never decides again."""
    envs = VectorBargainingEnv(200, autoreset=False, protocol="ultimatum", grid_size=5)
    networks = untrained(envs)
    rng = np.random.default_rng(0)
    envs.reset(seed=0)
    steps, outcome = qlearning.play_episodes(envs, networks, rng, exploration=1.0, first_exploration=1.0)
    assert len(steps) == 2
    proposal, response = steps
    payoffs = envs.tables.payoffs[0, 0, proposal.actions - FIRST_OFFER]  # sender proposes in round 0
    accepted = response.actions == ACCEPT
    np.testing.assert_allclose(outcome["payoffs"], np.where(accepted[:, None], payoffs, envs.d))
    data = qlearning.q_targets(steps, outcome["payoffs"], networks, accept_bonus=0.01)
    # Every reply explored, so no proposal keeps a target; every response does.
    assert len(data[0][2]) == 0
    np.testing.assert_allclose(data[1][2], np.where(accepted, payoffs[:, 1], envs.d[:, 1]), atol=1e-6)


def test_the_tie_break_accepts_within_the_bonus_and_the_saved_player_keeps_it() -> None:
    envs = VectorBargainingEnv(4, autoreset=False, protocol="ultimatum", grid_size=5)
    network = untrained(envs)[1]
    with torch.no_grad():
        network.actor[-1].weight.zero_()
        network.actor[-1].bias.copy_(torch.linspace(0.0, 0.01, envs.n_actions))  # accept (index 0) valued least
    envs.reset(seed=0, start_offers=np.full(4, FIRST_OFFER), with_offer=np.ones(4, dtype=bool))
    observations, masks = envs.observe(1).astype(np.float32), envs.action_masks()
    value, chosen = qlearning.greedy(network, observations, masks, accept_bonus=0.02)
    assert (chosen == ACCEPT).all() and np.allclose(value, 0.0)  # the plain estimate, not the bonus
    _, chosen = qlearning.greedy(network, observations, masks, accept_bonus=0.001)  # reject is 0.01 / 6 better
    assert (chosen != ACCEPT).all()
    player = qlearning.saved_player(network, 0.02, np.zeros(envs.observation_size))
    logits = player.actor(torch.as_tensor(observations)).masked_fill(~torch.as_tensor(masks), -1e9)
    assert (logits.argmax(-1).numpy() == ACCEPT).all()


def responders_that(accept: bool, envs: VectorBargainingEnv) -> list[qlearning.ActorCritic]:
    """Networks that value accepting far above (``accept``) or far below every other action, whatever they see."""
    networks = untrained(envs)
    with torch.no_grad():
        for network in networks:
            network.actor[-1].weight.zero_()
            network.actor[-1].bias.zero_()
            network.actor[-1].bias[ACCEPT] = 1.0 if accept else -1.0
    return networks


@pytest.mark.parametrize("realization", ["expected", "sampled"])
def test_the_lookahead_values_offers_not_made_by_the_rules(realization: str) -> None:
    """The pie (no realization chance) with alternating offers, break-off 0.2 and discount 0.9, from subgame starts with and without an offer on
    the table: an offer the other player accepts is worth its payoff in this round (a first offer) or the
    break-off mass plus the surviving, discounted payoff (a counter-offer: the next round's offer, in expected
    mode; sampled mode looks ahead at first offers only), and nothing is accepted by a player who never accepts."""
    kwargs = {"game": "split_pie", "protocol": "alternating", "max_rounds": 4, "break_off": 0.2, "discount": 0.9}
    envs = VectorBargainingEnv(400, autoreset=False, seed=0, realization=realization, **kwargs)
    rng = np.random.default_rng(1)
    qlearning.reset_in_subgames(envs, rng, 1, 0.9)
    masks, acting, responding = envs.action_masks(), envs.acting, envs.pending.copy()
    actions = masks.argmax(axis=1)
    looked = qlearning.look_ahead(envs, responders_that(True, envs), rng, actions, masks, 3, 0.002, None)
    assert len(looked) == 3
    d = envs.d[np.arange(envs.num_envs), acting]
    for offers, accepted, value in looked:
        offering = ~envs.finished & (~responding | (envs.round < envs.rules.rounds - 1))
        if realization == "sampled":
            offering &= ~responding
        np.testing.assert_array_equal(accepted, offering)
        assert (offers[accepted] >= FIRST_OFFER).all()
        payoff = envs.tables.payoffs[0, acting, offers - FIRST_OFFER, acting]
        expected = np.where(responding, 0.2 * d + 0.8 * 0.9 * payoff, payoff)
        np.testing.assert_allclose(value[accepted], expected[accepted], atol=1e-12)
    refused = qlearning.look_ahead(envs, responders_that(False, envs), rng, actions, masks, 2, 0.002, None)
    assert not any(accepted.any() for _, accepted, _ in refused)


def test_in_one_game_the_networks_see_no_constant_game_part(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The game part of the observation (the pie, ``d``, the offer menu) is constant in one game; the networks
    get it centred to 0, so it cannot act as a bias whose hundred weights Adam moves all at once."""
    seen: list[torch.Tensor] = []
    real = qlearning.regress

    def recording(network: object, optimizer: object, data: tuple[np.ndarray, ...], *args: object) -> float:
        seen.append(torch.as_tensor(data[0]))
        return real(network, optimizer, data, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(qlearning, "regress", recording)
    config = small_config(2000, game="split_pie", protocol="alternating", max_rounds=3, grid_size=9)
    run_training(config, tmp_path / "run", show_progress=False)
    envs = VectorBargainingEnv(2, game="split_pie", protocol="alternating", max_rounds=3, grid_size=9)
    layout = envs.layout
    game_part = [layout[name] for name in ("pie", "disagreement", "offer_menu")]
    assert seen and envs.tables.static[0, layout["offer_menu"]].any()  # the raw observation does carry it
    for observations in seen:
        for part in game_part:
            assert torch.count_nonzero(observations[:, part]) == 0


@pytest.mark.parametrize("head", ["dueling", "plain", "offer"])
def test_the_saved_player_plays_raw_observations_as_the_network_played_centred_ones(head: str, tmp_path: Path) -> None:
    """The centre moves into the first layer (and out of an offer head, which reads raw payoffs), the tie-break
    into the accept output and a dueling head into one plain layer: the saved file loads as any saved player and
    gives the network's values on raw observations."""
    envs = VectorBargainingEnv(64, autoreset=False, game="split_pie", max_rounds=3, grid_size=9)
    torch.manual_seed(0)
    layout = qlearning.offer_layouts(envs)[1] if head == "offer" else None
    settings = QLearningSection(hidden_size=16)
    network = qlearning.q_network(envs.observation_size, envs.n_actions, settings, head == "dueling", layout)
    with torch.no_grad():
        for parameter in network.actor[-1].parameters():
            parameter.normal_()  # far from the near-zero start, so that every term of the folded layer counts
    centre = qlearning.game_centre(envs, seed=0)
    if head == "offer":
        network.actor[-1].offset.copy_(torch.as_tensor(centre))  # as training sets it
    np.testing.assert_array_equal(centre, envs.tables.static[0])
    envs.reset(seed=1, start_offers=np.full(64, FIRST_OFFER + 2), with_offer=np.ones(64, dtype=bool))
    raw = envs.observe(1)
    save_torch_player(qlearning.saved_player(network, 0.01, centre), tmp_path / "receiver.pt")
    env = raw_env(game="split_pie", max_rounds=3, grid_size=9)
    player = load_torch_player(tmp_path / "receiver.pt", env, "receiver").module
    with torch.no_grad():
        expected = network.actor(torch.as_tensor(raw - centre, dtype=torch.float32))
        expected[:, ACCEPT] += 0.01
        np.testing.assert_allclose(player.actor(torch.as_tensor(raw, dtype=torch.float32)), expected, atol=1e-4)


def test_a_later_decision_is_valued_in_its_own_round() -> None:
    """Alternating offers, break-off 0.5: the receiver answers an offer on the table; when it counter-offers, its
    target is the round-1 outcome times the survival (0.5) plus the break-off mass (0.5 of its disagreement
    payoff), both in round-0 units, whatever the sender then does."""
    envs = VectorBargainingEnv(300, autoreset=False, first_proposer="sender", max_rounds=2, break_off=0.5, grid_size=5)
    networks = untrained(envs)
    rng = np.random.default_rng(1)
    offers = rng.integers(FIRST_OFFER, envs.n_actions, envs.num_envs)
    envs.reset(seed=1, start_offers=offers, with_offer=np.ones(envs.num_envs, dtype=bool))
    steps, outcome = qlearning.play_episodes(envs, networks, rng, exploration=0.0, first_exploration=1.0)
    response, reply = steps
    countered = response.actions >= FIRST_OFFER
    assert countered.any() and (~countered).any()
    _, actions, targets = qlearning.q_targets(steps, outcome["payoffs"], networks, accept_bonus=0.0)[1]
    np.testing.assert_array_equal(actions, response.actions)
    counter_payoff = envs.tables.payoffs[0, 1, response.actions - FIRST_OFFER, 1]
    round_one = np.where(reply.actions == ACCEPT, counter_payoff, envs.d[:, 1])
    kept_payoff = envs.tables.payoffs[0, 0, offers - FIRST_OFFER, 1]
    expected = np.where(countered, 0.5 * envs.d[:, 1] + 0.5 * round_one, kept_payoff)
    np.testing.assert_allclose(targets, expected, atol=1e-6)


OFFER_HEAD = ["qlearning.offer_head=true", "qlearning.dueling=false"]


@pytest.mark.slow
@pytest.mark.parametrize("head", [[], OFFER_HEAD], ids=["default", "offer_head"])
def test_self_play_learns_the_ultimatum_spe_for_both_first_proposers(head: list[str], tmp_path: Path) -> None:
    config = small_config(40_000, protocol="ultimatum", grid_size=11)
    config.override(head)
    config.run.seed = 3
    run_training(config, tmp_path / "run", show_progress=False)
    players = tmp_path / "run" / "players"
    pair = exact_exploitability(players / "sender.pt", players / "receiver.pt", config.env)
    np.testing.assert_allclose(pair.by_first["sender"].value, (2 / 3, 0.0), atol=1e-9)
    np.testing.assert_allclose(pair.by_first["receiver"].value, (1 / 3, 1 / 3), atol=1e-9)
    assert pair.nash_conv == pytest.approx(0.0, abs=1e-9)


@pytest.mark.slow
def test_self_play_learns_the_alternating_offers_spe_as_played(tmp_path: Path) -> None:
    """Four rounds of alternating offers with break-off 0.1: both orders land on the discrete game's SPE."""
    from infobargain.evaluation.benchmarks import benchmarks

    config = small_config(400_000, max_rounds=4, grid_size=11)
    config.qlearning.num_envs, config.qlearning.hidden_size = 512, 128
    run_training(config, tmp_path / "run", show_progress=False)
    players = tmp_path / "run" / "players"
    pair = exact_exploitability(players / "sender.pt", players / "receiver.pt", config.env)
    bench = benchmarks(config.env)
    for first in ("sender", "receiver"):
        np.testing.assert_allclose(pair.by_first[first].value, bench.spe_played[first].payoffs, atol=1e-9)


@pytest.mark.parametrize("head", [[], OFFER_HEAD], ids=["default", "offer_head"])
def test_a_resumed_run_ends_exactly_as_an_uninterrupted_one(
    head: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def config() -> RunConfig:
        made = small_config(3000)
        made.override(head)
        return made

    run_training(config(), tmp_path / "straight", show_progress=False)
    run_interrupted(config(), tmp_path / "resumed", monkeypatch)
    run_training(config(), tmp_path / "resumed", resume=True, show_progress=False)
    rows = [(tmp_path / name / "metrics.csv").read_text().splitlines() for name in ("straight", "resumed")]
    strip = [[",".join(line.split(",")[:-1]) for line in table] for table in rows]  # wall_time is the last column
    assert len(strip[0]) > 3
    assert strip[0] == strip[1]
    for role in ("sender", "receiver"):
        a = torch.load(tmp_path / "straight" / "players" / f"{role}.pt", weights_only=False)["state_dict"]
        b = torch.load(tmp_path / "resumed" / "players" / f"{role}.pt", weights_only=False)["state_dict"]
        assert all(torch.equal(a[key], b[key]) for key in a)


def test_a_run_checkpointed_before_the_dueling_head_and_the_lookahead_resumes_as_it_began(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run whose config.toml predates ``qlearning.dueling`` and ``qlearning.lookahead`` (so they read as their
    defaults, on) and whose checkpoint holds plain heads and no lookahead goes on without either, exactly as a
    run with both off does."""
    plain = small_config(3000)
    plain.override(["qlearning.dueling=false", "qlearning.lookahead=0"])
    run_training(plain, tmp_path / "straight", show_progress=False)
    run_interrupted(plain, tmp_path / "old", monkeypatch)
    saved = tmp_path / "old" / "config.toml"
    saved.write_text(saved.read_text().replace("dueling = false\n", "").replace("lookahead = 0\n", ""))
    for checkpoint in (tmp_path / "old" / "checkpoints").glob("*.pt"):
        state = torch.load(checkpoint, weights_only=False)
        del state["lookahead"]
        torch.save(state, checkpoint)
    assert small_config(3000).qlearning.dueling and small_config(3000).qlearning.lookahead
    run_training(small_config(3000), tmp_path / "old", resume=True, show_progress=False)
    for role in ("sender", "receiver"):
        a = torch.load(tmp_path / "straight" / "players" / f"{role}.pt", weights_only=False)["state_dict"]
        b = torch.load(tmp_path / "old" / "players" / f"{role}.pt", weights_only=False)["state_dict"]
        assert all(torch.equal(a[key], b[key]) for key in a)


def test_the_offer_head_values_offers_by_what_they_pay_wherever_they_sit() -> None:
    """Two of the player's offers that pay the same get the same value, whatever their places on the grid, and
    the head reads its own proposer's offers: the receiver's offers are those of proposer 1 in the menu."""
    envs = VectorBargainingEnv(8, autoreset=False, game="random:3x3", protocol="alternating", max_rounds=3)
    envs.reset(seed=0)
    layout = qlearning.offer_layouts(envs)[1]
    assert (layout.role, layout.offers) == (1, envs.n_actions - FIRST_OFFER)
    torch.manual_seed(0)
    network = qlearning.q_network(
        envs.observation_size, envs.n_actions, QLearningSection(hidden_size=16), False, layout
    )
    with torch.no_grad():
        for parameter in network.actor[-1].parameters():
            parameter.normal_()
    observations = envs.observe(1).astype(np.float32)
    menu = observations[:, envs.layout["offer_menu"]].reshape(len(observations), 2, layout.offers, 2)
    menu[:, 1, 7] = menu[:, 1, 2]  # the receiver's offer 7 now pays what its offer 2 pays
    menu[:, 0, 4] = menu[:, 0, 9]  # a sender's offer: not the receiver's to make
    observations[:, envs.layout["offer_menu"]] = menu.reshape(len(observations), -1)
    with torch.no_grad():
        values = network.actor(torch.as_tensor(observations)).numpy()
    np.testing.assert_allclose(values[:, FIRST_OFFER + 7], values[:, FIRST_OFFER + 2], rtol=1e-6)
    differ = np.abs(menu[:, 1, 4] - menu[:, 1, 9]).max(axis=1) > 1e-3  # not in games whose frontier is one point
    assert differ.sum() >= 4
    assert np.abs(values[differ, FIRST_OFFER + 4] - values[differ, FIRST_OFFER + 9]).min() > 1e-4


def test_an_offer_head_needs_an_offer_menu_and_a_plain_head(tmp_path: Path) -> None:
    grid = small_config(100, offer_space="grid", grid_size=5)
    grid.override(OFFER_HEAD)
    with pytest.raises(ValueError, match="offer_head: needs an offer menu"):
        run_training(grid, tmp_path / "grid", show_progress=False)
    dueling = small_config(100)
    dueling.override(["qlearning.offer_head=true"])
    with pytest.raises(ValueError, match="offer_head and dueling are two different heads"):
        run_training(dueling, tmp_path / "dueling", show_progress=False)


def test_a_saved_player_with_a_broken_offer_head_entry_is_refused_in_one_line(tmp_path: Path) -> None:
    envs = VectorBargainingEnv(4, autoreset=False, grid_size=5)
    layout = qlearning.offer_layouts(envs)[0]
    network = qlearning.q_network(envs.observation_size, envs.n_actions, QLearningSection(hidden_size=8), False, layout)
    save_torch_player(network, tmp_path / "sender.pt")
    env = raw_env(grid_size=5)
    assert load_torch_player(tmp_path / "sender.pt", env, "sender").module.offer_head == layout
    saved = torch.load(tmp_path / "sender.pt", weights_only=True)
    for broken in ({"menu": "7"}, {**layout.to_dict(), "offers": layout.offers + 1}):
        saved["offer_head"] = broken
        torch.save(saved, tmp_path / "broken.pt")
        with pytest.raises(ValueError, match=r"broken\.pt (has an invalid 'offer_head'|holds weights that do not)"):
            load_torch_player(tmp_path / "broken.pt", env, "sender")


def test_the_scheme_offer_space_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="qlearning: needs a discrete offer space"):
        run_training(small_config(100, offer_space="scheme"), tmp_path / "run", show_progress=False)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (run on a GPU machine)")
def test_self_play_trains_on_a_gpu_and_its_players_are_saved_for_the_cpu(tmp_path: Path) -> None:
    config = small_config(2000, protocol="ultimatum", grid_size=5)
    config.run.device = "cuda"
    run_training(config, tmp_path / "run", show_progress=False)
    saved = torch.load(tmp_path / "run" / "checkpoints" / "latest.pt", weights_only=False)
    assert saved["step"] >= 2000 and next(iter(saved["networks"][0].values())).is_cuda  # trained on the GPU
    for role in ("sender", "receiver"):
        player = torch.load(tmp_path / "run" / "players" / f"{role}.pt", weights_only=False)
        assert not any(tensor.is_cuda for tensor in player["state_dict"].values())
