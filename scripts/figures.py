"""Renders the README's telemetry figures from what `make figures` collected: the spans the
command line exported over OTLP (bindings-python/tests/test_cli_otlp.py, received by its OTLP
receiver). Usage: python scripts/figures.py COLLECTED.json OUT_DIR"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

INTERNAL, CLIENT = 1, 3


def sync_trace(spans: list[dict], out: Path) -> None:
    """The trace of one `ticksupply sync`: each span a bar from its start to its end, nested
    under its parent."""
    (root,) = [s for s in spans if s["name"] == "ticksupply sync"]
    trace = [s for s in spans if s["trace_id"] == root["trace_id"]]
    children: dict[str, list[dict]] = {}
    for s in trace:
        children.setdefault(s["parent_span_id"], []).append(s)
    rows: list[tuple[int, dict]] = []

    def walk(s: dict, depth: int) -> None:
        rows.append((depth, s))
        for c in sorted(children.get(s["span_id"], []), key=lambda x: x["start_ns"]):
            walk(c, depth + 1)

    walk(root, 0)
    t0 = root["start_ns"]
    fig, ax = plt.subplots(figsize=(10, 0.22 * len(rows) + 1.2))
    for i, (depth, s) in enumerate(rows):
        start, end = (s["start_ns"] - t0) / 1e6, (s["end_ns"] - t0) / 1e6
        color = "#4c72b0" if s["kind"] == INTERNAL else ("#c44e52" if s["status_code"] == 2 else "#55a868")
        ax.barh(i, max(end - start, 0.3), left=start, color=color, height=0.7)
        label = s["name"]
        if s["name"] == "ticksupply.sync.window":
            label += f"  {s['attributes'].get('ticksupply.datastream', '')}"
        ax.text(start, i, "  " * depth + label, va="center", ha="right", fontsize=7, clip_on=False)
    ax.invert_yaxis()
    ax.set_yticks([])
    ax.set_xlabel("milliseconds since the command started")
    ax.set_title("One `ticksupply sync` as one trace: the command, its windows, every request", fontsize=10)
    ax.spines[["top", "right", "left"]].set_visible(False)
    fig.subplots_adjust(left=0.42, right=0.98)
    fig.savefig(out, dpi=130)
    plt.close(fig)


def key_usage(spans: list[dict], out: Path, bucket_s: float = 0.5) -> None:
    """API requests and 401s over time, by key suffix: what a dashboard built on
    `http.client.request.duration` and `ticksupply.client.auth_failures` shows."""
    roots = {s["trace_id"] for s in spans if s["name"] == "ticksupply exchanges"}
    calls = [
        s
        for s in spans
        if s["kind"] == CLIENT and s["trace_id"] in roots and "ticksupply.api_key.suffix" in s["attributes"]
    ]
    t0 = min(s["start_ns"] for s in calls)
    bucket = lambda s: int((s["start_ns"] - t0) / 1e9 / bucket_s)  # noqa: E731
    total = Counter(bucket(s) for s in calls)
    failures: dict[str, Counter] = {}
    for s in calls:
        if s["attributes"].get("http.response.status_code") == 401:
            failures.setdefault(s["attributes"]["ticksupply.api_key.suffix"], Counter())[bucket(s)] += 1
    xs = range(max(total) + 1)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.plot(
        [x * bucket_s for x in xs],
        [total[x] / bucket_s for x in xs],
        label="API requests/s (two apps)",
        color="#4c72b0",
    )
    for suffix, c in failures.items():
        ax.bar(
            [x * bucket_s for x in xs],
            [c[x] / bucket_s for x in xs],
            width=bucket_s * 0.8,
            align="edge",
            color="#c44e52",
            alpha=0.8,
            label=f"401s/s, key …{suffix} (deleted)",
        )
    ax.set_xlabel("seconds")
    ax.set_ylabel("per second")
    ax.set_title("Key usage from the client's side: a key deleted while an app still uses it", fontsize=10)
    ax.legend(fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(out, dpi=130)
    plt.close(fig)


def main() -> None:
    collected, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    spans = json.loads(collected.read_text())["spans"]
    out_dir.mkdir(parents=True, exist_ok=True)
    sync_trace(spans, out_dir / "sync-trace.png")
    key_usage(spans, out_dir / "key-usage.png")
    print(f"figures: {out_dir / 'sync-trace.png'}, {out_dir / 'key-usage.png'}")


if __name__ == "__main__":
    main()
