#!/usr/bin/env python3
"""Prints criterion results as Markdown tables with ratios.

Usage: python3 scripts/bench_table.py [TARGET_DIR]
Reads TARGET_DIR/criterion/<group>/<bench>/new/estimates.json (criterion's own output).
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target") / "criterion"


def mean_ns(group, bench):
    path = root / group / bench / "new" / "estimates.json"
    return json.loads(path.read_text())["mean"]["point_estimate"]


def benches(group):
    base = root / group
    return sorted(p.parent.parent.name for p in base.glob("*/new/estimates.json")) if base.exists() else []


def fmt_time(ns):
    return f"{ns / 1e6:.2f} ms" if ns >= 1e6 else f"{ns / 1e3:.1f} µs" if ns >= 1e3 else f"{ns:.0f} ns"


encode = benches("encode_mix")
if encode:
    events = 300
    peers = [b for b in encode if b in ("axum", "actix-web-lab", "rocket")]
    fastest_peer = min(peers, key=lambda b: mean_ns("encode_mix", b)) if peers else None
    print("| encoder | time per mix (300 events) | events/s | vs fastest peer |")
    print("|---|---|---|---|")
    for bench in sorted(encode, key=lambda b: mean_ns("encode_mix", b)):
        t = mean_ns("encode_mix", bench)
        ratio = mean_ns("encode_mix", fastest_peer) / t if fastest_peer else float("nan")
        print(f"| {bench} | {fmt_time(t)} | {events / t * 1e3:.2f} M | {ratio:.2}x |")
    print()

fanout = benches("fanout")
if fanout:
    print("| subscribers | sse-core hub | sse-core hub, full cycle | broadcast + axum Event | hub vs broadcast |")
    print("|---|---|---|---|---|")
    for n in ("1000", "10000", "100000"):
        try:
            ours = mean_ns("fanout/sse-core hub", n)
        except FileNotFoundError:
            continue
        cycle = mean_ns("fanout/sse-core hub, with waker re-registration", n)
        theirs = mean_ns("fanout/broadcast + axum Event per receiver", n)
        per_s = lambda t: f"{int(n) / t * 1e3:.1f} M/s ({fmt_time(t)})"
        print(f"| {int(n):,} | {per_s(ours)} | {per_s(cycle)} | {per_s(theirs)} | {theirs / ours:.1f}x |")
    one = root / "fanout" / "sse-core publish+receive, 1 subscriber" / "new" / "estimates.json"
    if one.exists():
        t = json.loads(one.read_text())["mean"]["point_estimate"]
        print(f"\nPublish + receive with one subscriber: {1000 / t * 1e3:.2f} M events/s ({fmt_time(t / 1000)} per event).")
