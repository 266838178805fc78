"""Resilience reports: text (terminal), JSON (version 1, :meth:`ResilienceReport.to_json`)
and HTML with an inline SVG bar chart of the recovery time per cycle (no external assets,
no scripts)."""

from __future__ import annotations

import html
import json

from .loop import ResilienceReport


def _s(v) -> str:
    return "-" if v is None else f"{v:.2f}"


def to_text(rep: ResilienceReport) -> str:
    """A table of cycles, the recovery percentiles, durability notes and the verdict."""
    lines = [f"resilience: stack {rep.stack}, {len(rep.cycles)} cycle(s) via {rep.cycler}"
             f"{' (hard: SIGKILL)' if rep.hard else ''}"]
    for f in rep.setup_failures:
        lines.append(f"  SETUP FAILED  {f}")
    if rep.durability:
        lines.append("durability:")
        for s, d in sorted(rep.durability.items()):
            flag = {True: "durable", False: "NOT durable", None: "unknown"}[d["durable"]]
            lines.append(f"  {s:<9} {flag:<12} {d['note']}")
    if rep.cycles:
        lines.append(f"{'cycle':>5} {'down s':>8} {'up s':>8} {'healthy s':>10} {'ledger s':>9}  result  data")
        for c in rep.cycles:
            data = ", ".join(f"{s}={v['verdict']}" for s, v in sorted(c.data.items()))
            lines.append(f"{c.n:>5} {_s(c.down_s):>8} {_s(c.up_s):>8} {_s(c.time_to_healthy_s):>10} {_s(c.ledger_s):>9}"
                         f"  {'PASS' if c.passed else 'FAIL':<6}  {data}")
            for f in c.failures + c.data_loss:
                lines.append(f"        - {f}")
        r = rep.recovery()
        lines.append(f"recovery (time to healthy): p50 {_s(r['p50_s'])} s, p95 {_s(r['p95_s'])} s, max {_s(r['max_s'])} s"
                     f" ({r['recovered']}/{r['cycles']} recovered)")
    if rep.data_loss:
        lines.append("DATA LOSS: " + "; ".join(rep.data_loss))
    lines.extend(ledger_cleanup_lines(rep))
    lines.append(f"{'PASSED' if rep.passed else 'FAILED'} in {rep.wall_s:.1f} s")
    return "\n".join(lines) + "\n"


def ledger_cleanup_lines(rep: ResilienceReport) -> list[str]:
    """What happened to the ledger entries at the end of the run (no line when none was
    written)."""
    cl = rep.ledger_cleanup
    if not rep.ledger or not cl:
        return []
    if cl.get("kept"):
        return ["ledger: kept (--keep-ledger): " + "; ".join(e.location for e in rep.ledger)]
    lines = [f"ledger: {len(cl['removed'])} of {len(rep.ledger)} entries removed"]
    lines += [f"  LEFT  {x['service']}: {x['location']} ({x['reason']})" for x in cl["left"]]
    return lines


def to_json(rep: ResilienceReport) -> str:
    return json.dumps(rep.to_json(), indent=2) + "\n"


def svg_chart(rep: ResilienceReport, *, width: int = 640, height: int = 240) -> str:
    """An inline SVG bar chart: one bar per cycle (time to healthy, seconds), failed cycles
    red, with the p95 as a dashed line."""
    cycles = rep.cycles
    vals = [c.time_to_healthy_s or 0.0 for c in cycles]
    top = max(vals + [0.001]) * 1.15
    left, bottom, inner_h = 48, 28, height - 44
    bar_w = (width - left - 10) / max(1, len(cycles))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="recovery time per cycle">',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#333"/>',
             f'<line x1="{left}" y1="16" x2="{left}" y2="{height - bottom}" stroke="#333"/>',
             '<text x="4" y="14" font-size="11">seconds</text>',
             f'<text x="{left - 4}" y="{height - bottom}" font-size="10" text-anchor="end">0</text>',
             f'<text x="{left - 4}" y="24" font-size="10" text-anchor="end">{top:.1f}</text>']
    for i, (c, v) in enumerate(zip(cycles, vals)):
        h = inner_h * v / top
        x = left + i * bar_w + 3
        color = "#2e7d32" if c.passed else "#c62828"
        parts.append(f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{max(1.0, bar_w - 6):.1f}" '
                     f'height="{h:.1f}" fill="{color}"><title>cycle {c.n}: {v:.2f} s</title></rect>')
        parts.append(f'<text x="{x + (bar_w - 6) / 2:.1f}" y="{height - bottom + 14}" font-size="10" '
                     f'text-anchor="middle">{c.n}</text>')
    p95 = rep.recovery()["p95_s"]
    if p95:
        y = height - bottom - inner_h * p95 / top
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#555" '
                     f'stroke-dasharray="4 3"/><text x="{width - 12}" y="{y - 3:.1f}" font-size="10" '
                     f'text-anchor="end">p95 {p95:.2f} s</text>')
    parts.append("</svg>")
    return "".join(parts)


def to_html(rep: ResilienceReport) -> str:
    """A standalone HTML page: verdict, recovery percentiles, the chart, the cycle table,
    durability and ledger locations (hashes only)."""
    e = html.escape
    r = rep.recovery()
    rows = []
    for c in rep.cycles:
        data = "<br>".join(f"{e(s)}: {e(v['verdict'])}" for s, v in sorted(c.data.items()))
        notes = "<br>".join(e(x) for x in c.failures + c.data_loss)
        rows.append(f"<tr class='{'ok' if c.passed else 'bad'}'><td>{c.n}</td><td>{_s(c.down_s)}</td><td>{_s(c.up_s)}</td>"
                    f"<td>{_s(c.time_to_healthy_s)}</td><td>{_s(c.ledger_s)}</td><td>{'PASS' if c.passed else 'FAIL'}</td>"
                    f"<td>{data}</td><td>{notes}</td></tr>")
    dur = "".join(f"<tr><td>{e(s)}</td><td>{e(str(d['durable']))}</td><td>{e(d['note'])}</td></tr>"
                  for s, d in sorted(rep.durability.items()))
    led = "".join(f"<tr><td>{e(x.service)}</td><td>{e(x.location)}</td><td><code>{x.sha256[:16]}</code></td></tr>"
                  for x in rep.ledger)
    setup = "".join(f"<li>{e(f)}</li>" for f in rep.setup_failures)
    verdict = "PASSED" if rep.passed else "FAILED"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Resilience {e(rep.stack)}: {verdict}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top}}
tr.bad{{background:#fdecea}}tr.ok{{background:#edf7ed}}.v{{font-size:1.4em;font-weight:bold}}</style></head>
<body><h1>Resilience test: stack {e(rep.stack)}</h1>
<p class="v">{verdict}</p>
<p>{len(rep.cycles)} cycle(s) via {e(rep.cycler)}{' (hard: SIGKILL)' if rep.hard else ''}, {rep.wall_s:.1f} s.
Recovery (time to healthy): p50 {_s(r['p50_s'])} s, p95 {_s(r['p95_s'])} s, max {_s(r['max_s'])} s.</p>
{f'<ul>{setup}</ul>' if setup else ''}
<h2>Recovery time per cycle</h2>
{svg_chart(rep)}
<h2>Cycles</h2>
<table><tr><th>cycle</th><th>down s</th><th>up s</th><th>healthy s</th><th>ledger s</th><th>result</th><th>data</th><th>notes</th></tr>
{''.join(rows)}</table>
<h2>Durability</h2><table><tr><th>service</th><th>durable</th><th>configuration</th></tr>{dur}</table>
<h2>Ledger</h2><table><tr><th>service</th><th>entry</th><th>sha256</th></tr>{led}</table>
{''.join(f'<p>{e(line.strip())}</p>' for line in ledger_cleanup_lines(rep))}
</body></html>
"""


def render(rep: ResilienceReport, fmt: str) -> str:
    """``fmt``: text, json or html. Raises ``ValueError`` otherwise."""
    if fmt == "text":
        return to_text(rep)
    if fmt == "json":
        return to_json(rep)
    if fmt == "html":
        return to_html(rep)
    raise ValueError(f"unknown format {fmt!r}")
