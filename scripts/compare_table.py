#!/usr/bin/env python3
"""Markdown tables (with ratios to each peer) from the load tool's JSON reports.

Usage: python3 scripts/compare_table.py target/compare > target/compare/tables.md
"""
import json
import pathlib
import sys

SERVERS = ["axum", "actix", "rocket", "nchan", "axum-broadcast", "axum-redis", "axum-redis2"]
directory = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/compare")
reports = {}
sustain = {}
for path in (directory / "sustain").glob("*.json"):
    server, _, rate = path.stem.partition("--")
    sustain.setdefault(server, []).append((int(rate), json.loads(path.read_text())))
for path in directory.glob("*.json"):
    server, _, scenario = path.stem.partition("--")
    reports[(server, scenario)] = json.loads(path.read_text())
scenarios = sorted({scenario for _, scenario in reports}, key=lambda s: (s.split("-")[0], len(s), s))


def get(server, scenario, *keys):
    value = reports.get((server, scenario))
    for key in keys:
        if value is None:
            return None
        value = value.get(key)
    return value


def cell(value, fmt):
    return "–" if value is None else fmt.format(value)


def sustained(report, rate):
    """Why a rate was not sustained, or None."""
    reasons = []
    if report["latency"]["p99_ms"] >= 100:
        reasons.append(f"p99 {report['latency']['p99_ms']:.0f} ms")
    if report["gaps"] or report["delivered"] != report["expected"]:
        reasons.append(f"{report['expected'] - report['delivered'] + report['gaps']:,} lost or late")
    if report["achieved_rate"] < 0.95 * rate:
        reasons.append(f"published only {report['achieved_rate']:.0f}/s")
    return ", ".join(reasons) or None


if sustain:
    print("### Highest event rate sustained to 2,000 subscribers (p99 < 100 ms, nothing lost)\n")
    print("| server | sustained ev/s | deliveries/s there | p99 ms there | CPU s per M deliveries there | next rate tried: why it failed |")
    print("|---|---|---|---|---|---|")
    best = {}
    for s in SERVERS:
        runs = sorted(sustain.get(s, []), key=lambda run: run[0])
        if not runs:
            continue
        passed = [(rate, r) for rate, r in runs if sustained(r, rate) is None]
        failed = [(rate, r) for rate, r in runs if sustained(r, rate) is not None]
        top = passed[-1] if passed else None
        best[s] = top
        fail = f"{failed[0][0]}/s: {sustained(failed[0][1], failed[0][0])}" if failed else "none failed"
        if top:
            rate, r = top
            print(f"| {s} | {rate} | {r['deliveries_per_second']:,.0f} | {r['latency']['p99_ms']:.1f} | {r['server']['cpu_seconds_per_million_deliveries']:.2f} | {fail} |")
        else:
            print(f"| {s} | below {runs[0][0]} | – | – | – | {fail} |")
    ours = best.get("axum")
    if ours:
        ratios = [f"{ours[0] / theirs[0]:.1f}x {peer}" for peer, theirs in best.items() if peer != "axum" and theirs]
        print("\nSustained rate, demo-axum vs each: " + ", ".join(ratios) + ".")
    print()

idle = [s for s in scenarios if s.startswith("idle")]
if idle:
    print("### Idle connections: server memory per connection (KiB)\n")
    print("| connections | " + " | ".join(SERVERS) + " |")
    print("|---" * (len(SERVERS) + 1) + "|")
    for scenario in idle:
        row = [cell(get(s, scenario, "server", "rss_per_connection_kib"), "{:.1f}") for s in SERVERS]
        print(f"| {scenario.split('-')[1]} | " + " | ".join(row) + " |")
    print()

fanout = [s for s in scenarios if s.startswith(("fanout", "slow", "reconnect"))]
if fanout:
    print("Ratios above 1 favour demo-axum.\n")
for scenario in fanout:
    print(f"### {scenario}\n")
    print("| server | achieved ev/s | delivered | gaps (missed notices) / dups | deliveries/s | bytes/event | p50 ms | p99 ms | p99.9 ms | CPU s per M deliveries | peak RSS MiB | slow clients: silent gaps / missed notices / complete |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in SERVERS:
        r = reports.get((s, scenario))
        if r is None:
            continue
        slow = r["slow"]
        slow_cell = "–" if slow["count"] == 0 else f"{slow['silent_gaps']} / {slow['missed_notices']} / {slow['complete']} of {slow['count']} ({slow.get('behind_at_end', 0)} behind at end)"
        print(
            f"| {s} | {r['achieved_rate']:.0f} | {r['delivered_ratio']*100:.2f}% | {r['gaps']} ({r.get('missed_notices', '?')}) / {r['duplicates']} | "
            f"{r['deliveries_per_second']:,.0f} | {r['bytes_per_event']:.0f} | {r['latency']['p50_ms']:.1f} | "
            f"{r['latency']['p99_ms']:.1f} | {r['latency']['p999_ms']:.1f} | "
            f"{r['server']['cpu_seconds_per_million_deliveries']:.2f} | {r['server']['rss_peak_kib']/1024:.1f} | {slow_cell} |"
        )
    ours = reports.get(("axum", scenario))
    if ours:
        ratios = []
        for peer in ("nchan", "axum-broadcast"):
            r = reports.get((peer, scenario))
            if r and r["latency"]["p99_ms"] and r["deliveries_per_second"]:
                ratios.append(
                    f"vs {peer}: deliveries/s ours/theirs {ours['deliveries_per_second']/r['deliveries_per_second']:.2f}, "
                    f"p99 theirs/ours {r['latency']['p99_ms']/max(ours['latency']['p99_ms'], 0.001):.2f}, "
                    f"CPU per delivery theirs/ours {r['server']['cpu_seconds_per_million_deliveries']/max(ours['server']['cpu_seconds_per_million_deliveries'], 0.001):.2f}"
                )
        if ratios:
            print("\nRatios (demo-axum): " + "; ".join(ratios) + ".")
    print()
