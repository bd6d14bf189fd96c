"""One ticksupply-mock per test session; each test that changes state gets its own account."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _mock_binary() -> str:
    for profile in ("release", "debug"):
        p = ROOT / "target" / profile / "ticksupply-mock"
        if p.exists():
            return str(p)
    raise RuntimeError("build ticksupply-mock first (cargo build -p ticksupply-mock)")


class Mock:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [
                _mock_binary(),
                "--port",
                "0",
                "--export-delay-ms",
                "200",
                "--rate-limit-minute",
                "1000000",
                "--rate-limit-hour",
                "1000000",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline().strip()
        assert line.startswith("ticksupply-mock listening on "), line
        self.base_url = line.removeprefix("ticksupply-mock listening on ")
        self.origin = self.base_url.removesuffix("/v1")

    def control(self, method: str, path: str, body: object = None, key: str | None = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.origin + "/_mock" + path, data=data, method=method)
        if key:
            req.add_header("x-api-key", key)
        req.add_header("content-type", "application/json")
        with urllib.request.urlopen(req) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def account(self, **limits: int) -> str:
        key = f"key_test.{uuid.uuid4().hex}"
        self.control("POST", "/keys", {"account": key, "key": key, **limits})
        return key

    def fault(self, key: str, **spec: object) -> None:
        self.control("POST", "/faults", spec, key=key)

    def requests(self, key: str, listener: str = "api") -> list[dict]:
        return self.control("GET", f"/requests?listener={listener}", key=key)  # type: ignore[return-value]


@pytest.fixture(scope="session")
def mock():
    m = Mock()
    yield m
    m.proc.kill()
    m.proc.wait()


@pytest.fixture
def key(mock: Mock) -> str:
    return mock.account()


@pytest.fixture
def client(mock: Mock, key: str):
    from ticksupply import Client

    return Client(api_key=key, base_url=mock.base_url)


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TICKSUPPLY_API_KEY", raising=False)
    monkeypatch.delenv("TICKSUPPLY_BASE_URL", raising=False)


os.environ.setdefault("PYTHONUNBUFFERED", "1")
