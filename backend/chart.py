"""A line chart as inline SVG: no script, no CDN, readable offline and by tests."""
from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40


def line_chart(series, x_label, y_label, y_range=(0.0, 1.0)):
    """SVG of one or more lines over a shared x axis.

    Args:
        series: ``{name: [(x, y), ...]}``; each line is drawn in x order with a
            dot (a ``<circle>`` whose ``<title>`` names the point) per point; an
            empty one is left out.
        x_label, y_label: axis captions.
        y_range: the y axis' bounds.
    """
    series = {name: line for name, line in series.items() if line}
    points = [p for line in series.values() for p in line]
    if not points:
        return Markup('<p class="empty">No evaluated version yet.</p>')
    x_min, x_max = min(x for x, _ in points), max(x for x, _ in points)
    x_span = (x_max - x_min) or 1
    y_min, y_max = y_range

    def place(x, y):
        px = LEFT + (x - x_min) / x_span * (WIDTH - LEFT - RIGHT)
        py = TOP + (1 - (min(max(y, y_min), y_max) - y_min) / (y_max - y_min)) * (HEIGHT - TOP - BOTTOM)
        return round(px, 1), round(py, 1)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(y_label)} by {escape(x_label)}">']
    for tick in range(5):
        y = y_min + tick * (y_max - y_min) / 4
        _, py = place(x_min, y)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{py}" y2="{py}"/>'
                     f'<text class="tick" x="{LEFT - 6}" y="{py + 4}" text-anchor="end">{y:.2f}</text>')
    for x in sorted({x for x, _ in points}):
        px, _ = place(x, y_min)
        parts.append(f'<text class="tick" x="{px}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{x}</text>')
    parts.append(f'<text class="axis" x="{(WIDTH + LEFT) / 2}" y="{HEIGHT - 4}" text-anchor="middle">'
                 f'{escape(x_label)}</text>')
    for index, (name, line) in enumerate(series.items()):
        placed = [place(x, y) for x, y in sorted(line)]
        path = ' '.join(f'{px},{py}' for px, py in placed)
        parts.append(f'<polyline class="line line-{index}" fill="none" points="{path}"/>')
        for (x, y), (px, py) in zip(sorted(line), placed):
            parts.append(f'<circle class="dot line-{index}" cx="{px}" cy="{py}" r="4">'
                         f'<title>{escape(name)}: {y:.3f} at {x}</title></circle>')
        parts.append(f'<text class="legend line-{index}" x="{LEFT + 8}" y="{TOP + 14 + 16 * index}">'
                     f'{escape(name)}</text>')
    parts.append('</svg>')
    return Markup(''.join(parts))
