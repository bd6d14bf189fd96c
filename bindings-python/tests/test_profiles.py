"""Profiles from Python: keys stored by ``ticksupply auth login`` (the wheel's own command),
used by ``Client(profile=...)`` and ``AsyncClient``, with the precedence every language shares:
an explicit key or profile > ``TICKSUPPLY_API_KEY`` > ``TICKSUPPLY_PROFILE`` > ``default_profile``.

conftest gives every test an empty ``TICKSUPPLY_CONFIG_DIR`` with the keyring off, so keys go to
its ``credentials.toml``; the real keyring is tested by ``make test-keyring``.
"""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from ticksupply import AsyncClient, AuthenticationError, Client, ConfigurationError


def login(mock, profile: str, key: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ticksupply", "auth", "login", "--profile", profile, "--base-url", mock.base_url],
        input=key + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )


def hint(key: str) -> str:
    return "****" + key[-4:]


def used(mock, client: Client, keys: list[str]) -> str:
    """Which of `keys` the client's request went out with, as the mock recorded it."""
    client.exchanges.list()
    return next(k for k in keys if any(r["path"] == "/v1/exchanges" for r in mock.requests(k)))


@pytest.fixture
def profiles(mock):
    dev, stg, env = mock.account(), mock.account(), mock.account()
    for name, key in (("dev", dev), ("stg", stg)):
        out = login(mock, name, key)
        assert out.returncode == 0, out.stderr
    return dev, stg, env


def test_precedence_explicit_then_env_key_then_env_profile_then_default(mock, profiles, monkeypatch):
    dev, stg, env = profiles
    keys = [dev, stg, env]
    # default_profile; the base URL is the profile's (TICKSUPPLY_BASE_URL is unset).
    c = Client()
    assert (c.api_key, c.base_url) == (hint(dev), mock.base_url)
    assert used(mock, c, keys) == dev
    # TICKSUPPLY_PROFILE beats default_profile.
    monkeypatch.setenv("TICKSUPPLY_PROFILE", "stg")
    assert Client().api_key == hint(stg)
    # TICKSUPPLY_API_KEY beats both.
    monkeypatch.setenv("TICKSUPPLY_API_KEY", env)
    monkeypatch.setenv("TICKSUPPLY_BASE_URL", mock.base_url)
    assert used(mock, Client(), keys[2:]) == env
    # What the caller names beats the environment.
    c = Client(profile="dev")
    assert c.api_key == hint(dev)
    assert Client(api_key=stg).api_key == hint(stg)
    # Naming both is a configuration error that names both, never the key.
    with pytest.raises(ConfigurationError) as e:
        Client(api_key=stg, profile="dev")
    assert "'dev'" in str(e.value) and "api_key argument" in str(e.value)
    assert stg not in str(e.value)
    assert isinstance(e.value, ValueError)


def test_async_client_takes_a_profile(mock, profiles):
    dev, stg, _ = profiles

    async def main() -> str:
        c = AsyncClient(profile="stg")
        await c.exchanges.list()
        return c.api_key

    assert asyncio.run(main()) == hint(stg)
    assert any(r["path"] == "/v1/exchanges" for r in mock.requests(stg))


def test_a_deleted_key_is_an_authentication_error_naming_the_profile(mock, profiles):
    dev, _, _ = profiles
    mock.control("DELETE", f"/keys/{dev}")
    with pytest.raises(AuthenticationError) as e:
        Client(profile="dev").exchanges.list()
    text = str(e.value)
    assert "profile 'dev' (credentials file)" in text and hint(dev) in text
    assert e.value.request_id and e.value.request_id.startswith("req_")
    assert dev not in text and dev not in repr(e.value)


def test_missing_profiles_and_keys_say_what_to_do(mock, profiles, monkeypatch):
    config = Path(os.environ["TICKSUPPLY_CONFIG_DIR"]) / "config.toml"
    with pytest.raises(ConfigurationError) as e:
        Client(profile="ghost")
    msg = str(e.value)
    assert "profile 'ghost'" in msg and str(config) in msg and "dev, stg" in msg and "auth login" in msg
    monkeypatch.setenv("TICKSUPPLY_PROFILE", "ghost")
    with pytest.raises(ConfigurationError, match="from TICKSUPPLY_PROFILE"):
        Client()
    with pytest.raises(ConfigurationError, match="not valid"):
        Client(profile="../etc")


def test_login_refuses_a_rejected_key_and_the_file_is_private(mock, profiles):
    dev, stg, _ = profiles
    folder = Path(os.environ["TICKSUPPLY_CONFIG_DIR"])
    out = login(mock, "prod", "ts_rejected_key_0000")
    assert out.returncode == 1
    assert "[unauthenticated]" in out.stderr and "not stored" in out.stderr
    assert "ts_rejected_key_0000" not in out.stderr + out.stdout
    with pytest.raises(ConfigurationError, match="profile 'prod'"):
        Client(profile="prod")
    creds = folder / "credentials.toml"
    assert stat.S_IMODE(creds.stat().st_mode) == 0o600
    assert dev in creds.read_text() and stg in creds.read_text()
    assert dev not in (folder / "config.toml").read_text()
