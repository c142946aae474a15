# Copyright: Contributors to the payments.region_migration project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Renders the migration report model (``_report.build`` plus the lag history) with matplotlib.

Private to this collection; used by the migration_report module. One matplotlib figure holds every
chart (weights per region, replication lag against its threshold, gate verdicts as sampled, payments
per phase); it is written once as SVG, inlined into a self-contained HTML page (no script, no
external file), and once as PNG. matplotlib renders both without a browser (Agg and SVG backends).
The output is deterministic for the same model: fixed SVG ids and no creation date in either file.
"""

from __future__ import annotations

import html
import io
from datetime import UTC, datetime
from typing import Any

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    HAS_MATPLOTLIB = True
    MATPLOTLIB_IMPORT_ERROR = None
except ImportError as _e:  # the module reports missing_required_lib("matplotlib")
    HAS_MATPLOTLIB = False
    MATPLOTLIB_IMPORT_ERROR = _e

COLORS = {"source": "#1f77b4", "target": "#ff7f0e", "pass": "#2ca02c", "fail": "#d62728",
          "rollback": "#d62728", "switchover": "#9467bd", "bake": "#2ca02c", "threshold": "#d62728"}
REASON_CHARS = 90
COUNTS = ("attempted", "committed", "failed", "duplicates", "lost")


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(float(epoch), UTC)


def _iso_dt(text: str) -> datetime:
    value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _short(text: Any, limit: int = REASON_CHARS) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _shares(rollback: dict[str, Any]) -> str:
    """' (eu-west-1 100 -> 75 %)': the target's share before and after a rollback, when known."""
    before, after = rollback.get("from_percent"), rollback.get("to_percent")
    if before is None or after is None:
        return ""
    return f" ({before:g} \u2192 {after:g} %)"


def _mark_events(ax, model: dict[str, Any], label: bool) -> None:
    """Bakes as shaded spans, rollbacks and writer switchovers as vertical lines, on one time axis."""
    end_default = model.get("end_epoch") or model.get("last_epoch")
    for bake in model["bakes"]:
        end = bake["end"] or end_default or bake["start"]
        color = COLORS["bake"] if bake["outcome"] == "completed" else COLORS["rollback"]
        ax.axvspan(_dt(bake["start"]), _dt(max(end, bake["start"] + 0.5)), color=color, alpha=0.12, lw=0)
    for index, rollback in enumerate(model["rollbacks"]):
        ax.axvline(_dt(rollback["epoch"]), color=COLORS["rollback"], ls="--", lw=1.4)
        if label:
            text = f"ROLLBACK to phase {rollback['to_phase']}{_shares(rollback)}: {_short(rollback['reason'], 60)}"
            ax.annotate(text,
                        xy=(_dt(rollback["epoch"]), 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, -12 - 11 * (index % 3)), textcoords="offset points",
                        fontsize=7, color=COLORS["rollback"], ha="left", va="top")
    for switch in model["switchovers"]:
        ax.axvline(_dt(switch["epoch"]), color=COLORS["switchover"], ls="-", lw=1.6)
        if label:
            ax.annotate(f"writer {switch['from_region']}\u2192{switch['to_region']}",
                        xy=(_dt(switch["epoch"]), 0.5), xycoords=("data", "axes fraction"),
                        xytext=(3, 0), textcoords="offset points", fontsize=8, color=COLORS["switchover"],
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": COLORS["switchover"], "lw": 0.6})


def figure(model: dict[str, Any]):
    """The matplotlib figure of the report: four panels, each with a fixed SVG id (gid)."""
    source, target = model["source_region"], model["target_region"]
    fig = plt.figure(figsize=(12, 11), dpi=100)
    grid = fig.add_gridspec(4, 1, height_ratios=[3, 3, 1.6, 3], hspace=0.45, top=0.94)
    ax_w = fig.add_subplot(grid[0])
    ax_l = fig.add_subplot(grid[1], sharex=ax_w)
    ax_g = fig.add_subplot(grid[2], sharex=ax_w)
    ax_p = fig.add_subplot(grid[3])
    end = model.get("end_epoch") or model.get("last_epoch")

    # weights per region
    ax_w.set_gid("chart-weights")
    for region, key in ((source, "source"), (target, "target")):
        points = list(model["weights"].get(region) or [])
        if points and end and end > points[-1][0]:
            points.append((end, points[-1][1]))
        if points:
            ax_w.step([_dt(t) for t, _value in points], [v for _time, v in points], where="post",
                      color=COLORS[key], lw=2, label=f"{region} weight")
    ax_w.set_ylim(-5, 115)
    ax_w.set_ylabel("weight (%)")
    ax_w.set_title("Route 53 weights per region; bakes shaded, rollbacks dashed red, writer switchover purple",
                   fontsize=9, loc="left")
    _mark_events(ax_w, model, label=True)

    # lag against its threshold
    ax_l.set_gid("chart-lag")
    for series in model.get("lag") or []:
        points = series.get("samples") or []
        if points:
            ax_l.plot([_iso_dt(p["timestamp"]) for p in points], [p["value"] for p in points], lw=1.3,
                      marker=".", ms=3, label=f"{series['metric_name']} {series['cluster']} ({series['region']})")
    sampled = [s for s in model["gate_samples"] if s.get("lag_ms") is not None]
    if sampled:
        ax_l.scatter([_iso_dt(s["time"]) for s in sampled], [s["lag_ms"] for s in sampled], s=14,
                     c=[COLORS["pass"] if s["healthy"] else COLORS["fail"] for s in sampled], zorder=3,
                     label="lag read by the gate")
    threshold = model.get("lag_threshold_ms")
    if threshold is not None:
        ax_l.axhline(float(threshold), color=COLORS["threshold"], ls=":", lw=1.5, label=f"threshold {threshold:g} ms")
    if not (model.get("lag") or sampled):
        ax_l.text(0.5, 0.5, "no lag datapoints in CloudWatch for this period", transform=ax_l.transAxes,
                  ha="center", va="center", fontsize=9, color="#666")
    ax_l.set_ylabel("replication lag (ms)")
    ax_l.set_title("Aurora replication lag (CloudWatch) against the gate threshold", fontsize=9, loc="left")
    _mark_events(ax_l, model, label=False)

    # gate verdicts as sampled
    ax_g.set_gid("chart-gates")
    modes = ["wait", "hold", "once"]
    for healthy, marker in ((True, "o"), (False, "X")):
        chosen = [s for s in model["gate_samples"] if s["healthy"] is healthy]
        if chosen:
            ax_g.scatter([_iso_dt(s["time"]) for s in chosen],
                         [modes.index(s["mode"]) if s["mode"] in modes else 2 for s in chosen],
                         marker=marker, s=30 if healthy else 60, c=COLORS["pass" if healthy else "fail"],
                         label="pass" if healthy else "FAIL", zorder=3)
    ax_g.set_yticks(range(len(modes)), [f"gate {m}" for m in modes])
    ax_g.set_ylim(-0.6, len(modes) - 0.4)
    ax_g.set_title("Gate verdicts as sampled (wait before a shift, hold = the bake, once)", fontsize=9, loc="left")
    _mark_events(ax_g, model, label=False)
    for ax in (ax_w, ax_l, ax_g):
        ax.grid(True, alpha=0.3)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="upper left" if ax is not ax_w else "center left")
    ax_g.set_xlabel("time (UTC)")

    # payments per phase
    ax_p.set_gid("chart-payments")
    rows = model["phases"]
    if model.get("reconciliation"):
        width = 0.27
        xs = list(range(len(rows)))
        for offset, name, color in ((-width, "committed", COLORS["pass"]), (0, "failed", "#ff7f0e"),
                                    (width, "lost", COLORS["fail"])):
            values = [(r["payments"] or {}).get(name, 0) for r in rows]
            bars = ax_p.bar([x + offset for x in xs], [max(v, 0) for v in values], width, color=color, label=name)
            ax_p.bar_label(bars, labels=[str(v) for v in values], fontsize=7, padding=1)
        ax_p.set_xticks(xs, [f"phase {r['phase']}\n{r['target_percent']:g} % to {target}" for r in rows], fontsize=8)
        ax_p.set_yscale("symlog", linthresh=10)
        ax_p.set_ylim(0, max([10] + [(r["payments"] or {}).get("committed", 0) for r in rows]) * 6)
        ax_p.set_ylabel("payments")
        ax_p.legend(fontsize=7, loc="upper right")
        ax_p.set_title("Payments per phase: committed, failed, lost (payment reconciliation)", fontsize=9, loc="left")
    else:
        ax_p.set_axis_off()
        ax_p.text(0.5, 0.5, "Payments per phase: no payment reconciliation for this environment",
                  transform=ax_p.transAxes, ha="center", va="center", fontsize=10, color="#666")
    fig.suptitle(f"Region migration {model.get('environment') or ''}: {source} \u2192 {target}", fontsize=12)
    return fig


def render_images(model: dict[str, Any]) -> tuple[str, bytes]:
    """(SVG text, PNG bytes) of the report's figure."""
    with matplotlib.rc_context({"svg.hashsalt": "migration-report", "svg.fonttype": "path"}):
        fig = figure(model)
        try:
            svg = io.StringIO()
            fig.savefig(svg, format="svg", metadata={"Date": None}, bbox_inches="tight")
            png = io.BytesIO()
            fig.savefig(png, format="png", metadata={"Software": None}, bbox_inches="tight")
        finally:
            plt.close(fig)
    text = svg.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text, png.getvalue()


def _when(epoch: float | None) -> str:
    return _dt(epoch).strftime("%Y-%m-%d %H:%M:%S UTC") if epoch else "-"


def _num(value: Any) -> str:
    return "-" if value is None else html.escape(f"{value:g}" if isinstance(value, float) else str(value))


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em;color:#222;max-width:1250px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.9em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f2f2f2}td.num{text-align:right}tr.lost td.lost{background:#f8d7da;font-weight:bold}
.rollback{color:#b00020}tr.rollback{background:#fdecee}.ok{color:#2b7a2b}.absent{color:#666;font-style:italic}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dl.summary dt{font-weight:bold}
figure{margin:0}figure svg{max-width:100%;height:auto}
"""


def render_html(model: dict[str, Any], svg: str) -> str:
    """The self-contained page: summary, the charts (inline SVG), the phase table, rollbacks, switchovers."""
    esc = html.escape
    source, target = model["source_region"], model["target_region"]
    out: list[str] = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                      f"<title>Migration report {esc(str(model.get('environment') or ''))}</title>",
                      f"<style>{CSS}</style></head><body>",
                      f'<h1 id="title">Region migration report: {esc(str(model.get("environment") or ""))} '
                      f"({esc(source)} \u2192 {esc(target)})</h1>"]
    weights = model.get("current_weights") or {}
    last = model.get("last_rollback")
    out.append('<dl class="summary" id="summary">')
    for term, value in (
        ("audit log", f"{model['events']} records, "
                      f"{_when(model.get('first_epoch'))} to {_when(model.get('last_epoch'))}"),
        ("current weights", ", ".join(f"{k} = {v}" for k, v in sorted(weights.items())) or "unknown"),
        ("current phase", "-" if model.get("current_phase") is None else str(model["current_phase"])),
        ("aurora writer", model.get("writer_region") or "unknown (no writer recorded)"),
        ("rollbacks", str(len(model["rollbacks"]))),
        ("last rollback", f"to phase {last['to_phase']}{_shares(last)} at {_when(last['epoch'])}: {last['reason']}"
         if last else "none"),
        ("lag source", model.get("lag_note") or "CloudWatch"),
    ):
        out.append(f"<dt>{esc(term)}</dt><dd>{esc(str(value))}</dd>")
    out.append("</dl>")
    out.append('<h2>Timeline</h2><figure id="charts">' + svg + "</figure>")

    out.append('<h2>Per phase</h2><table id="phases"><thead><tr><th>phase</th><th>weights</th><th>writer</th>'
               "<th>bakes (completed)</th><th>gate samples (failed)</th><th>payments committed</th>"
               "<th>failed</th><th>lost</th></tr></thead><tbody>")
    for row in model["phases"]:
        pay = row["payments"]
        lost = (pay or {}).get("lost") or 0
        cls = "phase-row lost" if lost else "phase-row"
        weights_text = ", ".join(f"{k} {v:g}" for k, v in row["weights"].items())
        out.append(
            f'<tr class="{cls}" data-phase="{row["phase"]}"><td>{row["phase"]}</td><td>{esc(weights_text)}</td>'
            f"<td>{esc(row['writer'])}</td><td class=num>{row['bakes']} ({row['bakes_completed']})</td>"
            f"<td class=num>{row['gate_samples']} ({row['gate_failures']})</td>"
            + ("".join(f'<td class="num {name}">{_num(pay.get(name))}</td>' for name in ("committed", "failed", "lost"))
               if pay is not None else '<td colspan="3" class="absent">not reconciled</td>')
            + "</tr>")
    out.append("</tbody></table>")
    recon = model.get("reconciliation")
    if recon:
        totals = recon.get("totals") or {}
        out.append('<p id="payments">Payment reconciliation'
                   f"{' (workload still running)' if recon.get('running') else ''}: "
                   + esc(", ".join(f"{k} {totals.get(k)}" for k in COUNTS if k in totals))
                   + (" &mdash; <span class='ok'>OK</span>" if recon.get("ok") else
                      (" &mdash; <span class='rollback'>NOT OK</span>" if recon.get("ok") is False else "")) + "</p>")
    else:
        out.append('<p id="payments" class="absent">Payment reconciliation: not available for this environment '
                   "(no reconciliation source, as on real AWS): the payment columns and chart are empty "
                   "on purpose.</p>")

    out.append('<h2>Rollbacks</h2>')
    if model["rollbacks"]:
        out.append('<table id="rollbacks"><thead><tr><th>time</th><th>to phase</th>'
                   f"<th>{esc(target)} share</th><th>reason</th><th>run</th></tr></thead><tbody>")
        for rb in model["rollbacks"]:
            share = f"{_num(rb.get('from_percent'))} \u2192 {_num(rb.get('to_percent'))} %"
            out.append(f'<tr class="rollback"><td>{_when(rb["epoch"])}</td><td>{_num(rb["to_phase"])}</td>'
                       f'<td>{share}</td><td class="reason">{esc(str(rb["reason"]))}</td>'
                       f'<td>{esc(str(rb.get("run_id") or ""))}</td></tr>')
        out.append("</tbody></table>")
    else:
        out.append('<p id="rollbacks" class="absent">none</p>')

    out.append("<h2>Writer switchovers</h2>")
    if model["switchovers"]:
        out.append('<table id="switchovers"><thead><tr><th>time</th><th>from</th><th>to</th><th>phase</th>'
                   "<th>record</th></tr></thead><tbody>")
        for sw in model["switchovers"]:
            out.append(f'<tr class="switchover"><td>{_when(sw["epoch"])}</td><td>{esc(str(sw["from_region"]))}</td>'
                       f'<td>{esc(str(sw["to_region"]))}</td><td>{_num(sw["phase"])}</td><td>{esc(str(sw["event"]))}</td></tr>')
        out.append("</tbody></table>")
    else:
        out.append('<p id="switchovers" class="absent">none</p>')

    out.append("<h2>Runs</h2>")
    if model["runs"]:
        out.append('<table id="runs"><thead><tr><th>time</th><th>action</th><th>result</th><th>phases</th>'
                   "<th>seconds</th><th>reason</th></tr></thead><tbody>")
        for run in model["runs"]:
            out.append(f"<tr><td>{_when(run['epoch'])}</td><td>{esc(str(run['action']))}</td>"
                       f"<td>{esc(str(run['result']))}</td>"
                       f"<td>{_num(run['from_phase'])} \u2192 {_num(run['to_phase'])}</td>"
                       f"<td class=num>{_num(run['duration_seconds'])}</td>"
                       f"<td>{esc(str(run['reason'] or ''))}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append('<p id="runs" class="absent">none</p>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"
