"""Grouped bar charts as a standalone SVG file, for the plots BENCHMARKS.md shows (no plotting library).

    svg = figure(
        title="HTTP plaintext: server CPU time per request",
        note="median of 5 runs, whiskers min–max",
        series=["coro", "may_minihttp"],
        panels=[
            Panel("no pipelining", "CPU ns/request", groups=["GET"],
                  values={("GET", "coro"): (5100, 4900, 5300), ...}),  # (median, min, max)
            Panel("pipeline 16", ...),
        ],
    )
    Path("plot.svg").write_text(svg)

A figure is a row of panels, each with its own y scale (figures with and without pipelining differ tenfold);
a panel is clusters of bars, one cluster per group and one bar per series (same colour everywhere, named in
the legend). A bar is the median, labelled with its value; a thin whisker spans the smallest to the largest
run. A bar missing from `values` is left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Colour-blind safe (Okabe–Ito); the first series (coro) gets the first.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
PANEL_W, HEIGHT = 380, 400
HEAD = 70  # title, note and legend
LEFT, RIGHT, TOP, BOTTOM = 70, 15, 30, 30  # a panel's margins; TOP holds its title


@dataclass
class Panel:
    title: str
    unit: str
    groups: list[str]
    values: dict[tuple[str, str], tuple[float, float, float]]


def escape(text: str) -> str:
    """Text for an SVG element. (Not xml.sax.saxutils: it imports `http`, which bench/http.py shadows.)"""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def nice_step(top: float, ticks: int = 5) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about `ticks` ticks up to `top`."""
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def label(v: float) -> str:
    return f"{v:,.0f}" if v >= 100 else f"{v:.3g}"


def panel(p: Panel, series: list[str], x_off: float, y_off: float, height: float) -> list[str]:
    top = max((hi for (_, _, hi) in p.values.values()), default=1.0) or 1.0
    step = nice_step(top)
    y_max = step * math.ceil(top / step)
    plot_w, plot_h = PANEL_W - LEFT - RIGHT, height - TOP - BOTTOM
    x_left, y_top = x_off + LEFT, y_off + TOP
    y_base = y_top + plot_h

    def y(v: float) -> float:
        return y_top + plot_h * (1 - v / y_max)

    out = [f'<text x="{x_left + plot_w / 2:.1f}" y="{y_off + 16:.1f}" text-anchor="middle" font-weight="bold">'
           f"{escape(p.title)}</text>"]  # fmt: skip
    tick = 0.0
    while tick <= y_max + step / 2:
        out.append(f'<line x1="{x_left}" x2="{x_left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{x_left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{label(tick)}</text>')
        tick += step
    out.append(
        f'<text transform="translate({x_off + 16} {y_top + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle">'
        f"{escape(p.unit)}</text>"
    )
    out.append(f'<line x1="{x_left}" x2="{x_left}" y1="{y_top}" y2="{y_base}" stroke="#333"/>')
    out.append(f'<line x1="{x_left}" x2="{x_left + plot_w}" y1="{y_base}" y2="{y_base}" stroke="#333"/>')
    group_w = plot_w / max(len(p.groups), 1)
    bar_w = min(group_w * 0.8 / max(len(series), 1), 70)
    for gi, group in enumerate(p.groups):
        out.append(
            f'<text x="{x_left + (gi + 0.5) * group_w:.1f}" y="{y_base + 18:.1f}" text-anchor="middle">'
            f"{escape(group)}</text>"
        )
        for si, name in enumerate(series):
            if (group, name) not in p.values:
                continue
            med, lo, hi = p.values[(group, name)]
            x = x_left + (gi + 0.5) * group_w - bar_w * len(series) / 2 + si * bar_w
            out.append(
                f'<rect x="{x + 2:.1f}" y="{y(med):.1f}" width="{bar_w - 4:.1f}" height="{y_base - y(med):.1f}" '
                f'fill="{PALETTE[si % len(PALETTE)]}"><title>{escape(name)}, {escape(p.title)}, {escape(group)}: '
                f"{label(med)} {escape(p.unit)}</title></rect>"
            )
            cx = x + bar_w / 2
            if hi > lo:
                out.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(hi):.1f}" y2="{y(lo):.1f}" stroke="#222"/>')
                for v in (lo, hi):
                    out.append(
                        f'<line x1="{cx - 4:.1f}" x2="{cx + 4:.1f}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#222"/>'
                    )
            out.append(
                f'<text x="{cx:.1f}" y="{min(y(med), y(hi)) - 4:.1f}" text-anchor="middle" font-size="11">'
                f"{label(med)}</text>"
            )
    return out


def figure(title: str, note: str, series: list[str], panels: list[Panel]) -> str:
    width = PANEL_W * max(len(panels), 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" '
        f'viewBox="0 0 {width} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">{escape(title)}</text>',
        f'<text x="{width / 2}" y="38" text-anchor="middle" fill="#555">{escape(note)}</text>',
    ]
    # The legend, centred under the note.
    widths = [12 + 4 + 7 * len(name) + 16 for name in series]
    lx = (width - sum(widths)) / 2
    for si, name in enumerate(series):
        out.append(f'<rect x="{lx:.1f}" y="48" width="12" height="12" fill="{PALETTE[si % len(PALETTE)]}"/>')
        out.append(f'<text x="{lx + 16:.1f}" y="58">{escape(name)}</text>')
        lx += widths[si]
    for i, p in enumerate(panels):
        out += panel(p, series, i * PANEL_W, HEAD, HEIGHT - HEAD)
    out.append("</svg>")
    return "\n".join(out) + "\n"
