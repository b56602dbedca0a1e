"""One algorithm registry and one player registry, reached by module, by file and by entry point.

Each plug-in below is a small file written into a temporary folder, as a user would keep it beside them; the
entry-point case installs a tiny distribution (a ``.dist-info`` folder on the path), as pip would.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from infobargain.agents import registry as player_registry
from infobargain.cli import main
from infobargain.training import registry as algorithm_registry
from infobargain.training.config import ConfigError, RunConfig

ALGORITHM_PLUGIN = """
from dataclasses import dataclass
import json

from infobargain.training.algorithms import TrainedPlayers, TrainingJob, register_algorithm
from infobargain.training.settings import setting


@dataclass
class ReplaySettings:
    level: float = setting(0.2, low=0, high=1)


@register_algorithm("{name}", settings=ReplaySettings, description="a fixed pair, for the plug-in tests")
def train(job: TrainingJob) -> TrainedPlayers:
    marker = job.run_dir / "progress.json"
    done = json.loads(marker.read_text())["decisions"] if job.resume and marker.exists() else 0
    used = min(job.budget, done + 100)
    marker.write_text(json.dumps({{"decisions": used}}))
    return TrainedPlayers("spe", f"threshold:{{job.settings.level}}", decisions=used)
"""

PLAYER_PLUGIN = """
from infobargain.agents import RandomPolicy


class Contrary(RandomPolicy):
    spec = "contrary"
"""


@pytest.fixture
def plugin_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder holding the user's plug-ins, as the current directory; registrations undone afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [entry for entry in sys.path if entry not in ("", str(tmp_path))])
    before = set(algorithm_registry.algorithms())
    players_before = set(player_registry.players())
    yield tmp_path
    for name in set(algorithm_registry.algorithms()) - before:
        algorithm_registry.unregister_algorithm(name)
    for name in set(player_registry.players()) - players_before:
        player_registry._PLAYERS.pop(name)
    for module in ("replay_algo", "file_algo", "contrary_player", "installed_algo"):
        sys.modules.pop(module, None)


def _train(run_dir: Path, *extra: str) -> int:
    return main(
        [
            "train",
            "--protocol",
            "ultimatum",
            "--first-proposer",
            "sender",
            "--grid-size",
            "5",
            "--run-dir",
            str(run_dir),
            "--no-progress",
            *extra,
        ]
    )


def test_a_module_beside_the_user_trains_checkpoints_resumes_and_is_judged(
    plugin_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (plugin_folder / "replay_algo.py").write_text(ALGORITHM_PLUGIN.format(name="replay"))
    run = plugin_folder / "run"
    flags = ["--import", "replay_algo", "--algorithm", "replay", "--set", "replay.level=0.1"]
    assert _train(run, *flags, "--total-steps", "150") == 0
    output = capsys.readouterr().out
    assert "sender first" in output  # the verdict of every run
    assert (run / "players" / "sender.json").exists() and (run / "players" / "receiver.json").exists()
    config = RunConfig.load(run / "config.toml")
    assert config.run.algorithm == "replay" and config.settings.level == 0.1
    assert set(config.to_dict()) == {"run", "env", "replay"}
    assert (run / "summary.json").read_text().count('"decisions": 100') == 1
    # resume continues where the algorithm left off (its own progress file), with a larger budget
    assert _train(run, "--import", "replay_algo", "--resume", "--total-steps", "150") == 0
    assert '"decisions": 150' in (run / "summary.json").read_text()


def test_a_file_path_plug_in_reaches_train_and_benchmark(plugin_folder: Path) -> None:
    plugins = plugin_folder / "plugins"
    plugins.mkdir()
    (plugins / "file_algo.py").write_text(ALGORITHM_PLUGIN.format(name="from_file"))
    assert _train(plugin_folder / "run", "--import", "plugins/file_algo.py", "--algorithm", "from_file") == 0
    code = main(
        [
            "benchmark",
            "--import",
            "plugins/file_algo.py",
            "--algorithms",
            "from_file",
            "--tasks",
            "sig_ultimatum_sender:pure_math",
            "--seeds",
            "1",
            "--budget",
            "100",
            "--episodes",
            "1",
            "--out",
            str(plugin_folder / "board"),
            "--quiet",
        ]
    )
    assert code == 0
    assert (plugin_folder / "board" / "cells" / "from_file").is_dir()


def install(site: Path, name: str, entry_point: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A distribution ``name`` in ``site`` (on the path) with one entry point in the algorithms group, as pip
    leaves it; the registry reads entry points afresh."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[infobargain.algorithms]\n{entry_point}\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(algorithm_registry, "_entry_points_loaded", False)


def test_an_installed_package_entry_point_appears_without_flags(
    plugin_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site = plugin_folder / "site"
    site.mkdir()
    (site / "installed_algo.py").write_text(ALGORITHM_PLUGIN.format(name="installed"))
    install(site, "installed_algo", "installed = installed_algo", monkeypatch)
    assert main(["benchmark", "--list"]) == 0
    assert "installed" in capsys.readouterr().out
    assert algorithm_registry.get_algorithm("installed").description.startswith("a fixed pair")


def test_a_broken_entry_point_is_one_line(
    plugin_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install(plugin_folder, "broken", "broken = no_such_module_anywhere", monkeypatch)
    assert main(["benchmark", "--list"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "'broken'" in error and "no_such_module_anywhere" in error


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("raise RuntimeError('boom')", "importing bad_plugin raised RuntimeError: boom"),
        ("import no_such_dependency_here", "no_such_dependency_here"),
    ],
)
def test_a_plug_in_that_raises_at_import_is_one_line(
    plugin_folder: Path, capsys: pytest.CaptureFixture[str], source: str, expected: str
) -> None:
    (plugin_folder / "bad_plugin.py").write_text(source + "\n")
    assert main(["benchmark", "--import", "bad_plugin", "--list"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and expected in error
    sys.modules.pop("bad_plugin", None)


def test_an_unknown_module_and_a_missing_file_are_one_line(
    plugin_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["benchmark", "--import", "nowhere_to_be_found", "--list"]) == 2
    assert "no module named 'nowhere_to_be_found'" in capsys.readouterr().err
    assert main(["benchmark", "--import", "./missing.py", "--list"]) == 2
    assert "./missing.py is not a file" in capsys.readouterr().err


def test_a_bug_in_a_users_algorithm_is_not_a_usage_error(
    plugin_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (plugin_folder / "replay_algo.py").write_text(
        "from infobargain.training.algorithms import register_algorithm\n"
        "@register_algorithm('buggy')\n"
        "def train(job):\n"
        "    raise ValueError('shapes do not match')\n"
    )
    assert _train(plugin_folder / "run", "--import", "replay_algo", "--algorithm", "buggy") == 1
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "replay_algo.py (not infobargain's code)" in error[0]
    assert "ValueError: shapes do not match" in error[0] and "--debug" in error[0]


def test_a_users_player_class_plays_from_the_command_line(
    plugin_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (plugin_folder / "contrary_player.py").write_text(PLAYER_PLUGIN)
    for sender in ("contrary_player:Contrary", "contrary_player.py:Contrary"):
        code = main(["play", "--sender", sender, "--receiver", "spe", "--protocol", "ultimatum", "--episodes", "1"])
        assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["play", "--sender", "contrary_player:Nobody", "--receiver", "spe", "--episodes", "1"]) == 2
    assert "contrary_player has no 'Nobody'" in capsys.readouterr().err


def test_register_player_adds_a_name_everywhere(plugin_folder: Path) -> None:
    from infobargain.agents import RandomPolicy, make_policy, register_player
    from infobargain.envs.information_bargaining_v1 import raw_env

    register_player("coin", lambda env, role, argument: RandomPolicy(env, role), "uniform, by another name")
    assert "coin" in player_registry.known_players()
    assert isinstance(make_policy("coin", raw_env(), "receiver"), RandomPolicy)


def test_one_name_one_meaning_across_train_and_benchmark() -> None:
    registry = algorithm_registry.algorithms()
    assert {"qlearning", "mappo", "ippo", "regret", "sb3_ibr", "rllib_ppo", "sb3"} <= set(registry)
    from infobargain.evaluation.leaderboard import DEFAULT_ALGORITHMS

    assert all(registry[name].self_play for name in DEFAULT_ALGORITHMS)
    own = {name for name, entry in registry.items() if entry.self_play and entry.library is None}
    assert set(DEFAULT_ALGORITHMS) == own
    for old, new in algorithm_registry.RENAMED.items():
        with pytest.raises(ConfigError, match=f"now called '{new}'"):
            RunConfig.from_dict({"run": {"algorithm": old}})


def test_settings_of_another_algorithm_are_refused_not_ignored() -> None:
    with pytest.raises(ConfigError, match=r"\[mappo\]: algorithm 'qlearning' does not read"):
        RunConfig.from_dict({"run": {"algorithm": "qlearning"}, "mappo": {"num_envs": 8}})
    with pytest.raises(ConfigError, match=r"now \[sb3_ibr\]"):
        RunConfig.from_dict({"run": {"algorithm": "sb3_ibr"}, "ibr": {"rounds": 2}})


def test_every_registered_section_is_checked_by_its_declared_ranges() -> None:
    config = RunConfig.from_dict({"run": {"algorithm": "ippo"}})
    with pytest.raises(ConfigError, match=r"ippo.learning_rate: must be a finite number > 0"):
        config.override(["ippo.learning_rate=0"])
    with pytest.raises(ConfigError, match=r"mappo\.critic: unknown key"):
        RunConfig.from_dict({"run": {"algorithm": "mappo"}, "mappo": {"critic": "independent"}})


def test_help_lists_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name in algorithm_registry.algorithms():
        assert name in text


def test_algorithm_names_are_identifiers() -> None:
    with pytest.raises(ValueError, match="Python identifier"):
        algorithm_registry.register_algorithm("my algo")(lambda job: None)  # type: ignore[arg-type,return-value]


def test_the_suite_trains_its_players_with_a_plug_in_algorithm(
    plugin_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (plugin_folder / "replay_algo.py").write_text(ALGORITHM_PLUGIN.format(name="replay"))
    arguments = ["suite", "--import", "replay_algo", "--tasks", "barg_ultimatum", "--episodes", "1", "--jobs", "1"]
    assert main([*arguments, "--algorithm", "replay", "--no-exploitability", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert "trained by replay" in document["players"]
    assert main([*arguments, "--algorithm", "sb3"]) == 2
    assert "does not train both players by self-play" in capsys.readouterr().err
    assert main([*arguments, "--algorithm", "replay", "--players", "spe"]) == 2
    assert "leave it out with --players" in capsys.readouterr().err


@pytest.mark.parametrize("decisions", [-(10**18), float("nan"), 1000 * 150, "150", True])
def test_absurd_decision_counts_from_a_plug_in_are_refused(
    plugin_folder: Path, capsys: pytest.CaptureFixture[str], decisions: object
) -> None:
    (plugin_folder / "replay_algo.py").write_text(
        "from infobargain.training.algorithms import TrainedPlayers, register_algorithm\n"
        "@register_algorithm('liar')\n"
        f"def train(job):\n    return TrainedPlayers('spe', 'spe', decisions={decisions!r})\n".replace(
            "nan", "float('nan')"
        )
    )
    code = _train(plugin_folder / "run", "--import", "replay_algo", "--algorithm", "liar", "--total-steps", "150")
    assert code == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "algorithm 'liar' reported" in error and "budget of 150" in error


def test_a_registered_plug_in_player_plays_in_play_and_evaluate(plugin_folder: Path) -> None:
    (plugin_folder / "contrary_player.py").write_text(
        PLAYER_PLUGIN + "\nfrom infobargain.agents import register_player\n"
        "register_player('contrary', lambda env, role, argument: Contrary(env, role), 'uniform, contrary')\n"
    )
    common = ["--import", "contrary_player", "--protocol", "ultimatum", "--sender", "contrary", "--receiver", "spe"]
    assert main(["play", *common, "--episodes", "1"]) == 0
    assert main(["evaluate", *common, "--episodes", "2", "--out", str(plugin_folder / "evaluation")]) == 0
    assert (plugin_folder / "evaluation" / "evaluation.json").exists()
