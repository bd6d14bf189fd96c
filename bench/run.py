#!/usr/bin/env python3
"""`make bench`: our clients against what a user would otherwise pick, in one run, side by side.

Call benchmarks hit a static local server (bodies captured from ticksupply-mock, realistic
headers); its ceiling, what wrk gets from it under the same conditions, is reported next to every
call row. The Rust rows run with the server, the client and wrk all pinned to one core: a call
then costs what its work costs, user and kernel, and not this VM's wake-up of an idle vCPU
(which, unpinned, made wrk itself top out near the clients' rate). Contenders alternate
(A B A B ...); the table shows medians and the median of pairwise ratios. Writes BENCHMARKS.md.
"""

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data.section import data_section  # noqa: E402
from sync.section import sync_section  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = os.environ.get("BENCH_SECONDS", "2")
RUST_BIN = os.path.join(ROOT, "bench", "rust", "target", "release")
MOCK = os.path.join(ROOT, "target", "release", "ticksupply-mock")
PYTHON = sys.executable


# The core the pinned benchmarks share (the first this process may use).
CORE = min(os.sched_getaffinity(0))


def pinned():
    os.sched_setaffinity(0, {CORE})


def sh(cmd, pin=False, **kw):
    return subprocess.run(
        cmd, check=True, text=True, capture_output=True, preexec_fn=pinned if pin else None, **kw
    ).stdout


def start(cmd, prefix):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline().strip()
    if not line.startswith(prefix):
        p.kill()
        sys.exit(f"bench: {cmd[0]} did not start: {line!r}")
    return p, line[len(prefix) :]


def capture_bodies(dest):
    mock, base = start([MOCK, "--port", "0", "--key", "bench=ts_bench_key_0001"], "ticksupply-mock listening on ")
    try:
        for name, path in [
            ("exchanges", "/exchanges"),
            ("instruments-1000", "/exchanges/binance/instruments?limit=1000"),
        ]:
            req = urllib.request.Request(base + path, headers={"X-Api-Key": "ts_bench_key_0001"})
            with urllib.request.urlopen(req) as r, open(os.path.join(dest, name + ".json"), "wb") as f:
                f.write(r.read())
    finally:
        mock.kill()


def run_rust(binary, base, what):
    out = sh([os.path.join(RUST_BIN, binary), base, what, SECONDS], pin=True)
    return json.loads(out)["value"]


# What each call benchmark asks the server: (path, connections).
CEILING_LOAD = {
    "sequential": ("/exchanges", 1),
    "page": ("/exchanges/binance/instruments?limit=1000", 1),
    "concurrent": ("/exchanges", 50),
}


def wrk(base, path, connections, pin):
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{SECONDS}s", "-H", "X-Api-Key: ts_bench_key_0001", base + path]
    for line in sh(cmd, pin=pin).splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise SystemExit(f"bench: wrk printed no rate for {path}")


def ceilings(base, pin):
    """The server's ceiling per call benchmark: the best of three wrk runs, as the row is run."""
    if not shutil.which("wrk"):
        sys.exit("bench: wrk not found (Debian package wrk); it measures the server's ceiling")
    return {what: max(wrk(base, p, c, pin) for _ in range(3)) for what, (p, c) in CEILING_LOAD.items()}


PY_OURS = os.path.join(ROOT, ".bench", "venv-ours", "bin", "python")
SYNC_AFTER = os.path.join(ROOT, "target", "release", "ticksupply")
SYNC_BEFORE = os.path.join(ROOT, ".bench", "sync-before", "target", "release", "ticksupply")
PY_OFFICIAL = os.path.join(ROOT, ".bench", "venv-official", "bin", "python")


def run_python(python, base, what):
    out = sh([python, os.path.join(ROOT, "bench", "python", "bench.py"), base, what, SECONDS])
    return json.loads(out.strip().splitlines()[-1])["value"]


def python_rows(base, ceiling):
    if not (os.path.exists(PY_OURS) and os.path.exists(PY_OFFICIAL)):
        print("bench: Python venvs missing (make bench creates them); skipping Python", file=sys.stderr)
        return []
    contenders = [
        ("ours", lambda w: run_python(PY_OURS, base, w)),
        ("official", lambda w: run_python(PY_OFFICIAL, base, w)),
    ]
    rows = []
    for what, label, unit, lower, who in [
        ("sequential", "sequential calls, Client", "calls/s", False, "official client 0.2.0"),
        ("page", "1000-item page decode", "pages/s", False, "official client 0.2.0"),
        ("concurrent", "AsyncClient, 50 callers", "calls/s", False, "official AsyncClient 0.2.0"),
        ("import", "import ticksupply", "ms", True, "official client 0.2.0"),
    ]:
        res = alternate(contenders, what)
        o, t = res["ours"], res["official"]
        rows.append(
            (
                "Python",
                label,
                unit,
                statistics.median(o),
                who,
                statistics.median(t),
                ratio(o, t, lower),
                ceiling.get(what),
            )
        )
    rows.append(telemetry_row("Python", lambda w: run_python(PY_OURS, base, w)))
    return rows


def telemetry_row(lang, run):
    """Sequential calls with telemetry on against off, alternating: the cost a user pays per call
    for a span and the metrics of every attempt."""
    res = alternate([("on", lambda w: run("sequential-otel")), ("off", lambda w: run("sequential"))], "sequential")
    on, off = statistics.median(res["on"]), statistics.median(res["off"])
    cost_us = (1 / on - 1 / off) * 1e6
    label = f"sequential calls, telemetry on ({cost_us:+.0f} µs a call)"
    return (lang, label, "calls/s", on, "ours, telemetry off", off, ratio(res["on"], res["off"]), None)


NODE_BENCH = os.path.join(ROOT, "bench", "node", "bench.js")


def run_node(who, base, what):
    out = sh(["node", NODE_BENCH, who, base, what, SECONDS])
    return json.loads(out.strip().splitlines()[-1])["value"]


def node_rows(base, ceiling):
    if not shutil.which("node"):
        print("bench: node not found; skipping Node", file=sys.stderr)
        return []
    contenders = [("ours", lambda w: run_node("ours", base, w)), ("fetch", lambda w: run_node("fetch", base, w))]
    rows = []
    for what, label, unit, lower in [
        ("sequential", "sequential calls", "calls/s", False),
        ("page", "1000-item page decode", "pages/s", False),
        ("concurrent", "50 concurrent callers", "calls/s", False),
        ("rss", "peak RSS, 10k calls", "KiB", True),
    ]:
        res = alternate(contenders, what)
        o, t = res["ours"], res["fetch"]
        rows.append(
            (
                "Node",
                label,
                unit,
                statistics.median(o),
                "fetch + res.json()",
                statistics.median(t),
                ratio(o, t, lower),
                ceiling.get(what),
            )
        )
    rows.append(telemetry_row("Node", lambda w: run_node("ours", base, w)))
    took = [run_node("ours", base, "require") for _ in range(ROUNDS)]
    rows.append(
        ("Node", "require('ticksupply')", "ms", statistics.median(took), "(fetch is built in)", None, None, None)
    )
    return rows


ARTIFACT_BYTES = int(os.environ.get("BENCH_ARTIFACT_BYTES", str(512 * 2**20)))
EXPORT_KEY = "ts_bench_key_0001"


def api(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("X-Api-Key", EXPORT_KEY)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as r:
        raw = r.read()
    return json.loads(raw) if raw else None


def ready_export(base):
    api(base, "POST", "/subscriptions", {"datastream_id": 1})
    job = api(
        base,
        "POST",
        "/exports",
        {"datastream_id": 1, "start_time": "2024-01-01T00:00:00Z", "end_time": "2024-01-01T01:00:00Z"},
    )
    while api(base, "GET", f"/exports/{job['id']}")["status"] != "succeeded":
        time.sleep(0.05)
    return job["id"]


def download_once(cmd):
    dest = tempfile.mkdtemp(dir=os.environ.get("BENCH_DOWNLOAD_DIR"))
    try:
        out = sh([c.replace("{dest}", dest) for c in cmd])
        return json.loads(out.strip().splitlines()[-1])
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def export_rows():
    """Artifact download: MiB/s and peak RSS of our clients next to curl on the same URL."""
    mock, base = start(
        [MOCK, "--port", "0", "--key", f"bench={EXPORT_KEY}", "--artifact-size", str(ARTIFACT_BYTES)],
        "ticksupply-mock listening on ",
    )
    try:
        export_id = ready_export(base)
        helper = os.path.join(ROOT, "bench", "exports", "download.py")

        def curl():
            url = api(base, "GET", f"/exports/{export_id}/download")["artifacts"][0]["url"]
            return [PYTHON, helper, "command", "{dest}", "--", "curl", "-sS", "-o", "{dest}/artifact", url]

        contenders = {
            "curl": curl,
            "ours-python": lambda: [PY_OURS, helper, "ours-python", base, EXPORT_KEY, export_id, "{dest}"],
        }
        if shutil.which("node"):
            node = os.path.join(ROOT, "bench", "exports", "download.mjs")
            contenders["ours-node"] = lambda: [
                PYTHON,
                helper,
                "command",
                "{dest}",
                "--",
                "node",
                node,
                base,
                EXPORT_KEY,
                export_id,
                "{dest}",
            ]
        results = {name: [] for name in contenders}
        for r in range(ROUNDS):
            names = list(contenders) if r % 2 == 0 else list(reversed(contenders))
            for name in names:
                results[name].append(download_once(contenders[name]()))
    finally:
        mock.kill()
    mib = ARTIFACT_BYTES // 2**20
    rows = []
    curl_speed = [x["mib_s"] for x in results["curl"]]
    curl_rss = [x["rss_kib"] for x in results["curl"]]
    for name, lang in [("ours-python", "Python"), ("ours-node", "Node")]:
        if name not in results:
            continue
        speed = [x["mib_s"] for x in results[name]]
        rss = [x["rss_kib"] for x in results[name]]
        label = f"export download, {mib} MiB"
        rows.append(
            (
                lang,
                label,
                "MiB/s",
                statistics.median(speed),
                "curl",
                statistics.median(curl_speed),
                ratio(speed, curl_speed),
                None,
            )
        )
        rows.append(
            (
                lang,
                f"{label}, peak RSS",
                "KiB",
                statistics.median(rss),
                "curl",
                statistics.median(curl_rss),
                ratio(rss, curl_rss, True),
                None,
            )
        )
    return rows


def alternate(contenders, what):
    """Runs each contender ROUNDS times, interleaved; returns {name: [values]}."""
    results = {name: [] for name, _ in contenders}
    for r in range(ROUNDS):
        order = contenders if r % 2 == 0 else list(reversed(contenders))
        for name, fn in order:
            results[name].append(fn(what))
    return results


def ratio(ours, theirs, lower_is_better=False):
    pairs = [(t / o if lower_is_better else o / t) for o, t in zip(ours, theirs, strict=True) if o and t]
    return statistics.median(pairs) if pairs else float("nan")


def main():
    tmp = tempfile.mkdtemp()
    capture_bodies(tmp)
    rows = []
    data = sync = None
    server, base = start([os.path.join(RUST_BIN, "bench-static-server"), tmp], "listening on ")
    try:
        # Rust: server, client and wrk on one core.
        os.sched_setaffinity(server.pid, {CORE})
        ceiling = ceilings(base, pin=True)
        contenders = [
            ("ours", lambda w: run_rust("bench-ours", base, w)),
            ("official 0.2.1", lambda w: run_rust("bench-official", base, w)),
        ]
        for what, label, unit, lower in [
            ("sequential", "sequential calls", "calls/s", False),
            ("page", "1000-item page decode", "pages/s", False),
            ("concurrent", "50 concurrent callers", "calls/s", False),
            ("rss", "peak RSS, 10k calls", "KiB", True),
        ]:
            res = alternate(contenders, what)
            o, t = res["ours"], res["official 0.2.1"]
            rows.append(
                (
                    "Rust",
                    label,
                    unit,
                    statistics.median(o),
                    "official crate 0.2.1",
                    statistics.median(t),
                    ratio(o, t, lower),
                    ceiling.get(what),
                )
            )
        # Python and Node unpinned, as users run them: their runtimes hand work between threads,
        # and one shared core would measure the scheduler's time slices instead.
        os.sched_setaffinity(server.pid, os.sched_getaffinity(0))
        ceiling = ceilings(base, pin=False)
        rows += python_rows(base, ceiling)
        rows += node_rows(base, ceiling)
        if os.environ.get("BENCH_EXPORTS", "1") != "0":
            rows += export_rows()
        if os.environ.get("BENCH_DATA", "1") != "0":
            data = data_section(PY_OURS, MOCK)
        if os.environ.get("BENCH_SYNC", "1") != "0":
            sync = sync_section(MOCK, SYNC_BEFORE, SYNC_AFTER, PYTHON)
    finally:
        server.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    report(rows, data, sync)


NOTES_HEADING = "## Where the time goes"


def data_markdown(data):
    if data is None:
        return ""
    table, goals = data
    print(table + "\n".join(goals))
    return "\n## Export data into tables (Python)\n\n" + table + "\nGoals:\n\n" + "".join(f"- {g}\n" for g in goals)


def fmt(v):
    if v is None:
        return "—"
    return f"{v:,.1f}" if v < 100 else f"{v:,.0f}"


def headroom(o, t, ceiling):
    """The server's ceiling, and how far above the faster contender it is."""
    if ceiling is None:
        return ""
    return f"{fmt(ceiling)} ({ceiling / max(o, t or 0):.1f}x)"


def sync_markdown(sync):
    if sync is None:
        return ""
    table, rss_line = sync
    return (
        "\n## ticksupply sync: the rate limit and memory\n\n"
        "At ticksupply-mock's defaults (200 requests a minute per account, exports ready after 2 s), "
        "2 datastreams, each run on a fresh account; requests counted from `/_mock/requests`; "
        '"before" is the version before the lake rewrite, built from git by `make bench`.\n\n'
        + table
        + "\nGoals: hourly files ≤ 0.3 requests each, daily files ≤ 3.\n\n"
        + rss_line
        + "\n"
    )


def report(rows, data=None, sync=None):
    head = (
        "| language | benchmark | ours | against | theirs | ours/theirs | server ceiling (wrk) |\n"
        "|---|---|---|---|---|---|---|\n"
    )
    body = "".join(
        f"| {lang} | {label} ({unit}) | {fmt(o)} | {who} | {fmt(t)} | {'' if r is None else f'{r:.2f}x'} "
        f"| {headroom(o, t, c)} |\n"
        for lang, label, unit, o, who, t, r, c in rows
    )
    cpu = os.cpu_count()
    rustc = sh(["rustc", "--version"]).strip()
    machine = f"{cpu} cores, {platform.machine()}, {platform.system()} {platform.release()}; {rustc}"
    print(head + body)
    notes = (
        "Ratios are the median of pairwise ratios over alternating runs (A B A B ...); "
        "for peak RSS, theirs/ours (higher is better for us). Server ceiling: the best of three wrk "
        "runs (one thread; one connection, or 50 for the concurrent rows) on the same endpoint under "
        "the same conditions as the row, and in brackets how far that is above the faster contender."
    )
    # The profiling notes under NOTES_HEADING are written by hand; keep them.
    path = os.path.join(ROOT, "BENCHMARKS.md")
    kept = ""
    if os.path.exists(path):
        text = open(path).read()
        if NOTES_HEADING in text:
            kept = "\n" + text[text.index(NOTES_HEADING) :]
    with open(path, "w") as f:
        f.write(
            f"# Benchmarks\n\nProduced by `make bench` on {time.strftime('%Y-%m-%d')} ({machine}); "
            f"{ROUNDS} rounds of {SECONDS} s per contender.\n\n{head}{body}\n{notes}\n\n"
            "Call benchmarks run against `bench/rust/static-server` (bodies captured from "
            "ticksupply-mock, realistic headers), one client runtime thread, `max_retries(0)`. "
            "The Rust rows run with server, client and wrk pinned to one core (what a call costs, "
            "not how fast this VM wakes an idle vCPU); the Python and Node rows run unpinned.\n"
            + data_markdown(data)
            + sync_markdown(sync)
            + kept
        )


if __name__ == "__main__":
    main()
