"""Bar charts as plain geometry, drawn as SVG by templates/_charts.html: they show without JavaScript
and print. Values are fen or counts; the chart only scales them."""
from dataclasses import dataclass, field

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 240, 8, 36, 12


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    series: int  # 0, 1, …: the CSS class chart-s0, chart-s1 …
    title: str  # shown on hover and read by screen readers


@dataclass
class Chart:
    title: str
    legend: list[str]
    labels: list[tuple[float, str]] = field(default_factory=list)  # (x of the label's centre, text)
    bars: list[Bar] = field(default_factory=list)
    top_label: str = ""
    width: int = WIDTH
    height: int = HEIGHT


def bar_chart(title: str, legend: list[str], groups: list[tuple[str, list[int]]], fmt=str) -> Chart:
    """Lay out grouped bars: one group per label, one bar per series, scaled to the largest value."""
    chart = Chart(title, legend)
    if not groups:
        return chart
    series = max(len(values) for _, values in groups)
    top = max([v for _, values in groups for v in values] + [1])
    chart.top_label = fmt(top)
    slot = (WIDTH - LEFT) / len(groups)
    bar_w = min(40.0, max(2.0, slot * 0.8 / series))
    plot_h = HEIGHT - BOTTOM - TOP
    for i, (label, values) in enumerate(groups):
        x0 = LEFT + i * slot + (slot - bar_w * series) / 2
        for s, value in enumerate(values):
            h = max(0.0, plot_h * value / top)
            chart.bars.append(Bar(round(x0 + s * bar_w, 1), round(TOP + plot_h - h, 1), round(bar_w - 1, 1),
                                  round(h, 1), s, f"{label} · {legend[s] if s < len(legend) else ''}: {fmt(value)}"))
        chart.labels.append((round(x0 + series * bar_w / 2, 1), label))
    return chart


@dataclass(frozen=True)
class HBar:
    label: str
    value_text: str
    width: float  # 0 to 100: the bar's length against the longest
    note: str = ""  # shown under the label (a county, a household count …)


@dataclass
class HBarChart:
    """Horizontal bars, one labelled row each: for long lists of names (villages, products) that a column
    chart could not label. The labels are HTML text, so they stay readable on a phone."""

    title: str
    rows: list[HBar] = field(default_factory=list)


def hbar_chart(title: str, rows: list[tuple[str, int, str]], fmt=str) -> HBarChart:
    """Lay out one bar per (label, value, note), scaled to the largest value (negative values draw nothing)."""
    top = max([value for _, value, _ in rows] + [1])
    return HBarChart(title, [HBar(label, fmt(value), round(max(0.0, 100 * value / top), 1), note)
                             for label, value, note in rows])
