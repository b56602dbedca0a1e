"""Data files never run code: a ``__reduce__`` payload planted in each format the library reads (a ``.pt``
player, a ``latest.pt`` checkpoint read by ``train --resume``, an SB3 ``.zip`` player, a run directory read by
``evaluate --run``) is never executed. Each test first shows that the payload is live (an ordinary unpickler
runs it), so that the assertion that it did not run can fail."""

from __future__ import annotations

import base64
import io
import json
import os
import zipfile
from pathlib import Path

import cloudpickle
import pytest
import torch

from infobargain.agents.learned import save_torch_player
from infobargain.agents.loading import load_learned
from infobargain.agents.networks import ActorCritic
from infobargain.agents.sb3 import TRUST_VARIABLE, load_sb3_model, model_bytes
from infobargain.cli import main
from infobargain.envs import information_bargaining_v1 as ib
from infobargain.envs.information_bargaining_v1 import AGENTS
from infobargain.training.config import RunConfig


class Payload:
    """Unpickling this creates the file ``marker`` (what an attacker's ``os.system`` call would do)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def planted_pt(path: Path, marker: Path) -> Path:
    """A file that looks like a saved player but carries the payload in its state dict."""
    torch.save({"format": "infobargain-actor-critic", "state_dict": {"weight": Payload(marker)}}, path)
    return path


def test_the_payload_is_live(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    torch.load(planted_pt(tmp_path / "evil.pt", marker), weights_only=False)
    assert marker.exists()


def test_a_pt_player_is_read_without_running_code(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    evil = planted_pt(tmp_path / "evil.pt", marker)
    with pytest.raises(ValueError, match="could run code"):
        load_learned(evil, ib.raw_env(), "sender")
    assert not marker.exists()


def test_play_with_a_planted_player_exits_2_without_running_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "ran"
    evil = planted_pt(tmp_path / "evil.pt", marker)
    assert main(["play", "--sender", str(evil), "--receiver", "spe", "--run-dir", str(tmp_path / "out")]) == 2
    assert not marker.exists()
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "could run code" in error[0]


def test_train_resume_on_a_planted_checkpoint_exits_2_without_running_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker, run = tmp_path / "ran", tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    config = RunConfig()
    config.run.total_steps = 64
    config.mappo.num_envs = 4
    config.save(run / "config.toml")
    torch.save({"networks": [Payload(marker)], "step": 0}, run / "checkpoints" / "latest.pt")
    code = main(["train", "--run-dir", str(run), "--resume", "--no-progress"])
    assert not marker.exists()
    assert code == 2
    assert "could run code" in capsys.readouterr().err


def test_evaluate_run_with_a_planted_player_exits_2_without_running_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker, run = tmp_path / "ran", tmp_path / "run"
    (run / "players").mkdir(parents=True)
    RunConfig().save(run / "config.toml")
    planted_pt(run / "players" / "sender.pt", marker)
    save_torch_player(ActorCritic(ib.raw_env().observation_layout.size, 23, True, 8), run / "players" / "receiver.pt")
    code = main(["evaluate", "--run", str(run), "--episodes", "2", "--no-figures", "--out", str(tmp_path / "eval")])
    assert not marker.exists()
    assert code == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "could run code" in error[0]


# SB3 zips: the model's ``data`` entry stores some values as base64 cloudpickle.

ENV = dict(RunConfig().env)


@pytest.fixture(scope="module")
def sb3_zip() -> bytes:
    from infobargain.training.sb3 import build_model, make_vec_env
    from infobargain.training.settings import SB3Section

    env = make_vec_env(ENV, "sender", "spe", 1)
    model = build_model("MaskablePPO", env, SB3Section(n_steps=8, batch_size=8, hidden_size=8), 0)
    return model_bytes(model, "sender")


def with_payload(archive_bytes: bytes, key: str, marker: Path) -> bytes:
    """The zip with ``data[key]`` replaced by (or set to) a pickled payload, its readable fields kept."""
    source = zipfile.ZipFile(io.BytesIO(archive_bytes))
    data = json.loads(source.read("data"))
    entry = dict(data.get(key, {":type:": "<class 'object'>"}))
    entry[":serialized:"] = base64.b64encode(cloudpickle.dumps(Payload(marker))).decode()
    data[key] = entry
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            target.writestr(name, json.dumps(data) if name == "data" else source.read(name))
    return out.getvalue()


def test_the_sb3_payload_is_live_when_trusted(sb3_zip: bytes, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(Exception):  # noqa: B017 - the payload returns an exit status, not a class
        load_sb3_model(with_payload(sb3_zip, "policy_class", marker), trusted=True)
    assert marker.exists()


@pytest.mark.parametrize("key", ["policy_class", "observation_space", "action_space", "clip_range", "lr_schedule"])
def test_a_zip_player_is_rebuilt_without_unpickling(sb3_zip: bytes, tmp_path: Path, key: str) -> None:
    marker, path = tmp_path / "ran", tmp_path / "player.zip"
    path.write_bytes(with_payload(sb3_zip, key, marker))
    player = load_learned(path, ib.raw_env(**ENV), "sender")
    env = ib.env(**ENV)
    env.reset(seed=0)
    assert env.action_mask(AGENTS["sender"])[player.act(env.observe(AGENTS["sender"]))]
    assert not marker.exists()


def test_a_zip_with_an_unknown_pickled_entry_needs_the_opt_in(
    sb3_zip: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TRUST_VARIABLE, raising=False)
    marker, path = tmp_path / "ran", tmp_path / "player.zip"
    path.write_bytes(with_payload(sb3_zip, "custom_thing", marker))
    with pytest.raises(ValueError, match=TRUST_VARIABLE):
        load_learned(path, ib.raw_env(**ENV), "sender")
    assert not marker.exists()


def test_a_zip_with_pickled_weights_is_refused(sb3_zip: bytes, tmp_path: Path) -> None:
    marker, path = tmp_path / "ran", tmp_path / "player.zip"
    source = zipfile.ZipFile(io.BytesIO(sb3_zip))
    with zipfile.ZipFile(path, "w") as target:
        for name in source.namelist():
            if name != "pytorch_variables.pth":
                target.writestr(name, source.read(name))
        target.writestr("pytorch_variables.pth", _torch_bytes({"x": Payload(marker)}))
    with pytest.raises(ValueError, match="cannot load"):
        load_learned(path, ib.raw_env(**ENV), "sender")
    assert not marker.exists()


def _torch_bytes(value: object) -> bytes:
    buffer = io.BytesIO()
    torch.save(value, buffer)
    return buffer.getvalue()


def test_saving_a_player_on_a_full_disk_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import infobargain.files as files

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", full)
    with pytest.raises(OSError, match="No space"):
        save_torch_player(ActorCritic(4, 3, True, 8), tmp_path / "sender.pt")
    assert list(tmp_path.iterdir()) == []


def test_a_binary_metrics_file_is_set_aside_on_resume_and_skipped_by_the_curves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from infobargain.evaluation.plots import read_metrics
    from infobargain.training.config import RunConfig
    from infobargain.training.rundir import RunDirectory

    run = tmp_path / "run"
    RunDirectory(run, RunConfig()).close()
    garbage = bytes(range(128, 256)) * 4
    (run / "metrics.csv").write_bytes(garbage)
    assert read_metrics(run / "metrics.csv") == {}
    assert "is not CSV text" in capsys.readouterr().err
    RunDirectory(run, RunConfig(), resume=True).close()
    (aside,) = run.glob("metrics.unreadable-*.csv")
    assert aside.read_bytes() == garbage  # nothing deleted
    assert "moved to metrics.unreadable-" in capsys.readouterr().err
