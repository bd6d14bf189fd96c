"""The sync section of `make bench`: what `ticksupply sync` spends of the account's rate limit,
and its memory on a large Parquet export.

- Requests per file and files per minute at ticksupply-mock's defaults (200 requests/minute,
  exports ready after 2 s), 2 datastreams: hourly files over 2 days, daily files over 6 days;
  this version against the one before the lake rewrite (commit BEFORE, built by `make bench`
  into .bench/sync-before), alternating, each run on a fresh account (a full budget).
- Peak RSS of syncing one datastream-day whose Parquet export is ~2 GiB (zstd; the mock's
  artifacts sized for it from a probe), in a fresh process.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PEAK = os.path.join(ROOT, "bench", "exports", "download.py")
BEFORE = "c2c854f"
ROUNDS = int(os.environ.get("BENCH_SYNC_ROUNDS", "1"))
PARQUET_TARGET = int(os.environ.get("BENCH_SYNC_PARQUET_BYTES", str(2 * 2**30)))
# Bytes of one raw CSV row of the mock (a full hour's artifact holds --artifact-size / this).
MOCK_ROW = 95


class Mock:
    def __init__(self, mock, *options):
        self.proc = subprocess.Popen([mock, "--port", "0", *options], stdout=subprocess.PIPE, text=True)
        self.base = self.proc.stdout.readline().strip().removeprefix("ticksupply-mock listening on ")
        self.origin = self.base.removesuffix("/v1")

    def call(self, method, url, key=None, body=None, timeout=600):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if key:
            req.add_header("X-Api-Key", key)
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def account(self, datastreams):
        key = f"ts_bench_{uuid.uuid4().hex}"
        self.call("POST", self.origin + "/_mock/keys", body={"account": key, "key": key})
        for ds in datastreams:
            self.call("POST", self.base + "/subscriptions", key, {"datastream_id": ds})
        return key

    def api_requests(self, key):
        return [r for r in self.call("GET", self.origin + "/_mock/requests?listener=api", key) if r["account"] == key]

    def close(self):
        self.proc.kill()
        self.proc.wait()


def sync(cli, mock, key, dest, *args):
    env = {**os.environ, "TICKSUPPLY_API_KEY": key, "TICKSUPPLY_BASE_URL": mock.base}
    cmd = [cli, "sync", "--datastream", "1", "4", "--dest", dest, *args]
    started = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def files_in(dest):
    return sum(1 for _, _, fs in os.walk(dest) for f in fs if f.endswith(".parquet"))


def rate_rows(mock_bin, before_cli, after_cli):
    runs = {
        "hourly, 2 days": ("--from", "2024-03-01", "--to", "2024-03-03", "--partition", "hour"),
        "daily, 6 days": ("--from", "2024-03-01", "--to", "2024-03-07", "--partition", "day"),
    }
    versions = [("before", before_cli), ("this version", after_cli)]
    results = {(run, v): [] for run in runs for v, _ in versions}
    mock = Mock(mock_bin)
    try:
        for r in range(ROUNDS):
            for run, args in runs.items():
                order = versions if r % 2 == 0 else list(reversed(versions))
                for name, cli in order:
                    key = mock.account([1, 4])
                    dest = tempfile.mkdtemp()
                    try:
                        mock.call("DELETE", mock.origin + "/_mock/requests")
                        seconds = sync(cli, mock, key, dest, *args)
                        files = files_in(dest)
                        requests = len(mock.api_requests(key))
                        results[(run, name)].append((requests / files, files / (seconds / 60), requests, files))
                    finally:
                        shutil.rmtree(dest, ignore_errors=True)
    finally:
        mock.close()
    lines = [
        "| run | version | API requests | files | requests per file | files per minute |",
        "|---|---|---|---|---|---|",
    ]
    for (run, name), got in results.items():
        per_file = statistics.median(g[0] for g in got)
        per_minute = statistics.median(g[1] for g in got)
        requests, files = got[0][2], got[0][3]
        lines.append(f"| {run} | {name} | {requests} | {files} | {per_file:.2f} | {per_minute:,.0f} |")
    return "\n".join(lines) + "\n"


def parquet_bytes_per_row(mock_bin):
    """Bytes per row of the mock's zstd Parquet, from one probe hour."""
    size = 8 * 2**20
    mock = Mock(mock_bin, "--export-delay-ms", "0", "--artifact-size", str(size))
    try:
        key = mock.account([1])
        job = mock.call(
            "POST",
            mock.base + "/exports",
            key,
            {
                "datastream_id": 1,
                "start_time": "2024-03-01T00:00:00Z",
                "end_time": "2024-03-01T01:00:00Z",
                "format": "parquet",
            },
        )
        listing = mock.call("GET", mock.base + f"/exports/{job['id']}/download", key)
        return listing["total_bytes"] / (size // MOCK_ROW)
    finally:
        mock.close()


def parquet_rss(mock_bin, after_cli, python):
    per_row = parquet_bytes_per_row(mock_bin)
    hour_size = int(PARQUET_TARGET / per_row / 24) * MOCK_ROW
    mock = Mock(mock_bin, "--export-delay-ms", "0", "--artifact-size", str(hour_size))
    dest = tempfile.mkdtemp(dir=os.environ.get("BENCH_DOWNLOAD_DIR"))
    try:
        key = mock.account([1])
        env = {**os.environ, "TICKSUPPLY_API_KEY": key, "TICKSUPPLY_BASE_URL": mock.base}
        # The mock renders every artifact of the export when it is listed: give it time.
        cmd = [
            python,
            PEAK,
            "command",
            dest,
            "--",
            after_cli,
            "--timeout",
            "900",
            "sync",
            "--datastream",
            "1",
            "--from",
            "2024-03-01",
            "--to",
            "2024-03-02",
            "--dest",
            dest,
        ]
        out = subprocess.run(cmd, env=env, check=True, text=True, capture_output=True).stdout
        got = json.loads(out.strip().splitlines()[-1])
        listing_total = sum(
            mock.call("GET", mock.base + f"/exports/{e['id']}/download", key)["total_bytes"]
            for e in mock.call("GET", mock.base + "/exports", key)["items"]
        )
        return listing_total, got["rss_kib"], got["seconds"], got["bytes"]
    finally:
        mock.close()
        shutil.rmtree(dest, ignore_errors=True)


def sync_section(mock_bin, before_cli, after_cli, python):
    """Markdown for BENCHMARKS.md, and the goals it checks."""
    table = (
        rate_rows(mock_bin, before_cli, after_cli)
        if os.path.exists(before_cli)
        else ("(the version before was not built: run `make bench`)\n")
    )
    exported, rss, seconds, written = parquet_rss(mock_bin, after_cli, python)
    rss_line = (
        f"Peak RSS syncing one datastream-day whose Parquet export is {exported / 2**30:.2f} GiB "
        f"(24 artifacts, zstd) into {written / 2**30:.2f} GiB of Parquet files: **{rss / 1024:.0f} MiB** "
        f"(goal: under 300 MiB), in {seconds:.0f} s, process start included."
    )
    print(table + "\n" + rss_line, file=sys.stderr)
    return table, rss_line
