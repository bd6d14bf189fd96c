"""One ticksupply-mock per test session; each test that changes state gets its own account."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
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
    def __init__(self, *options: str) -> None:
        """A ticksupply-mock on a free port; `options` replace the defaults they name."""
        defaults = {"--export-delay-ms": "200", "--rate-limit-minute": "1000000", "--rate-limit-hour": "1000000"}
        given = dict(zip(options[::2], options[1::2], strict=True))
        args = [_mock_binary(), "--port", "0"]
        for name, value in {**defaults, **given}.items():
            args += [name, value]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
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

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture(scope="session")
def mock():
    m = Mock()
    yield m
    m.close()


def cli() -> str:
    """The `ticksupply` command: the binary cargo built, else the installed wheel's script."""
    for profile in ("debug", "release"):
        p = ROOT / "target" / profile / "ticksupply"
        if p.exists():
            return str(p)
    script = Path(sys.executable).with_name("ticksupply")
    if script.exists():
        return str(script)
    pytest.skip("no ticksupply command: build it (cargo build -p ticksupply-cli)")


def hourly_sync_args(dest: object, first: str = "binance:BTCUSDT:trades") -> list[str]:
    """`sync` of `first` and ETHUSDT trades over 2024's first three hours, by hour, into `dest`."""
    span = ["--from", "2024-01-01T00:00:00Z", "--to", "2024-01-01T03:00:00Z", "--partition", "hour"]
    return ["sync", "--datastream", first, "--datastream", "binance:ETHUSDT:trades", *span, "--dest", str(dest)]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3:
    """moto's S3 server on a free port, with the environment a client needs and one bucket."""

    def __init__(self, bucket: str = "lake") -> None:
        import shutil
        import time

        server = shutil.which("moto_server", path=str(Path(sys.executable).parent))
        if server is None:
            pytest.skip("moto[server] is not installed")
        port = free_port()
        self.proc = subprocess.Popen(
            [server, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.endpoint = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(self.endpoint, timeout=0.2)
                break
            except OSError:
                time.sleep(0.1)
        self.env = {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": "us-east-1",
            "AWS_ALLOW_HTTP": "true",
        }
        self.bucket = bucket
        # The bucket, created with a plain PUT (S3's CreateBucket), as any S3 client would.
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/{bucket}", method="PUT")).read()

    def filesystem(self):
        import pyarrow.fs as pafs

        return pafs.S3FileSystem(
            endpoint_override=self.endpoint, scheme="http", access_key="test", secret_key="test", region="us-east-1"
        )

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture(scope="session")
def s3():
    server = S3()
    yield server
    server.close()


@pytest.fixture
def key(mock: Mock) -> str:
    return mock.account()


@pytest.fixture
def client(mock: Mock, key: str):
    from ticksupply import Client

    return Client(api_key=key, base_url=mock.base_url)


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No key, profile or config of the user's reaches a test: an empty config directory, and
    the keyring off (keys in its credentials.toml)."""
    for name in ("TICKSUPPLY_API_KEY", "TICKSUPPLY_BASE_URL", "TICKSUPPLY_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TICKSUPPLY_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("TICKSUPPLY_KEYRING", "off")


os.environ.setdefault("PYTHONUNBUFFERED", "1")


class RawServer:
    """A raw HTTP/1.1 server on a thread: records each request's head bytes and answers with
    `respond(n, head)` (the whole response as bytes)."""

    def __init__(self, respond) -> None:
        import socket

        self.respond = respond
        self.requests: list[tuple[float, bytes]] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn) -> None:
        import time

        buf = b""
        with conn:
            conn.settimeout(10)
            while not self._stop:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                while b"\r\n\r\n" in buf:
                    head, _, buf = buf.partition(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value)
                    while len(buf) < length:
                        buf += conn.recv(65536)
                    buf = buf[length:]
                    self.requests.append((time.monotonic(), head + b"\r\n\r\n"))
                    conn.sendall(self.respond(len(self.requests), head))

    def close(self) -> None:
        self._stop = True
        self.sock.close()


def http_response(status: int, body: str, **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body.encode())}"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


@pytest.fixture
def raw_server():
    servers: list[RawServer] = []

    def make(respond) -> RawServer:
        s = RawServer(respond)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.close()
