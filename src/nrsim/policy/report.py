"""Offline HTML pages of policy studies: ``policy_report.html`` in every ``nrsim policy``
result folder, and the page of ``nrsim compare`` of two policy results (docs/policy.md).

Each page is one self-contained file that works offline and makes no request: no script
at all, the figures are PNG ``data:`` URIs, the style is one inline ``<style>`` element, and a
Content-Security-Policy (:data:`PAGE_CSP`) forbids every other source. Every piece of text
that comes from a policy, a site list or a result (names, site ids, regions, rules) is
HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

PAGE_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'none'; "
            "connect-src 'none'; base-uri 'none'; form-action 'none'")
"""The pages' Content-Security-Policy: images only from ``data:`` URIs, inline style, no
script, no connection, no ``<base>``, no form target."""

MAX_TABLE_ROWS = 5_000
"""Rows shown per table (a longer table says how many were left out; the Parquet files
have them all)."""

_STYLE = """body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1100px;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}th{background:#f3f3f3}
td.t,th.t{text-align:left}img{max-width:100%;border:1px solid #eee}
.sub{color:#666;font-size:.85em}.warn{color:#a00;font-weight:bold}
.maps{display:flex;flex-wrap:wrap;gap:8px}.maps figure{margin:0;max-width:48%}"""

Cell = Callable[[Any], str]


def esc(value: Any) -> str:
    """Any value as escaped HTML text (quotes too)."""
    return html.escape(str(value), quote=True)


def png_img(data: bytes, alt: str) -> str:
    """An ``<img>`` element with the PNG bytes as a ``data:`` URI."""
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode("ascii")}">'


def fmt_share(v: Any) -> str:
    return "" if _missing(v) else f"{float(v) * 100:.2f} %"


def fmt_mbps(v: Any) -> str:
    return "" if _missing(v) else f"{float(v) / 1e6:.3f}"


def fmt_num(v: Any) -> str:
    if _missing(v):
        return ""
    f = float(v)
    return f"{int(f):,}" if f.is_integer() and abs(f) < 1e15 else f"{f:,.4g}"


def fmt_date(v: Any) -> str:
    return "" if _missing(v) else pd.Timestamp(v).date().isoformat()


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def table_html(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str, Cell | None]]) -> str:
    """An HTML table of ``rows`` with ``columns`` (key, header, formatter or None for text);
    at most :data:`MAX_TABLE_ROWS` rows."""
    head = "".join(f'<th class="{"t" if f is None else "n"}">{esc(h)}</th>' for _, h, f in columns)
    body = []
    for r in list(rows)[:MAX_TABLE_ROWS]:
        cells = []
        for key, _, f in columns:
            v = r.get(key)
            cells.append(f'<td class="t">{esc("" if v is None else v)}</td>' if f is None else f"<td>{esc(f(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = len(rows) - MAX_TABLE_ROWS
    note = f'<p class="sub">{more:,} more rows in the Parquet file.</p>' if more > 0 else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}"


def page_html(title: str, subtitle: str, sections: Sequence[tuple[str, str]]) -> str:
    """The page: ``title`` and ``subtitle`` (plain text, escaped here), then each section
    (heading text, HTML body already escaped by its builder)."""
    parts = [f"<section><h2>{esc(h)}</h2>{body}</section>" for h, body in sections]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{esc(PAGE_CSP)}\">\n"
            "<meta name=\"referrer\" content=\"no-referrer\">\n"
            f"<title>{esc(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
            f"<h1>{esc(title)}</h1><p class=\"sub\">{esc(subtitle)}</p>\n" + "\n".join(parts) + "\n</body></html>\n")


KPI_LABELS = {
    "coverage_user_share": ("users covered", fmt_share),
    "coverage_area_share": ("area covered", fmt_share),
    "throughput_median_bps": ("median user throughput [Mbit/s]", fmt_mbps),
    "throughput_p5_bps": ("5th-percentile user throughput [Mbit/s]", fmt_mbps),
    "video_satisfied_share": ("video calls satisfied (snapshot proxy)", fmt_share),
    "video_call_satisfied_share": ("video calls satisfied (slot run)", fmt_share),
}
"""Label and formatter of each headline KPI (the keys of ``summary.json``'s ``worst_month``)."""

STAGE_COLUMNS: tuple[tuple[str, str, Cell | None], ...] = (
    ("date", "date", fmt_date), ("swaps", "swaps", fmt_num), ("sites_on_air", "sites on air", fmt_num),
    ("restricted_cell_share", "restricted cells", fmt_share),
    ("coverage_user_share", "users covered", fmt_share), ("coverage_area_share", "area covered", fmt_share),
    ("throughput_median_bps", "median [Mbit/s]", fmt_mbps), ("throughput_p5_bps", "5 % [Mbit/s]", fmt_mbps),
    ("video_satisfied_share", "video satisfied (proxy)", fmt_share),
    ("video_call_satisfied_share", "video satisfied (slots)", fmt_share),
    ("inter_vendor_relations", "inter-vendor relations", fmt_num),
    ("inter_vendor_border_user_share", "users at a vendor border", fmt_share),
    ("inter_vendor_interruption_ms_per_user", "extra interruption [ms/user]", fmt_num),
)


def provenance_line(summary: dict[str, Any]) -> str:
    p = summary.get("provenance", {})
    return f"nrsim {p.get('nrsim_version')} | config {p.get('config_hash')} | seed {p.get('seed')}"


def policy_report_html(folder: Path, summary: dict[str, Any], stages: pd.DataFrame, plan: pd.DataFrame,
                       cost: pd.DataFrame) -> str:
    """The page of one policy study: summary and rules, the timeline (``timeline.png``), the
    vendor-share maps (``summary["files"]["vendor_maps"]``), worst month and mean loss of each
    KPI, and the stage, plan and cost tables. ``folder`` holds the PNG files."""
    s = summary
    cur = s["cost"]["currency"]
    intro = (f"<p>Policy <b>{esc(s['policy'])}</b> on scenario <b>{esc(s['scenario'])}</b>, "
             f"{esc(s['strategy'])} order; plan {esc(s['start'])} to {esc(s['end'])} ({s['n_months']} months, "
             f"{s['n_stages_simulated']} stages simulated, {s['drops_per_stage']} drops each). "
             f"{s['swaps']} swaps (last in {esc(s['last_swap'])}), {s['new_sites_replaced']} new sites built with "
             f"the replacement vendor; cost {esc(fmt_num(s['cost']['total']))} {esc(cur)}.</p>")
    if s.get("illustrative"):
        intro += '<p class="warn">ILLUSTRATIVE policy: not a government\'s rule.</p>'
    rules = table_html(s["rules"], [("field", "rule field", None), ("rule", "rule", None), ("date", "in force", None),
                                    ("region", "region", None)])
    worst = [{"kpi": KPI_LABELS[k][0], "baseline": w["baseline"], "worst": w["value"], "date": w["date"],
              "loss": s["mean_loss_vs_baseline"][k], "f": KPI_LABELS[k][1]} for k, w in s["worst_month"].items()
             if k in KPI_LABELS]
    worst_rows = "".join(f"<tr><td class=\"t\">{esc(r['kpi'])}</td><td>{esc(r['f'](r['baseline']))}</td>"
                         f"<td>{esc(r['f'](r['worst']))}</td><td>{esc(r['date'])}</td>"
                         f"<td>{esc(r['f'](r['loss']))}</td></tr>" for r in worst)
    iv = s["inter_vendor_relations"]
    worst_html = ("<table><thead><tr><th class=\"t\">KPI</th><th>baseline</th><th>worst month</th><th>date</th>"
                  f"<th>mean loss</th></tr></thead><tbody>{worst_rows}</tbody></table>"
                  f"<p>Inter-vendor neighbour relations: baseline {iv['baseline']}, max {iv['max']}, mean "
                  f"{iv['mean']:.1f}, last {iv['last']}.</p>")
    sections = [("Summary", intro), ("Rules", rules), ("Worst month and mean loss against the baseline", worst_html)]
    files = s.get("files", {})
    timeline = folder / files.get("timeline", "timeline.png")
    if timeline.is_file():
        sections.append(("Timeline", png_img(timeline.read_bytes(), "KPI timeline with the rule dates")))
    maps = [m for m in files.get("vendor_maps", []) if (folder / m).is_file()]
    if maps:
        figs = "".join(f"<figure>{png_img((folder / m).read_bytes(), m)}<figcaption>{esc(m)}</figcaption></figure>"
                       for m in maps)
        sections.append(("Vendor share maps", f'<div class="maps">{figs}</div>'))
    st = stages.to_dict("records")
    cols = [c for c in STAGE_COLUMNS if c[0] in stages.columns]
    sections.append(("Stages (the first row is the baseline)", table_html(st, cols)))
    sections.append(("Plan", table_html(plan.to_dict("records"), [
        ("month", "month", fmt_date), ("site_id", "site", None), ("action", "action", None),
        ("from_vendor", "from", None), ("to_vendor", "to", None), ("region", "region", None)])))
    sections.append((f"Cost [{cur}]", table_html(cost.to_dict("records"), [
        ("month", "month", fmt_date), ("swaps", "swaps", fmt_num), ("new_sites", "new sites", fmt_num),
        ("site_days_off_air", "site-days off air", fmt_num), ("total_cost", "cost", fmt_num),
        ("cumulative_cost", "cumulative", fmt_num)])))
    title = f"nrsim policy: {s['policy']} on {s['scenario']} ({s['strategy']} order)"
    return page_html(title, provenance_line(s), sections)
