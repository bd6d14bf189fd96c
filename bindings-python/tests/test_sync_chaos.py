"""The lake's promise under fire: `ticksupply sync` (the real command, as a subprocess) against
ticksupply-mock — an exact oracle whose exports hold exactly the collected rows of their window —
into a local folder and into moto's S3, run the ways people run it: incremental cron runs killed
with SIGKILL at every state transition, widened and narrowed ranges, two identical runs at once,
shards given different ends, windows past the collected data filled as the collection clock
moves, an export failed by the server, a 429 storm from two shards, and random kills during a
long sync. Each time the final lake is compared with one uncrashed sync of the union range: the
same rows, each once, and no file but Parquet files outside `.ticksupply-sync/`.

The kills land where it hurts: `TICKSUPPLY_SYNC_STOP_AT` stops the process (SIGSTOP) right
after a transition; the test checks that the state and the mock's request log show that very
transition, that readers see a whole lake without a duplicate, and only then sends SIGKILL.

`CHAOS_KILLS` (default 10) sets the random kills; `make chaos` runs a longer campaign.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pytest
from conftest import Mock, cli

pytestmark = pytest.mark.chaos

KILLS = int(os.environ.get("CHAOS_KILLS", "10"))
DAY = "2024-03-01"
DAY_NS = 1_709_251_200_000_000_000
HOUR_NS = 3_600_000_000_000
SORT = ["exchange", "instrument", "stream_type", "date", "collection_timestamp_ns", "data"]


@pytest.fixture(scope="module")
def cmock():
    """Small artifacts (209 rows an hour) so that a day syncs in a moment."""
    m = Mock("--artifact-size", "20000", "--export-delay-ms", "300")
    yield m
    m.close()


class Lake:
    """A sync destination: a local folder or a prefix of moto's bucket, and how to read it."""

    def __init__(self, kind: str, tmp: Path, s3) -> None:
        self.kind = kind
        if kind == "local":
            self.root = str(tmp / f"lake-{uuid.uuid4().hex[:8]}")
            self.url = self.root
            self.fs = pafs.LocalFileSystem()
            self.env: dict[str, str] = {}
        else:
            self.root = f"{s3.bucket}/{uuid.uuid4().hex[:8]}"
            self.url = f"s3://{self.root}"
            self.fs = s3.filesystem()
            self.env = s3.env

    def keys(self) -> list[str]:
        try:
            infos = self.fs.get_file_info(pafs.FileSelector(self.root, recursive=True))
        except FileNotFoundError:
            return []
        return sorted(i.path[len(self.root) + 1 :] for i in infos if i.type == pafs.FileType.File)

    def read(self, key: str) -> bytes | None:
        try:
            with self.fs.open_input_stream(f"{self.root}/{key}") as f:
                return f.read()
        except (FileNotFoundError, OSError):
            return None

    def state(self, window_key: str) -> dict | None:
        raw = self.read(f".ticksupply-sync/windows/{window_key}.json")
        return json.loads(raw) if raw else None

    def table(self) -> pa.Table:
        if not any(k.endswith(".parquet") and not k.startswith(".") for k in self.keys()):
            return pa.table({c: pa.array([], pa.string()) for c in SORT})
        d = pads.dataset(self.root, format="parquet", partitioning="hive", filesystem=self.fs)
        return d.to_table().sort_by([(c, "ascending") for c in SORT])

    def stray_files(self) -> list[str]:
        """Files readers could trip on: anything but the dataset's Parquet files."""
        out = []
        for k in self.keys():
            if k.startswith(".ticksupply-sync/"):
                continue
            parts = k.split("/")
            ok = (
                k.endswith(".parquet")
                and len(parts) == 5
                and [p.split("=")[0] for p in parts[:4]] == ["exchange", "instrument", "stream_type", "date"]
            )
            if not ok:
                out.append(k)
        return out


@pytest.fixture(params=["local", "s3"])
def new_lake(request, tmp_path, s3):
    return lambda: Lake(request.param, tmp_path, s3)


@pytest.fixture
def account(cmock):
    def make(**limits: int) -> str:
        key = cmock.account(**limits)
        for ds in (1, 4):
            api(cmock, key, "POST", "/subscriptions", {"datastream_id": ds})
        return key

    return make


def api(mock: Mock, key: str, method: str, path: str, body: object = None) -> object:
    import urllib.request

    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(mock.base_url + path, data=data, method=method)
    req.add_header("x-api-key", key)
    req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req) as r:
        raw = r.read()
    return json.loads(raw) if raw else None


def run_args(lake: Lake, *args: str) -> list[str]:
    return [cli(), "sync", "--dest", lake.url, "--json", *args]


def env_for(mock: Mock, key: str, lake: Lake, **extra: str) -> dict[str, str]:
    return {**os.environ, **lake.env, "TICKSUPPLY_API_KEY": key, "TICKSUPPLY_BASE_URL": mock.base_url, **extra}


def sync(mock: Mock, key: str, lake: Lake, *args: str, ok: bool = True) -> dict:
    out = subprocess.run(
        run_args(lake, *args), env=env_for(mock, key, lake), capture_output=True, text=True, timeout=300
    )
    if ok:
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    summary = lines[-1] if lines and lines[-1].get("event") == "summary" else {}
    return {"code": out.returncode, "summary": summary, "events": lines, "stderr": out.stderr}


def start(mock: Mock, key: str, lake: Lake, *args: str, stop_at: str | None = None) -> subprocess.Popen:
    extra = {"TICKSUPPLY_SYNC_STOP_AT": stop_at} if stop_at else {}
    return subprocess.Popen(
        run_args(lake, *args),
        env=env_for(mock, key, lake, **extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stopped(p: subprocess.Popen) -> bool:
    try:
        stat = Path(f"/proc/{p.pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(") ", 1)[1].startswith("T")


def wait_stopped(p: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not stopped(p):
        assert p.poll() is None, f"the sync ended (code {p.returncode}) before its stop point"
        assert time.monotonic() < deadline, "the sync never reached its stop point"
        time.sleep(0.01)


def kill(p: subprocess.Popen) -> None:
    p.send_signal(signal.SIGKILL)
    p.wait()


def reference(mock: Mock, key: str, tmp: Path, *args: str) -> pa.Table:
    """One uncrashed sync of the union range, into a fresh local folder."""
    ref = Lake("local", tmp, None)
    sync(mock, key, ref, *args)
    return ref.table()


def assert_same(lake: Lake, want: pa.Table) -> None:
    got = lake.table()
    assert got.num_rows == want.num_rows, f"{got.num_rows} rows, want {want.num_rows}"
    assert got.select(SORT).equals(want.select(SORT))
    assert lake.stray_files() == [], lake.stray_files()


def assert_subset_without_duplicates(lake: Lake, want: pa.Table) -> None:
    """What a reader sees mid-run: whole files, every row one of the final rows, none twice."""
    got = lake.table()
    rows = list(zip(*(got.column(c).to_pylist() for c in SORT), strict=True))
    assert len(rows) == len(set(rows)), "a row is in the lake twice"
    wanted = set(zip(*(want.column(c).to_pylist() for c in SORT), strict=True))
    assert set(rows) <= wanted
    assert lake.stray_files() == [], lake.stray_files()


def exports(mock: Mock, key: str) -> list[dict]:
    items, token = [], None
    while True:
        page = api(mock, key, "GET", "/exports?limit=100" + (f"&page_token={token}" if token else ""))
        items += page["items"]
        token = page.get("next_page_token")
        if not token:
            return items


WINDOW = f"1-{DAY_NS}"


@pytest.mark.parametrize(
    "point", ["export_created", "export_recorded", "file_staged", "file_published", "state_recorded"]
)
def test_incremental_day_runs_killed_at_every_transition(cmock, account, new_lake, tmp_path, point):
    key, lake = account(), new_lake()
    first = ("--datastream", "1", "--from", f"{DAY}T00:00Z", "--to", f"{DAY}T06:00Z")
    second = ("--datastream", "1", "--from", f"{DAY}T06:00Z", "--to", f"{DAY}T12:00Z")
    sync(cmock, key, lake, *first)
    before = lake.state(WINDOW)
    file_key = before["files"][0]["key"]
    want = reference(cmock, key, tmp_path, "--datastream", "1", "--from", f"{DAY}T00:00Z", "--to", f"{DAY}T12:00Z")

    p = start(cmock, key, lake, *second, stop_at=point)
    wait_stopped(p)
    st = lake.state(WINDOW)
    posts = [r for r in cmock.requests(key) if r["method"] == "POST" and r["path"] == "/v1/exports"]
    covered = st["files"][0]["covered"]
    if point == "export_created":
        assert posts and posts[-1]["status"] == 202
        assert st["exports"] == [], "created, not recorded yet"
    else:
        assert len(st["exports"]) == 1 or point == "state_recorded"
    if point == "export_recorded":
        assert st["exports"][0]["export_id"] in {e["id"] for e in exports(cmock, key)}
    if point in ("export_created", "export_recorded", "file_staged", "file_published"):
        assert covered == [[DAY_NS, DAY_NS + 6 * HOUR_NS]], covered
    if point == "file_staged":
        assert lake.read(file_key) is not None
        import hashlib

        assert hashlib.sha256(lake.read(file_key)).hexdigest() == st["files"][0]["sha256"], "not replaced yet"
    if point == "file_published":
        import hashlib

        assert hashlib.sha256(lake.read(file_key)).hexdigest() != st["files"][0]["sha256"], "replaced, not recorded"
    if point == "state_recorded":
        assert covered == [[DAY_NS, DAY_NS + 12 * HOUR_NS]], covered
    assert_subset_without_duplicates(lake, want)
    kill(p)
    assert_subset_without_duplicates(lake, want)

    again = sync(cmock, key, lake, *second)
    assert again["summary"]["failed"] == 0
    assert_same(lake, want)
    # Whatever the kill left, the rerun needed at most one export of its own (none once the
    # first was recorded: it is reused, or found again by its idempotency key).
    assert len(exports(cmock, key)) <= 4


def test_widened_then_narrowed(cmock, account, new_lake, tmp_path):
    key, lake = account(), new_lake()
    ds = ("--datastream", "1", "4")
    sync(cmock, key, lake, *ds, "--from", f"{DAY}T03:00Z", "--to", f"{DAY}T06:00Z")
    sync(cmock, key, lake, *ds, "--from", DAY, "--to", "2024-03-02T12:00Z")
    narrow = sync(cmock, key, lake, *ds, "--from", f"{DAY}T04:00Z", "--to", f"{DAY}T05:00Z")
    assert narrow["summary"]["files"] == 0
    want = reference(cmock, key, tmp_path, *ds, "--from", DAY, "--to", "2024-03-02T12:00Z")
    assert_same(lake, want)


def test_two_identical_runs_at_once(cmock, account, new_lake, tmp_path):
    key, lake = account(), new_lake()
    args = ("--datastream", "1", "4", "--from", DAY, "--to", "2024-03-03", "--partition", "hour")
    runs = [start(cmock, key, lake, *args) for _ in range(2)]
    codes = [p.wait(timeout=300) for p in runs]
    assert codes == [0, 0]
    assert_same(lake, reference(cmock, key, tmp_path, *args))


def test_shards_given_different_ends(cmock, account, new_lake, tmp_path):
    key, lake = account(), new_lake()
    ds = ("--datastream", "1", "4", "--from", DAY, "--partition", "hour")
    a = start(cmock, key, lake, *ds, "--to", "2024-03-03T06:00Z", "--shard", "1/2")
    b = start(cmock, key, lake, *ds, "--to", "2024-03-03T09:00Z", "--shard", "2/2")
    assert [a.wait(timeout=300), b.wait(timeout=300)] == [0, 0]
    want = reference(cmock, key, tmp_path, *ds, "--to", "2024-03-03T09:00Z")
    cut = pa.scalar(DAY_NS + 2 * 24 * HOUR_NS + 6 * HOUR_NS, pa.timestamp("ns", tz="UTC"))
    early = lambda t: t.filter(pa.compute.less(t["collection_timestamp_ns"], cut))  # noqa: E731
    got = lake.table()
    assert early(got).select(SORT).equals(early(want).select(SORT)), "a gap before the shorter end"
    sync(cmock, key, lake, *ds, "--to", "2024-03-03T09:00Z", "--shard", "1/2")
    assert_same(lake, want)


def test_windows_past_the_collected_data_fill_as_the_clock_moves(cmock, account, new_lake, tmp_path):
    key, lake = account(), new_lake()
    cmock.control("POST", "/clock", {"now": f"{DAY}T08:30:00Z"}, key=key)
    args = ("--datastream", "1", "--from", DAY, "--to", f"{DAY}T12:00Z", "--partition", "hour")
    first = sync(cmock, key, lake, *args)
    assert first["summary"]["files"] == 9, first["summary"]  # 00h-07h whole, 08h up to 08:15
    latest = lake.table()["collection_timestamp_ns"].to_pylist()[-1]
    assert latest.hour == 8 and latest.minute < 15
    assert sync(cmock, key, lake, *args)["summary"]["open"] == 1
    cmock.control("POST", "/clock", {"now": f"{DAY}T13:00:00Z"}, key=key)
    again = sync(cmock, key, lake, *args)
    assert again["summary"]["files"] == 4, again["summary"]  # 08h rewritten, 09h-11h new
    assert_same(lake, reference(cmock, key, tmp_path, *args))


def test_a_failed_export_is_replaced_on_the_next_run(cmock, account, new_lake, tmp_path):
    key, lake = account(), new_lake()
    args = ("--datastream", "4", "--from", DAY, "--to", "2024-03-02")
    p = start(cmock, key, lake, *args, stop_at="export_recorded")
    wait_stopped(p)
    failed = lake.state(f"4-{DAY_NS}")["exports"][0]["export_id"]
    cmock.control("POST", f"/exports/{failed}/fail", {"reason": "disk full"}, key=key)
    kill(p)
    again = sync(cmock, key, lake, *args)
    made = [e for e in again["events"] if e["event"] == "window_exported"]
    assert [e["export_id"] == failed for e in made] == [True, False], made
    assert_same(lake, reference(cmock, key, tmp_path, *args))


def test_a_429_storm_from_two_shards_fails_no_window(cmock, account, new_lake, tmp_path):
    key, lake = account(rate_limit_minute=30), new_lake()
    args = ("--datastream", "1", "--from", DAY, "--to", "2024-03-03")
    # The minute's budget spent before the shards start: they meet 429s at once.
    import urllib.error

    with pytest.raises(urllib.error.HTTPError, match="429"):
        for _ in range(31):
            api(cmock, key, "GET", "/billing/summary")
    shards = [start(cmock, key, lake, *args, "--shard", k) for k in ("1/2", "2/2")]
    assert [p.wait(timeout=300) for p in shards] == [0, 0]
    limited = [r for r in cmock.requests(key) if r["status"] == 429]
    assert limited, "the storm happened"
    assert_same(lake, reference(cmock, account(), tmp_path, *args))


def test_random_kills_during_a_long_sync(cmock, account, new_lake, tmp_path):
    key, lake = account(), new_lake()
    args = ("--datastream", "1", "4", "--from", DAY, "--to", "2024-03-05", "--partition", "hour")
    rng = random.Random(int(os.environ.get("CHAOS_SEED", "0")) or None)
    want = reference(cmock, key, tmp_path, *args)
    for _ in range(KILLS):
        p = start(cmock, key, lake, *args)
        time.sleep(rng.uniform(0.05, 1.5))
        kill(p)
        assert_subset_without_duplicates(lake, want)
    sync(cmock, key, lake, *args)
    assert_same(lake, want)
    # The staging the killed runs left is gone: removed by the final run.
    assert not [k for k in lake.keys() if k.startswith(".ticksupply-sync/tmp/")]
    assert not list(Path(tempfile.gettempdir()).glob("ticksupply-sync-*"))
