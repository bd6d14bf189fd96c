"""The ``ticksupply`` command of the wheel: ``_native.cli_main`` runs the Rust program of the
``ticksupply-cli`` crate in this process, and the package's version is the Cargo workspace's."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys

import pytest
import ticksupply
from ticksupply import _native
from ticksupply._cli import run


def test_one_version_everywhere():
    assert ticksupply.__version__ == _native.CORE_VERSION == importlib.metadata.version("ticksupply")


def test_version_and_help(capfd: pytest.CaptureFixture[str]):
    assert run(["--version"]) == 0
    assert capfd.readouterr().out.strip() == f"ticksupply {ticksupply.__version__}"
    assert run(["--help"]) == 0
    assert "Usage: ticksupply" in capfd.readouterr().out


def test_usage_error_exits_2(capfd: pytest.CaptureFixture[str]):
    assert run(["no-such-command"]) == 2
    assert "no-such-command" in capfd.readouterr().err


def test_argv_must_be_a_list_of_str():
    with pytest.raises(TypeError):
        _native.cli_main("ticksupply --help")  # type: ignore[arg-type]


def test_exchanges_list_json_against_the_mock(mock, key, monkeypatch, capfd: pytest.CaptureFixture[str]):
    monkeypatch.setenv("TICKSUPPLY_API_KEY", key)
    monkeypatch.setenv("TICKSUPPLY_BASE_URL", mock.base_url)
    assert run(["exchanges", "list", "--json"]) == 0
    exchanges = json.loads(capfd.readouterr().out)
    assert isinstance(exchanges, list) and exchanges
    assert {"code", "display_name"} <= set(exchanges[0])


def test_an_api_error_exits_1(mock, monkeypatch, capfd: pytest.CaptureFixture[str]):
    monkeypatch.setenv("TICKSUPPLY_API_KEY", "key_nobody.unknown")
    monkeypatch.setenv("TICKSUPPLY_BASE_URL", mock.base_url)
    assert run(["exchanges", "list"]) == 1
    assert "unauthenticated" in capfd.readouterr().err


def test_python_dash_m(mock, key):
    env = {**os.environ, "TICKSUPPLY_API_KEY": key, "TICKSUPPLY_BASE_URL": mock.base_url}
    out = subprocess.run(
        [sys.executable, "-m", "ticksupply", "exchanges", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)
