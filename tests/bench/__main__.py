"""Every benchmark in one run (``make bench``): cold start, warm CPU and I/O per journey step,
cost per million updates, idle cost per month, layer sizes, load; printed, and written to docs/PERFORMANCE.md.

Each part prints figures and compares them with its target; nothing is asserted (timings vary
with the machine). ``--smoke`` runs everything tiny (a few seconds each), for the test suite.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import sys
import time
from pathlib import Path

from tests.bench import admin_lists, broadcast, coldstart, cost, idle, journey, layers, load, pacing

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs" / "PERFORMANCE.md"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="cold starts per handler")
    parser.add_argument("--rounds", type=int, default=15, help="users through the journey")
    parser.add_argument("--users", type=int, default=200, help="simulated users of the load run")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of the load run")
    parser.add_argument("--burst", type=int, default=100, help="messages of the burst to one group")
    parser.add_argument(
        "--recipients", type=int, default=2000, help="users a broadcast reaches on the local stack"
    )
    parser.add_argument(
        "--messages",
        type=int,
        nargs="+",
        default=list(admin_lists.SIZES),
        help="stored messages at which the admin lists are read",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds per part")
    args = parser.parse_args(argv)
    if args.smoke:
        args.runs, args.rounds, args.users, args.duration, args.burst = 1, 1, 3, 3.0, 5
        args.recipients = 10
        args.messages = [100, 300]
    command = (
        "make bench"
        if argv is None and not args.smoke
        else "python -m tests.bench " + " ".join(argv or sys.argv[1:])
    )
    started = time.monotonic()
    parts = {}
    for name, run in (
        ("cold", lambda: coldstart.report(args.runs)),
        ("journey", lambda: journey.report(args.rounds)),
        ("layers", lambda: layers.report()),
        ("idle", lambda: idle.report()),
        ("load", lambda: load.report(args.users, args.duration)),
        ("pacing", lambda: pacing.report(args.burst)),
        ("broadcast", lambda: broadcast.report(args.recipients)),
        ("admin", lambda: admin_lists.report(tuple(args.messages))),
    ):
        parts[name] = run()
        print(parts[name]["text"], end="\n\n", flush=True)
    parts["cost"] = cost.report(parts["journey"]["steps"], parts["cold"]["figures"]["product"]["total_ms"])
    print(parts["cost"]["text"])
    args.output.write_text(render(parts, command, time.monotonic() - started), encoding="utf-8")
    print(f"\nwritten to {args.output}")


def mark(met: bool) -> str:
    return "met" if met else "**not met**"


def render(parts: dict, command: str, seconds: float) -> str:
    from tests.bench.docs_text import FINDINGS, HOW

    cold, warm, size, load_, money, paced = (
        parts[k] for k in ("cold", "journey", "layers", "load", "cost", "pacing")
    )
    burst = paced["burst"]
    sent = parts["broadcast"]["figures"]
    us = money["regions"]["us-east-1"]
    eu = money["regions"]["eu-central-1"]
    lost = load_["lost_in"] + load_["lost_out"]
    errors = (
        sum(n for s, n in load_["statuses"].items() if s != 200) + load_["timeouts"] + len(load_["errors"])
    )
    summary = [
        "| Target | Figure | Status |",
        "|---|---|---|",
        f"| Webhook cold start ≤ {coldstart.TARGET_RATIO}× baseline | {cold['ratio']:.2f}× ({cold['figures']['product']['total_ms']:.0f} vs"
        f" {cold['figures']['baseline']['total_ms']:.0f} ms; without bytecode on either side {cold['bare_ratio']:.2f}×)"
        f" | {mark(cold['ratio'] <= coldstart.TARGET_RATIO)} |",
        f"| boto3 not imported on the webhook path | {'absent' if cold['boto3_absent'] else 'present'} |"
        f" {mark(cold['boto3_absent'])} |",
        f"| Warm CPU per update ≤ {journey.TARGET_RATIO}× baseline, no step above {journey.TARGET_WORST_STEP}× |"
        f" whole journey {warm['ratio']:.2f}×, worst step {warm['worst']:.2f}×, without the support steps"
        f" {warm['without_support']:.2f}× |"
        f" {mark(warm['ratio'] <= journey.TARGET_RATIO and warm['worst'] <= journey.TARGET_WORST_STEP)} |",
        f"| Cost of the mix ≤ {cost.TARGET_RATIO}× the bare handler's | us-east-1 ${us['total']:.2f}"
        f" ({us['ratio']:.2f}×), eu-central-1 ${eu['total']:.2f} ({eu['ratio']:.2f}×) per million updates, X-Ray"
        f" not included | {mark(max(us['ratio'], eu['ratio']) <= cost.TARGET_RATIO)} |",
        f"| Idle deployment < ${idle.TARGET:.2f} a month | ${parts['idle']['total']:.2f} always on (alarms"
        f" ${parts['idle']['alarms']:.2f} and the optional dashboard ${parts['idle']['dashboard']:.2f} apart) |"
        f" {mark(parts['idle']['met'])} |",
        f"| Load: no errors, no lost messages | {errors} errors, {lost} lost of {load_['checked']} |"
        f" {mark(errors == 0 and lost == 0)} |",
        f"| Burst of {burst['messages']} to one group: no faster than 20/min, no 429, no attempt used up |"
        f" {burst['seconds']:.0f} s (≥ {paced['minimum']:.0f} s), {burst['refused_429']} × 429,"
        f" {burst['dead_lettered']} dead-lettered, {burst['attempts_over_one']} extra attempts |"
        f" {mark(paced['passed'] and burst['refused_429'] == 0 and burst['seconds'] >= paced['minimum'])} |",
        f"| Telegram desk: {paced['desk']['figures']['customers']} customers at once, a topic each: 0 lost, 0 dead-lettered,"
        f" no 429, drained no faster than 20/min and within {pacing.SLACK:.0f} s of the pacer's pace |"
        f" {paced['desk']['figures']['seconds']:.0f} s for {paced['desk']['figures']['posts']} posts"
        f" (≥ {paced['desk']['figures']['minimum']:.0f} s, ≤ {paced['desk']['target']:.0f} s),"
        f" {paced['desk']['figures']['lost']} lost, {paced['desk']['figures']['dead_lettered']} dead-lettered,"
        f" {paced['desk']['figures']['refused_429']} × 429 | {mark(paced['desk']['met'])} |",
        f"| Broadcast to {sent['recipients']} on the local stack: ≥ 90 % of the 25/s allowed, 0 lost, 0 duplicates |"
        f" {sent['rate']:.1f}/s ({sent['share']:.0%}), {sent['lost']} lost, {sent['duplicates']} duplicates,"
        f" {sent['refused_429']} × 429 | {mark(sent['share'] >= 0.9 and sent['lost'] == 0 and sent['duplicates'] == 0)} |",
        f"| Admin lists read a page, not the table, and never Scan | {parts['admin']['scans']} Scans; at most a"
        f" page's worth of items read at {max(parts['admin']['figures']):,} messages | {mark(parts['admin']['flat'] and parts['admin']['scans'] == 0)} |",
    ]
    return "\n".join(
        [
            "# Performance and cost",
            "",
            f"Last run: {datetime.date.today().isoformat()}, `{command}` ({seconds:.0f} s) on"
            f" {platform.machine()}, Python {platform.python_version()}. Generated by `tests/bench/__main__.py`:"
            " edit that (and `tests/bench/docs_text.py`), not this file.",
            "",
            "## Targets",
            "",
            *summary,
            "",
            HOW,
            "",
            "## Cold start",
            "",
            "```",
            cold["text"],
            "```",
            "",
            "## Warm CPU and I/O per journey step",
            "",
            "```",
            warm["text"],
            "```",
            "",
            "## Cost per million updates",
            "",
            "```",
            money["text"],
            "```",
            "",
            "## Idle cost",
            "",
            "```",
            parts["idle"]["text"],
            "```",
            "",
            "## Layer sizes (for information)",
            "",
            "```",
            size["text"],
            "```",
            "",
            "## Load",
            "",
            "```",
            load_["text"],
            "```",
            "",
            "## Pacing: a burst to one group",
            "",
            "```",
            paced["text"],
            "```",
            "",
            "## Broadcast",
            "",
            "```",
            parts["broadcast"]["text"],
            "```",
            "",
            "## Admin lists",
            "",
            "```",
            parts["admin"]["text"],
            "```",
            "",
            FINDINGS,
        ]
    )


if __name__ == "__main__":
    main()
