"""Demo product pictures: simple, text-free drawings, each product its own subject, two or three views.

A product's subject comes from SUBJECTS (by slug), else from its category. Each subject is a list of
things to scatter (walnuts, kernels, pepper berries, slices, caps...) or a container (bottle, jar, bowl)
with a few things beside it. View 1 is the whole scene; view 2 a close-up of it; view 3 (for most
products) a second arrangement on a wooden board. Everything is drawn from a Random seeded by the slug.
"""
import math
import random
from functools import partial

from PIL import Image, ImageDraw, ImageFilter, ImageOps

SEED = 2026
SIZE = (1200, 900)
# Background gradient (top, bottom) per category.
PALETTE = {
    "walnuts": ((247, 236, 214), (214, 186, 150)),
    "pepper": ((252, 238, 228), (234, 186, 164)),
    "olive-oil": ((240, 243, 218), (196, 208, 150)),
    "herbs": ((247, 241, 228), (219, 204, 176)),
    "honey": ((255, 246, 214), (240, 202, 122)),
    "fungi": ((234, 238, 232), (184, 194, 180)),
    "tea": ((236, 246, 228), (168, 206, 148)),
}
BOARD = ((196, 150, 104), (150, 104, 66))  # the wooden board of the third view


class _Shapes:
    def __init__(self):
        self.shadows: list[tuple[str, object]] = []
        self.paints: list = []

    def shadow_ellipse(self, cx, cy, rx, ry, dx=12, dy=16):
        self.shadows.append(("ellipse", (cx - rx + dx, cy - ry + dy, cx + rx + dx, cy + ry + dy)))

    def shadow_polygon(self, points, dx=12, dy=16):
        self.shadows.append(("polygon", [(x + dx, y + dy) for x, y in points]))


def _vary(rng, color, spread=14):
    return tuple(max(0, min(255, c + rng.randint(-spread, spread))) for c in color)


def _darker(color, f=0.7):
    return tuple(int(c * f) for c in color)


def _lighter(color, add=45):
    return tuple(min(255, c + add) for c in color)


def _rotated(points, cx, cy, angle):
    ca, sa = math.cos(angle), math.sin(angle)
    return [(cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in points]


def _ellipse_points(rx, ry, n=48, wobble=()):
    """Outline an ellipse, made irregular by (amplitude, frequency, phase) waves."""
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        k = 1 + sum(a * math.sin(f * t + p) for a, f, p in wobble)
        pts.append((rx * k * math.cos(t), ry * k * math.sin(t)))
    return pts


def _waves(rng, amplitude, count=3):
    return [(rng.uniform(0, amplitude), rng.randint(2, 5), rng.uniform(0, math.tau)) for _ in range(count)]


def _leaf_points(length, width, n=16):
    upper = [(-length / 2 + length * i / n, -width / 2 * math.sin(math.pi * i / n)) for i in range(n + 1)]
    lower = [(x, -y) for x, y in reversed(upper[1:-1])]
    return upper + lower


def _spots(rng, count, margin=150, min_gap=170, avoid=None):
    """Pick centres spread over the picture, away from the box `avoid` (x0, y0, x1, y1)."""
    spots = []
    for _ in range(count * 40):
        if len(spots) == count:
            break
        x, y = rng.randint(margin, SIZE[0] - margin), rng.randint(margin, SIZE[1] - margin)
        if avoid and avoid[0] - 60 < x < avoid[2] + 60 and avoid[1] - 60 < y < avoid[3] + 60:
            continue
        if all((x - a) ** 2 + (y - b) ** 2 >= min_gap ** 2 for a, b in spots):
            spots.append((x, y))
    return spots


# --- things to scatter: each adds one piece centred on (cx, cy) to the shapes ---------------------

def _walnut(s, rng, cx, cy, roasted=False, size=1.0, pale=False, husk=False):
    """A whole walnut: brown (or dark, roasted; or pale, thin-shelled), perhaps still half in its green husk."""
    rx = int(rng.randint(75, 105) * size)
    ry = int(rx * rng.uniform(0.82, 0.95))
    angle = rng.uniform(-0.6, 0.6)
    shade = rng.randint(-22, 16) - (48 if roasted else 0) + (34 if pale else 0)
    shell = (160 + shade, 112 + shade, 62 + shade // 2)
    outline = _rotated(_ellipse_points(rx, ry, wobble=_waves(rng, 0.03)), cx, cy, angle)
    crease = _rotated([(-rx * 0.92, 0), (-rx * 0.4, rng.uniform(-6, 6)), (rx * 0.2, rng.uniform(-6, 6)),
                       (rx * 0.92, 0)], cx, cy, angle)
    wrinkles = [_rotated([(rx * u, ry * v), (rx * (u + 0.25), ry * (v + rng.uniform(-0.2, 0.2)))], cx, cy, angle)
                for u, v in ((rng.uniform(-0.7, 0.3), rng.choice((-0.5, -0.3, 0.3, 0.5))) for _ in range(6))]
    s.shadow_polygon(outline)
    green = _vary(rng, (98, 138, 56), 12)
    husk_half = _rotated([(rx * 1.25 * math.cos(t), ry * 1.3 * math.sin(t))
                          for t in (math.pi * (0.35 + 1.3 * i / 24) for i in range(25))], cx, cy, angle)

    def paint(d):
        if husk:  # the husk has split and curls back from one side
            d.polygon(husk_half + [(cx, cy)], fill=green, outline=_darker(green, 0.6), width=4)
        d.polygon(outline, fill=shell, outline=_darker(shell, 0.6), width=4)
        if husk:
            d.line(husk_half, fill=_lighter(green, 40), width=5, joint="curve")
        for w in wrinkles:
            d.line(w, fill=_darker(shell, 0.78), width=3)
        d.line(crease, fill=_darker(shell, 0.5), width=6, joint="curve")
    s.paints.append(paint)


def _kernel(s, rng, cx, cy, size=1.0):
    """A walnut kernel half: two pale lobes with a groove, not a shell."""
    r = rng.randint(50, 70) * size
    angle = rng.uniform(0, math.tau)
    tone = _vary(rng, (222, 188, 132), 12)
    lobes = [_rotated(_ellipse_points(r * 0.62, r * 0.9, wobble=_waves(rng, 0.08, 4)), *c, angle)
             for c in _rotated([(-r * 0.5, 0), (r * 0.5, 0)], cx, cy, angle)]
    folds = [_rotated([(side * r * 0.5 + rng.uniform(-8, 8), -r * 0.6), (side * r * 0.45, 0),
                       (side * r * 0.55 + rng.uniform(-8, 8), r * 0.6)], cx, cy, angle) for side in (-1, 1)]
    s.shadow_ellipse(cx, cy, r * 1.1, r * 0.9, 8, 10)

    def paint(d):
        for lobe in lobes:
            d.polygon(lobe, fill=tone, outline=_darker(tone, 0.72), width=3)
        for fold in folds:
            d.line(fold, fill=_darker(tone, 0.8), width=3, joint="curve")
        d.line(_rotated([(0, -r * 0.85), (0, r * 0.85)], cx, cy, angle), fill=_darker(tone, 0.6), width=5)
    s.paints.append(paint)


def _berries(s, rng, cx, cy, color=(192, 42, 32), seeds=True, leaf=True, size=1.0):
    """A cluster of Sichuan pepper husks, split open, with a leaf."""
    green = _vary(rng, (88, 132, 58))
    leaf_angle = rng.uniform(0, math.tau)
    leaf_pts = _rotated(_leaf_points(rng.randint(110, 150) * size, rng.randint(38, 50) * size),
                        cx + 60 * size * math.cos(leaf_angle), cy + 60 * size * math.sin(leaf_angle), leaf_angle)
    berries = [(cx + rng.gauss(0, 32 * size), cy + rng.gauss(0, 28 * size), rng.randint(10, 15) * size,
                _vary(rng, color, 18), rng.random() < (0.45 if seeds else 0.9)) for _ in range(rng.randint(9, 18))]
    s.shadow_ellipse(cx, cy, 60 * size, 52 * size, 8, 10)

    def paint(d):
        if leaf:
            d.polygon(leaf_pts, fill=green, outline=_darker(green), width=2)
        for bx, by, r, red, split in berries:
            d.ellipse((bx - r, by - r, bx + r, by + r), fill=red, outline=_darker(red, 0.6), width=2)
            if split and seeds:
                d.ellipse((bx - r * 0.4, by - r * 0.4, bx + r * 0.4, by + r * 0.4), fill=(28, 24, 24))
            elif split:  # seedless: the open husk shows its pale inside
                d.ellipse((bx - r * 0.45, by - r * 0.45, bx + r * 0.45, by + r * 0.45), fill=(236, 190, 120))
            else:
                d.ellipse((bx - r * 0.55, by - r * 0.6, bx - r * 0.1, by - r * 0.15), fill=_lighter(red, 50))
    s.paints.append(paint)


def _root(s, rng, cx, cy, color=(222, 198, 156), thin=False, size=1.0):
    """A root: plump and ringed (gastrodia), or long and thin (codonopsis, bupleurum)."""
    length = rng.randint(260, 340) * size if thin else rng.randint(200, 290) * size
    girth = rng.randint(30, 44) * size if thin else rng.randint(88, 128) * size
    angle = rng.uniform(-0.9, 0.9)
    root = _vary(rng, color, 12)
    outline = _rotated(_ellipse_points(length / 2, girth / 2, wobble=_waves(rng, 0.06)), cx, cy, angle)
    rings = [_rotated([(x, -h), (x + rng.uniform(-6, 6), h)], cx, cy, angle)
             for x in range(int(-length * 0.35), int(length * 0.36), rng.randint(18, 26) if thin else rng.randint(26, 38))
             for h in [girth * 0.4 * math.sqrt(max(0.0, 1 - (2 * x / length) ** 2))]]
    tail = _rotated([(length / 2 - 6, 0), (length / 2 + rng.randint(30, 60), rng.randint(-20, 20))], cx, cy, angle)
    # A gastrodia tuber has a red-brown bud at its tip ("parrot's beak") and a round scar at its base.
    beak = _rotated([(length / 2 - 10, -girth * 0.16), (length / 2 + girth * 0.42, rng.uniform(-6, 6)),
                     (length / 2 - 10, girth * 0.16)], cx, cy, angle)
    navel = _rotated([(-length / 2 + girth * 0.2, 0)], cx, cy, angle)[0]
    s.shadow_polygon(outline)

    def paint(d):
        if thin:
            d.line(tail, fill=_darker(root, 0.7), width=4)
        d.polygon(outline, fill=root, outline=_darker(root, 0.7), width=3)
        for ring in rings:
            if thin:
                d.line(ring, fill=_darker(root, 0.8), width=2)
            else:  # the rings of a tuber are rows of small dots
                (x0, y0), (x1, y1) = ring
                for k in range(1, 8):
                    x, y = x0 + (x1 - x0) * k / 8, y0 + (y1 - y0) * k / 8
                    d.ellipse((x - 3, y - 3, x + 3, y + 3), fill=_darker(root, 0.72))
        if not thin:
            d.polygon(beak, fill=(156, 82, 52), outline=(110, 56, 36), width=3)
            d.ellipse((navel[0] - girth * 0.1, navel[1] - girth * 0.1, navel[0] + girth * 0.1, navel[1] + girth * 0.1),
                      outline=_darker(root, 0.6), width=3)
    s.paints.append(paint)


def _slice(s, rng, cx, cy, color=(240, 226, 196), oval=1.0, size=1.0):
    """A dried slice of root: a disc (or oval) with rings."""
    r = rng.randint(44, 62) * size
    angle = rng.uniform(0, math.tau)
    tone = _vary(rng, color, 10)
    outline = _rotated(_ellipse_points(r * oval, r, wobble=_waves(rng, 0.05)), cx, cy, angle)
    inner = _rotated(_ellipse_points(r * oval * 0.55, r * 0.55), cx, cy, angle)
    s.shadow_polygon(outline, 6, 8)

    def paint(d):
        d.polygon(outline, fill=tone, outline=_darker(tone, 0.75), width=4)
        d.polygon(inner, outline=_darker(tone, 0.88), width=3)
        d.ellipse((cx - 5, cy - 5, cx + 5, cy + 5), fill=_darker(tone, 0.8))
    s.paints.append(paint)


def _lump(s, rng, cx, cy, size=1.0):
    """A zhuling sclerotium: black, knobbly outside, white where it is cut."""
    r = rng.randint(70, 95) * size
    angle = rng.uniform(0, math.tau)
    outline = _rotated(_ellipse_points(r * 1.2, r * 0.8, n=72, wobble=_waves(rng, 0.16, 5)), cx, cy, angle)
    cut = rng.random() < 0.5
    s.shadow_polygon(outline)

    def paint(d):
        d.polygon(outline, fill=(46, 40, 38), outline=(26, 22, 22), width=4)
        for k in range(5):
            x, y = _rotated([(r * (k - 2) * 0.35, r * 0.2 * (-1) ** k)], cx, cy, angle)[0]
            d.ellipse((x - 12, y - 9, x + 12, y + 9), fill=(70, 62, 58))
        if cut:
            d.polygon(_rotated(_ellipse_points(r * 0.6, r * 0.42), cx, cy, angle), fill=(238, 232, 216))
    s.paints.append(paint)


def _fungus(s, rng, cx, cy, color=(52, 38, 36), small=False, size=1.0):
    """Black wood-ear fungus: a ruffled dark ear."""
    r = (rng.randint(45, 65) if small else rng.randint(75, 110)) * size
    angle = rng.uniform(0, math.tau)
    dark = _vary(rng, color, 10)
    wobble = _waves(rng, 0.12, 4)
    outline = _rotated(_ellipse_points(r, r * rng.uniform(0.65, 0.85), n=72, wobble=wobble), cx, cy, angle)
    inner = _rotated(_ellipse_points(r * 0.55, r * 0.4, wobble=wobble), cx + rng.randint(-10, 10),
                     cy + rng.randint(-10, 10), angle)
    folds = [_rotated([(r * 0.1, 0), (r * 0.65, r * rng.uniform(-0.35, 0.35))], cx, cy, angle + k)
             for k in (0.8, 2.2, 3.9, 5.2)]
    s.shadow_polygon(outline)

    def paint(d):
        d.polygon(outline, fill=dark, outline=_lighter(dark, 40), width=5)
        d.polygon(inner, fill=_lighter(dark, 26))
        for f in folds:
            d.line(f, fill=_lighter(dark, 18), width=4)
    s.paints.append(paint)


def _cap(s, rng, cx, cy, kind="shiitake", size=1.0):
    """A mushroom seen from the side: shiitake (brown, cracked cap) or morel (tall, pitted)."""
    angle = rng.uniform(-0.5, 0.5)
    if kind == "morel":
        w, h = rng.randint(60, 78) * size, rng.randint(110, 140) * size
        tone = _vary(rng, (150, 118, 80), 14)
        cap = _rotated([(-w / 2 + w * i / 12, -h * (1 - (i / 6 - 1) ** 2) ** 0.6) for i in range(13)],
                       cx, cy, angle)
        pits = [_rotated([(rng.uniform(-w * 0.35, w * 0.35), -rng.uniform(h * 0.1, h * 0.85))], cx, cy, angle)[0]
                for _ in range(14)]
        stem = _rotated([(-w * 0.3, 0), (w * 0.3, 0), (w * 0.25, h * 0.45), (-w * 0.25, h * 0.45)], cx, cy, angle)
    else:
        w, h = rng.randint(120, 160) * size, rng.randint(50, 64) * size
        tone = _vary(rng, (128, 84, 52), 14)
        cap = _rotated([(w / 2 * math.cos(math.pi * i / 16), -h * math.sin(math.pi * i / 16)) for i in range(17)],
                       cx, cy, angle)
        pits = [_rotated([(rng.uniform(-w * 0.35, w * 0.35), -rng.uniform(h * 0.3, h * 0.8))], cx, cy, angle)[0]
                for _ in range(6)]
        stem = _rotated([(-w * 0.1, 0), (w * 0.1, 0), (w * 0.08, h * 1.1), (-w * 0.12, h * 1.1)], cx, cy, angle)
    s.shadow_polygon(cap + stem, 8, 10)

    def paint(d):
        d.polygon(stem, fill=(236, 222, 196), outline=(180, 160, 130), width=3)
        d.polygon(cap, fill=tone, outline=_darker(tone, 0.6), width=4)
        for x, y in pits:
            if kind == "morel":
                d.ellipse((x - 9, y - 7, x + 9, y + 7), fill=_darker(tone, 0.55))
            else:
                d.line((x - 10, y, x + 10, y + 3), fill=(236, 222, 196), width=3)
    s.paints.append(paint)


def _shaggy(s, rng, cx, cy, size=1.0):
    """A lion's mane mushroom: a white ball of hanging spines."""
    r = rng.randint(80, 110) * size
    s.shadow_ellipse(cx, cy, r, r * 0.9)
    spines = [(cx + rng.uniform(-r * 0.9, r * 0.9), cy + rng.uniform(-r * 0.7, r * 0.3), rng.uniform(20, 44))
              for _ in range(70)]

    def paint(d):
        d.ellipse((cx - r, cy - r * 0.85, cx + r, cy + r * 0.85), fill=(242, 236, 222), outline=(200, 190, 168), width=4)
        for x, y, length in spines:
            d.line((x, y, x + rng.uniform(-3, 3), y + length), fill=(214, 204, 182), width=3)
    s.paints.append(paint)


def _leaf(s, rng, cx, cy, palette=((78, 142, 62), (96, 160, 70), (64, 122, 56)), narrow=1.0, size=1.0):
    """A tea leaf (or an olive leaf, narrow and silvery)."""
    length, width = rng.randint(170, 240) * size, rng.randint(60, 86) * size * narrow
    angle = rng.uniform(0, math.tau)
    green = _vary(rng, rng.choice(palette), 12)
    leaf = _rotated(_leaf_points(length, width), cx, cy, angle)
    vein = _rotated([(-length / 2, 0), (length / 2, 0)], cx, cy, angle)
    side = [_rotated([(x, 0), (x + length * 0.14, side_y * width * 0.36)], cx, cy, angle)
            for x in (-length * 0.3, -length * 0.1, length * 0.1) for side_y in (-1, 1)]
    s.shadow_polygon(leaf, 8, 12)

    def paint(d):
        d.polygon(leaf, fill=green, outline=_darker(green, 0.7), width=3)
        d.line(vein, fill=_lighter(green, 50), width=4)
        for v in side:
            d.line(v, fill=_lighter(green, 35), width=2)
    s.paints.append(paint)


def _twist(s, rng, cx, cy, color=(60, 40, 30), size=1.0):
    """Rolled tea: a thin twisted strip, dark for black tea, green for maojian."""
    length = rng.randint(90, 140) * size
    angle = rng.uniform(0, math.tau)
    tone = _vary(rng, color, 12)
    points = _rotated([(length * (i / 10 - 0.5), 9 * size * math.sin(i * 1.3 + rng.random())) for i in range(11)],
                      cx, cy, angle)
    s.shadow_polygon(points + points[::-1], 4, 6)

    def paint(d):
        d.line(points, fill=tone, width=int(12 * size), joint="curve")
        d.line(points[2:8], fill=_lighter(tone, 30), width=3)
    s.paints.append(paint)


def _olive(s, rng, cx, cy, size=1.0, colors=((112, 138, 52), (96, 122, 44), (78, 46, 68))):
    r = rng.randint(34, 44) * size
    angle = rng.uniform(-0.8, 0.8)
    color = _vary(rng, rng.choice(colors), 10)
    s.shadow_ellipse(cx, cy, r * 1.05, r * 0.8, 8, 10)

    def paint(d):
        d.polygon(_rotated(_ellipse_points(r, r * 0.74), cx, cy, angle), fill=color, outline=_darker(color))
        d.ellipse((cx - r * 0.4, cy - r * 0.45, cx - r * 0.05, cy - r * 0.15), fill=_lighter(color, 60))
    s.paints.append(paint)


# --- containers: each returns the box it covers, so the things beside it keep out of it --------------

def _bottle(s, rng, oil):
    bx = rng.randint(380, 820)
    w, h = rng.randint(210, 260), rng.randint(430, 500)
    base = rng.randint(760, 820)
    gold = _vary(rng, oil, 12)
    body = (bx - w // 2, base - h, bx + w // 2, base)
    neck = (bx - 38, base - h - 150, bx + 38, base - h + 20)
    cap = (bx - 46, base - h - 200, bx + 46, base - h - 140)
    s.shadows.append(("polygon", [(body[0] + 20, body[1] + 30), (body[2] + 20, body[1] + 30),
                                  (body[2] + 20, body[3] + 20), (body[0] + 20, body[3] + 20)]))

    def paint(d):
        d.rounded_rectangle(body, radius=48, fill=gold, outline=_darker(gold, 0.65), width=5)
        d.rectangle(neck, fill=_darker(gold, 0.95), outline=_darker(gold, 0.65), width=4)
        d.rounded_rectangle(cap, radius=12, fill=(46, 76, 40))
        d.rounded_rectangle((body[0] + 28, body[1] + 40, body[0] + 62, body[3] - 40), radius=16, fill=_lighter(gold, 40))
        d.rectangle((body[0] + 12, body[1] + h * 0.42, body[2] - 12, body[1] + h * 0.7), fill=(246, 240, 220))
        d.rectangle((body[0] + 12, body[1] + h * 0.52, body[2] - 12, body[1] + h * 0.6), fill=_darker(gold, 0.5))
    s.paints.append(paint)
    return (body[0], cap[1], body[2], body[3])


def _jar(s, rng, fill, contents="honey"):
    jx, base = rng.randint(420, 780), rng.randint(770, 820)
    w, h = rng.randint(300, 360), rng.randint(330, 390)
    tone = _vary(rng, fill, 14)
    body = (jx - w // 2, base - h, jx + w // 2, base)
    lid = (jx - w // 2 + 10, base - h - 70, jx + w // 2 - 10, base - h + 6)
    s.shadows.append(("polygon", [(body[0] + 20, body[1] + 20), (body[2] + 24, body[1] + 20),
                                  (body[2] + 24, body[3] + 18), (body[0] + 20, body[3] + 18)]))
    shoots = [(rng.randint(body[0] + 40, body[2] - 40), rng.uniform(-0.25, 0.25)) for _ in range(9)]

    def paint(d):
        d.rounded_rectangle(body, radius=60, fill=tone, outline=_darker(tone, 0.6), width=5)
        if contents == "shoots":  # pickled pepper shoots standing in brine
            for x, lean in shoots:
                top = body[1] + 30
                d.line((x, body[3] - 30, x + lean * (body[3] - top), top), fill=(92, 130, 48), width=14)
                d.ellipse((x + lean * (body[3] - top) - 12, top - 16, x + lean * (body[3] - top) + 12, top + 8),
                          fill=(120, 160, 62))
        d.rounded_rectangle(lid, radius=14, fill=(150, 96, 52), outline=(110, 70, 36), width=4)
        d.rounded_rectangle((body[0] + 30, body[1] + h * 0.42, body[2] - 30, body[1] + h * 0.66), radius=10,
                            fill=(250, 236, 196), outline=(200, 160, 90), width=3)
        d.rounded_rectangle((body[0] + 26, body[1] + 50, body[0] + 56, body[3] - 60), radius=15, fill=_lighter(tone, 45))
    s.paints.append(paint)
    return (body[0], lid[1], body[2], body[3])


def _bowl(s, rng, mound=None, piece=None):
    """A bowl seen from above and the side, filled with a mound (ground pepper) or heaped with pieces."""
    cx, cy = rng.randint(460, 740), rng.randint(470, 560)
    rx, ry = rng.randint(300, 340), rng.randint(120, 140)
    s.shadow_ellipse(cx, cy + 90, rx, ry)
    glaze = _vary(rng, (236, 232, 222), 6)

    def paint(d):
        d.chord((cx - rx, cy - ry, cx + rx, cy + ry + 200), 0, 180, fill=glaze, outline=(170, 160, 150), width=5)
        d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=_darker(glaze, 0.85), outline=(170, 160, 150), width=5)
        if mound:
            d.ellipse((cx - rx * 0.85, cy - ry * 0.9, cx + rx * 0.85, cy + ry * 0.7), fill=mound)
            for _ in range(160):
                x, y = cx + rng.uniform(-rx * 0.7, rx * 0.7), cy + rng.uniform(-ry * 0.6, ry * 0.5)
                d.point((x, y), fill=_darker(mound, 0.7))
    s.paints.append(paint)
    if piece:
        for _ in range(22):
            t, k = rng.uniform(0, math.tau), math.sqrt(rng.random()) * 0.78
            piece(s, rng, cx + rx * k * math.cos(t), cy + ry * k * math.sin(t) - 10)
    return (cx - rx, cy - ry, cx + rx, cy + ry + 100)


def _comb(s, rng):
    """A slab of honeycomb in its frame."""
    x0, y0 = rng.randint(220, 330), rng.randint(200, 260)
    x1, y1 = x0 + rng.randint(560, 640), y0 + rng.randint(420, 480)
    s.shadows.append(("polygon", [(x0 + 20, y0 + 20), (x1 + 20, y0 + 20), (x1 + 20, y1 + 20), (x0 + 20, y1 + 20)]))
    cells = [(x, y + (22 if (x // 44) % 2 else 0)) for x in range(x0 + 40, x1 - 20, 44) for y in range(y0 + 40, y1 - 30, 50)]
    capped = {c for c in cells if rng.random() < 0.55}

    def paint(d):
        d.rectangle((x0, y0, x1, y1), fill=(156, 110, 62), outline=(110, 74, 40), width=10)
        for c in cells:
            d.polygon(_hexagon(*c, 26), fill=(250, 226, 150) if c in capped else (226, 150, 40), outline=(200, 140, 50), width=3)
    s.paints.append(paint)
    return (x0, y0, x1, y1)


def _hexagon(cx, cy, r):
    return [(cx + r * math.cos(math.pi / 3 * i), cy + r * math.sin(math.pi / 3 * i)) for i in range(6)]


def _mixed(*pieces):
    """A piece that is one of several, chosen at random each time: (piece, weight, keyword arguments)."""
    def piece(s, rng, cx, cy, size=1.0):
        total = sum(w for _p, w, _kw in pieces)
        pick = rng.uniform(0, total)
        for chosen, weight, kw in pieces:
            pick -= weight
            if pick <= 0:
                return chosen(s, rng, cx, cy, size=size * kw.get("size", 1.0),
                              **{k: v for k, v in kw.items() if k != "size"})
        return None
    return piece


def _flower(s, rng, cx, cy, colors=((250, 250, 244),), size=1.0):
    """A small five-petalled flower: acacia white, or the many colours of a wildflower meadow."""
    r = rng.randint(22, 32) * size
    petal = _vary(rng, rng.choice(colors), 10)
    turn = rng.uniform(0, math.tau)
    petals = [(cx + r * 0.9 * math.cos(turn + k * math.tau / 5), cy + r * 0.9 * math.sin(turn + k * math.tau / 5))
              for k in range(5)]
    s.shadow_ellipse(cx, cy, r * 1.6, r * 1.5, 5, 7)

    def paint(d):
        for px, py in petals:
            d.ellipse((px - r * 0.7, py - r * 0.7, px + r * 0.7, py + r * 0.7), fill=petal, outline=_darker(petal, 0.8), width=2)
        d.ellipse((cx - r * 0.45, cy - r * 0.45, cx + r * 0.45, cy + r * 0.45), fill=(236, 176, 40))
    s.paints.append(paint)


def _rock(s, rng, cx, cy, size=1.0):
    """A grey stone from the cliff where the wild bees nest."""
    r = rng.randint(50, 80) * size
    grey = _vary(rng, (142, 138, 130), 16)
    outline = _rotated(_ellipse_points(r * 1.2, r * 0.75, n=9, wobble=_waves(rng, 0.12)), cx, cy, rng.uniform(0, 3))
    s.shadow_polygon(outline)

    def paint(d):
        d.polygon(outline, fill=grey, outline=_darker(grey, 0.7), width=4)
        d.line(outline[1:4], fill=_lighter(grey, 35), width=4)
    s.paints.append(paint)


def _dipper(s, rng, cx, cy, size=1.0):
    """A wooden honey dipper, its ribbed head dripping."""
    angle = rng.uniform(-0.5, 0.5)
    stick = _rotated([(-200 * size, 0), (60 * size, 0)], cx, cy, angle)
    head = [_rotated([(60 * size + 14 * k * size, 0)], cx, cy, angle)[0] for k in range(6)]
    s.shadow_polygon(_rotated([(-200 * size, -8), (150 * size, -30), (150 * size, 30), (-200 * size, 8)], cx, cy, angle))

    def paint(d):
        d.line(stick, fill=(170, 120, 70), width=int(16 * size))
        for k, (x, y) in enumerate(head):
            r = (30 - abs(k - 2.5) * 4) * size
            d.ellipse((x - 9 * size, y - r, x + 9 * size, y + r), fill=(190, 138, 78), outline=(130, 88, 44), width=3)
        x, y = head[3]
        d.ellipse((x - 10, y + 30 * size, x + 10, y + 30 * size + 26), fill=(222, 150, 30))
    s.paints.append(paint)


def _comb_chunk(s, rng, cx, cy, size=1.0):
    """A broken-off piece of honeycomb: amber cells, some capped with pale wax."""
    r = rng.randint(60, 85) * size
    outline = _rotated(_ellipse_points(r * 1.15, r * 0.85, n=10, wobble=_waves(rng, 0.1)), cx, cy, rng.uniform(0, 3))
    cells = [(cx + x, cy + y + (9 * size if (int(x // (16 * size))) % 2 else 0))
             for x in range(int(-r), int(r), max(1, int(16 * size))) for y in range(int(-r * 0.7), int(r * 0.7), max(1, int(18 * size)))
             if (x / r) ** 2 + (y / (r * 0.75)) ** 2 < 0.8]
    capped = [rng.random() < 0.4 for _ in cells]
    s.shadow_polygon(outline)

    def paint(d):
        d.polygon(outline, fill=(214, 140, 36), outline=(160, 100, 30), width=4)
        for (x, y), cap in zip(cells, capped):
            d.polygon(_hexagon(x, y, 9 * size), fill=(248, 222, 150) if cap else (230, 158, 44), outline=(186, 120, 40))
    s.paints.append(paint)


def _bundle(s, rng, cx, cy, color=(214, 184, 136), size=1.0):
    """A bundle of thin roots tied in the middle with red string, as wendang codonopsis is sold."""
    angle = rng.uniform(-0.7, 0.7)
    length = rng.randint(300, 360) * size
    roots = []
    for k in range(rng.randint(6, 8)):
        off = (k - 3.5) * 11 * size
        tone = _vary(rng, color, 14)
        roots.append((_rotated(_ellipse_points(length / 2, 9 * size, n=24, wobble=_waves(rng, 0.05)),
                               *_rotated([(rng.uniform(-16, 16), off)], cx, cy, angle)[0], angle), tone))
    tie = _rotated([(-14 * size, -60 * size), (14 * size, -60 * size), (14 * size, 60 * size), (-14 * size, 60 * size)],
                   cx, cy, angle)
    s.shadow_ellipse(cx, cy, length * 0.5, 55 * size)

    def paint(d):
        for outline, tone in roots:
            d.polygon(outline, fill=tone, outline=_darker(tone, 0.7), width=2)
        d.polygon(tie, fill=(196, 36, 36), outline=(130, 20, 20), width=2)
    s.paints.append(paint)


def _basket(s, rng, piece, count=(4, 6), **kw):
    """A round bamboo basket seen from above, with a few pieces in it."""
    cx, cy = rng.randint(540, 660), rng.randint(430, 470)
    rx, ry = rng.randint(360, 400), rng.randint(300, 330)
    s.shadow_ellipse(cx, cy, rx, ry, 16, 22)
    cane = _vary(rng, (200, 164, 104), 8)

    def paint(d):
        d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=_darker(cane, 0.85), outline=_darker(cane, 0.6), width=8)
        d.ellipse((cx - rx + 34, cy - ry + 30, cx + rx - 34, cy + ry - 30), fill=cane, outline=_darker(cane, 0.7), width=4)
        for k in range(1, 6):
            f = k / 6
            d.ellipse((cx - (rx - 34) * f, cy - (ry - 30) * f, cx + (rx - 34) * f, cy + (ry - 30) * f),
                      outline=_darker(cane, 0.82), width=3)
        for k in range(24):
            t = k * math.tau / 24
            d.line((cx, cy, cx + (rx - 34) * math.cos(t), cy + (ry - 30) * math.sin(t)), fill=_darker(cane, 0.86), width=2)
    s.paints.append(paint)
    for _ in range(rng.randint(*count)):
        t, k = rng.uniform(0, math.tau), math.sqrt(rng.random()) * 0.55
        piece(s, rng, cx + rx * k * math.cos(t), cy + ry * k * math.sin(t), **kw)
    return (cx - rx, cy - ry, cx + rx, cy + ry)


def _open_box(s, rng, piece, count=4, **kw):
    """A gift box seen from above, open, lined with gold satin, the pieces laid in a row."""
    x0, y0 = rng.randint(190, 250), rng.randint(170, 220)
    x1, y1 = SIZE[0] - rng.randint(190, 250), SIZE[1] - rng.randint(150, 200)
    s.shadows.append(("polygon", [(x0 + 24, y0 + 24), (x1 + 24, y0 + 24), (x1 + 24, y1 + 24), (x0 + 24, y1 + 24)]))
    red = _vary(rng, (168, 30, 34), 8)

    def paint(d):
        d.rounded_rectangle((x0, y0, x1, y1), radius=18, fill=red, outline=_darker(red, 0.6), width=6)
        d.rounded_rectangle((x0 + 36, y0 + 36, x1 - 36, y1 - 36), radius=10, fill=(236, 204, 122), outline=(190, 150, 70), width=4)
        for k in range(1, count):
            x = x0 + 36 + (x1 - x0 - 72) * k / count
            d.line((x, y0 + 40, x, y1 - 40), fill=(204, 168, 90), width=4)
    s.paints.append(paint)
    for k in range(count):
        piece(s, rng, x0 + 36 + (x1 - x0 - 72) * (k + 0.5) / count + rng.uniform(-6, 6),
              (y0 + y1) / 2 + rng.uniform(-20, 20), **kw)
    return (x0, y0, x1, y1)


def _cup(s, rng, liquor):
    """A white tea bowl with its saucer, the tea's colour showing."""
    cx, cy = rng.randint(480, 720), rng.randint(430, 500)
    rx, ry = rng.randint(230, 260), rng.randint(90, 105)
    s.shadow_ellipse(cx, cy + 170, rx * 1.35, ry * 1.1)
    tea = _vary(rng, liquor, 10)

    def paint(d):
        d.ellipse((cx - rx * 1.4, cy + 120, cx + rx * 1.4, cy + 120 + ry * 2.1), fill=(238, 236, 228), outline=(180, 176, 166), width=4)
        d.chord((cx - rx, cy - ry, cx + rx, cy + ry + 300), 0, 180, fill=(248, 246, 240), outline=(180, 176, 166), width=5)
        d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=(248, 246, 240), outline=(180, 176, 166), width=5)
        d.ellipse((cx - rx + 22, cy - ry + 14, cx + rx - 22, cy + ry - 12), fill=tea)
        d.ellipse((cx - rx * 0.5, cy - ry * 0.45, cx - rx * 0.15, cy - ry * 0.15), fill=_lighter(tea, 50))
    s.paints.append(paint)
    return (cx - rx * 1.4, cy - ry, cx + rx * 1.4, cy + 120 + ry * 2.1)


# --- packaging: the third picture -------------------------------------------------------------------

def _lines(d, x0, y0, x1, n, color, gap=22):
    """Text-free "writing": a few lines of different lengths, so no picture carries words."""
    for k in range(n):
        d.rounded_rectangle((x0, y0 + k * gap, x0 + (x1 - x0) * (0.9 - 0.18 * (k % 3)), y0 + k * gap + 9), radius=4, fill=color)


def _bag(s, rng, window, specks):
    """A kraft-paper stand-up pouch with a clear window showing what is inside and a blank label."""
    cx, base = rng.randint(480, 720), rng.randint(830, 860)
    w, h = rng.randint(380, 420), rng.randint(640, 690)
    kraft = _vary(rng, (198, 160, 110), 10)
    body = (cx - w // 2, base - h, cx + w // 2, base)
    win = (body[0] + 50, body[1] + h * 0.5, body[2] - 50, body[3] - 50)
    dots = [(rng.uniform(win[0] + 16, win[2] - 16), rng.uniform(win[1] + 16, win[3] - 16), rng.uniform(8, 18),
             _vary(rng, rng.choice(specks), 12)) for _ in range(70)]
    s.shadows.append(("polygon", [(body[0] + 22, body[1] + 30), (body[2] + 22, body[1] + 30),
                                  (body[2] + 22, body[3] + 18), (body[0] + 22, body[3] + 18)]))

    def paint(d):
        d.rounded_rectangle(body, radius=26, fill=kraft, outline=_darker(kraft, 0.65), width=5)
        d.rectangle((body[0] + 4, body[1] + 4, body[2] - 4, body[1] + 60), fill=_darker(kraft, 0.9))
        for x in range(body[0] + 10, body[2] - 10, 24):  # the zigzag of the heat seal
            d.line((x, body[1] + 66, x + 12, body[1] + 76, x + 24, body[1] + 66), fill=_darker(kraft, 0.75), width=3)
        d.ellipse((cx - 16, body[1] + 20, cx + 16, body[1] + 44), fill=_darker(kraft, 0.6))
        d.rounded_rectangle((body[0] + 40, body[1] + 110, body[2] - 40, body[1] + h * 0.44), radius=10,
                            fill=(250, 244, 228), outline=_darker(kraft, 0.7), width=3)
        d.rectangle((body[0] + 60, body[1] + 130, body[0] + 100, body[1] + 170), fill=(190, 40, 36))
        _lines(d, body[0] + 120, body[1] + 134, body[2] - 60, 3, (150, 130, 100))
        d.rounded_rectangle(win, radius=40, fill=_lighter(window, 20), outline=(236, 230, 214), width=6)
        for x, y, r, c in dots:
            d.ellipse((x - r, y - r * 0.8, x + r, y + r * 0.8), fill=c)
        d.line((win[0] + 24, win[1] + 30, win[0] + 60, win[1] + 14), fill=(255, 255, 255), width=6)
    s.paints.append(paint)
    return (body[0], body[1], body[2], body[3])


def _gift_box(s, rng, color=(176, 34, 38)):
    """A closed gift box in three-quarter view, tied with a gold ribbon and a bow."""
    x0, base = rng.randint(260, 360), rng.randint(770, 820)
    w, h, depth = rng.randint(460, 520), rng.randint(250, 290), rng.randint(120, 150)
    red = _vary(rng, color, 8)
    gold = (222, 182, 72)
    front = [(x0, base - h), (x0 + w, base - h), (x0 + w, base), (x0, base)]
    top = [(x0, base - h), (x0 + depth, base - h - depth * 0.6), (x0 + w + depth, base - h - depth * 0.6), (x0 + w, base - h)]
    side = [(x0 + w, base - h), (x0 + w + depth, base - h - depth * 0.6), (x0 + w + depth, base - depth * 0.6), (x0 + w, base)]
    mid = x0 + w * 0.42
    s.shadow_polygon(front + side[1:3], 18, 20)

    def paint(d):
        d.polygon(front, fill=red, outline=_darker(red, 0.6), width=4)
        d.polygon(top, fill=_lighter(red, 30), outline=_darker(red, 0.6), width=4)
        d.polygon(side, fill=_darker(red, 0.75), outline=_darker(red, 0.55), width=4)
        d.rectangle((mid - 22, base - h, mid + 22, base), fill=gold)
        d.polygon([(mid - 22, base - h), (mid - 22 + depth, base - h - depth * 0.6), (mid + 22 + depth, base - h - depth * 0.6),
                   (mid + 22, base - h)], fill=_lighter(gold, 20))
        d.polygon([(x0 + w, base - h * 0.55 - 20), (x0 + w + depth, base - h * 0.55 - 20 - depth * 0.6),
                   (x0 + w + depth, base - h * 0.55 + 20 - depth * 0.6), (x0 + w, base - h * 0.55 + 20)], fill=_darker(gold, 0.85))
        d.rectangle((x0, base - h * 0.55 - 20, x0 + w, base - h * 0.55 + 20), fill=gold)
        bx, by = mid + depth / 2, base - h - depth * 0.3
        for dx in (-1, 1):
            d.ellipse((bx + dx * 70 - 50, by - 40, bx + dx * 70 + 50, by + 16), fill=_lighter(gold, 15), outline=_darker(gold, 0.7), width=4)
        d.ellipse((bx - 22, by - 26, bx + 22, by + 8), fill=gold, outline=_darker(gold, 0.7), width=3)
        d.ellipse((x0 + w * 0.7, base - h * 0.36, x0 + w * 0.7 + 80, base - h * 0.36 + 80), fill=gold, outline=_darker(gold, 0.7), width=4)
    s.paints.append(paint)
    return (x0, base - h - depth * 0.6 - 40, x0 + w + depth, base)


def _tin(s, rng, color=(46, 96, 62)):
    """A round tea tin: a coloured drum with gold bands and a leaf emblem."""
    cx, base = rng.randint(470, 730), rng.randint(790, 830)
    r, h = rng.randint(150, 175), rng.randint(400, 450)
    tone = _vary(rng, color, 10)
    gold = (214, 176, 80)
    s.shadows.append(("polygon", [(cx - r + 20, base - h + 20), (cx + r + 24, base - h + 20), (cx + r + 24, base + 24), (cx - r + 20, base + 24)]))
    emblem = _leaf_points(120, 52)

    def paint(d):
        d.ellipse((cx - r, base - 40, cx + r, base + 40), fill=_darker(tone, 0.7))
        d.rectangle((cx - r, base - h, cx + r, base), fill=tone)
        d.rectangle((cx - r * 0.72, base - h, cx - r * 0.55, base), fill=_lighter(tone, 30))
        for y in (base - h + 40, base - 50):
            d.rectangle((cx - r, y, cx + r, y + 18), fill=gold)
        d.ellipse((cx - r - 6, base - h - 46, cx + r + 6, base - h + 46), fill=_lighter(tone, 20), outline=gold, width=8)
        d.ellipse((cx - 80, base - h * 0.6 - 80, cx + 80, base - h * 0.6 + 80), fill=(246, 236, 210), outline=gold, width=6)
        d.polygon(_rotated(emblem, cx, base - h * 0.6, -0.7), fill=(96, 150, 70), outline=(60, 110, 50), width=3)
    s.paints.append(paint)
    return (cx - r - 6, base - h - 46, cx + r + 6, base + 40)


# --- subjects ------------------------------------------------------------------------------------

def _scatter(piece, count, min_gap=170, margin=150, **kw):
    def draw(s, rng, avoid=None):
        for cx, cy in _spots(rng, rng.randint(*count), margin=margin, min_gap=min_gap, avoid=avoid):
            piece(s, rng, cx, cy, **kw)
    draw.beside = lambda s, rng, avoid: [  # a few smaller pieces beside the pack of the third picture
        piece(s, rng, cx, cy, **{**kw, "size": kw.get("size", 1.0) * 0.7})
        for cx, cy in _spots(rng, rng.randint(3, 5), margin=110, min_gap=150, avoid=avoid)]
    return draw


def _container(make, *args, beside=None, **kw):
    def draw(s, rng):
        box = make(s, rng, *args, **kw)
        if beside:
            beside(s, rng, avoid=box)
    if beside is not None and hasattr(beside, "beside"):
        draw.beside = beside.beside
    return draw


CATEGORY_SUBJECTS = {
    "walnuts": _scatter(_walnut, (5, 8), min_gap=200),
    "pepper": _scatter(_berries, (6, 9), min_gap=160),
    "olive-oil": _container(_bottle, (214, 170, 40), beside=_scatter(_olive, (5, 8), 120, 110)),
    "herbs": _scatter(_root, (4, 6), min_gap=230),
    "honey": _container(_jar, (214, 138, 24)),
    "fungi": _scatter(_fungus, (6, 9)),
    "tea": _scatter(_leaf, (9, 14), 130, 110),
}
SLICE = dict(min_gap=120, margin=90)
WALNUT_LEAVES = ((84, 128, 52), (72, 116, 48))
SUBJECTS = {
    "cheng-thin-shell-walnuts": _scatter(_mixed((_walnut, 5, {"pale": True}), (_kernel, 1, {"size": 0.8})), (7, 9), 180),
    "mayanhe-walnuts": _scatter(_mixed((_walnut, 3, {"husk": True}), (_leaf, 1, {"palette": WALNUT_LEAVES})), (6, 8), 200),
    "mayanhe-walnut-kernels": _container(_bowl, None, partial(_kernel, size=0.55)),
    "wudu-extra-virgin-olive-oil": _container(_bottle, (214, 170, 40), beside=_scatter(
        _mixed((_olive, 2, {}), (_leaf, 1, {"palette": ((132, 152, 118),), "narrow": 0.45, "size": 0.7})), (6, 9), 120, 110)),
    "tanchang-forest-gastrodia-premium": _container(_open_box, partial(_root, size=0.75, color=(214, 186, 140)), 4),
    "wen-highland-gastrodia": _container(_basket, partial(_root, size=0.8), (5, 6)),
    "wen-zhuling": _container(_basket, partial(_lump, size=0.85), (5, 7)),
    "kang-native-bee-honey": _container(_jar, (214, 138, 24), beside=_scatter(
        _mixed((_dipper, 1, {}), (_comb_chunk, 2, {"size": 0.8})), (2, 3), 220, 140)),
    "kang-acacia-honey": _container(_jar, (240, 206, 110), beside=_scatter(
        _mixed((_flower, 3, {}), (_leaf, 1, {"palette": ((120, 170, 80),), "narrow": 0.6, "size": 0.5})), (8, 12), 110, 90)),
    "kang-cliff-hive-honey": _container(_jar, (150, 84, 22), beside=_scatter(_rock, (4, 6), 170, 110)),
    "mayanhe-wildflower-honey": _container(_jar, (196, 120, 30), beside=_scatter(
        _flower, (9, 13), 100, 90, colors=((236, 120, 160), (250, 250, 244), (170, 120, 220), (246, 206, 60)))),
    "mayanhe-comb-honey": _container(_bowl, None, partial(_comb_chunk, size=0.7)),
    "wen-wendang-codonopsis": _scatter(_bundle, (3, 4), 220),
    "wen-highland-pan-fired-green-tea": _container(_cup, (196, 204, 110), beside=_scatter(
        _twist, (12, 18), 80, 90, color=(92, 120, 56))),
    "wen-gongfu-black-tea": _container(_cup, (170, 64, 30), beside=_scatter(_twist, (14, 20), 80, 90, color=(62, 38, 28))),
    "cheng-walnut-kernels": _scatter(_kernel, (8, 12), 140, 110),
    "cheng-roasted-walnuts": _scatter(_walnut, (6, 9), 190, roasted=True),
    "cheng-cold-pressed-walnut-oil": _container(_bottle, (176, 122, 42), beside=_scatter(_walnut, (3, 5), 170, 110, size=0.7)),
    "wudu-ground-pepper": _container(_bowl, (164, 54, 30), beside=_scatter(_berries, (2, 3), 160, 110, leaf=False, size=0.8)),
    "wudu-seedless-pepper": _scatter(_berries, (7, 10), 150, seeds=False, leaf=False),
    "wudu-pepper-oil": _container(_bottle, (206, 92, 34), beside=_scatter(_berries, (3, 5), 150, 110, size=0.8)),
    "wudu-pickled-pepper-shoots": _container(_jar, (214, 206, 150), "shoots"),
    "wudu-early-harvest-olive-oil": _container(_bottle, (150, 170, 46), beside=_scatter(_olive, (5, 8), 120, 110)),
    "wudu-olive-leaf-tea": _scatter(_leaf, (10, 14), 120, 110, palette=((132, 152, 118), (118, 140, 108)), narrow=0.45),
    "wudu-brined-olives": _container(_bowl, (92, 104, 44), _olive, beside=_scatter(_olive, (3, 5), 120, 110)),
    "tanchang-gastrodia-slices": _scatter(_slice, (9, 13), **SLICE),
    "tanchang-angelica-slices": _scatter(_slice, (9, 13), color=(232, 214, 170), **SLICE),
    "li-zhuling": _scatter(_lump, (4, 6), 220),
    "li-zhuling-slices": _scatter(_slice, (9, 13), color=(236, 230, 214), **SLICE),
    "li-rhubarb-slices": _scatter(_slice, (9, 13), color=(214, 150, 84), **SLICE),
    "li-astragalus-slices": _scatter(_slice, (9, 13), color=(236, 212, 140), oval=1.8, **SLICE),
    "tanchang-codonopsis": _scatter(_root, (5, 7), 150, thin=True, color=(206, 176, 128)),
    "li-bupleurum-root": _scatter(_root, (6, 8), 140, thin=True, color=(150, 112, 72)),
    "kang-comb-honey": _container(_comb),
    "kang-small-cup-fungus": _scatter(_fungus, (10, 14), 120, 110, small=True),
    "kang-log-grown-shiitake": _scatter(_cap, (5, 7), 200, kind="shiitake"),
    "kang-lions-mane": _scatter(_shaggy, (3, 5), 240),
    "wen-highland-morels": _scatter(_cap, (6, 9), 170, kind="morel"),
    "bikou-pre-qingming-maojian": _scatter(_twist, (22, 30), 80, 90, color=(112, 150, 70)),
}


def _paint(subject, rng, background) -> Image.Image:
    top, bottom = background
    jitter = rng.randint(-10, 10)
    top = tuple(max(0, min(255, c + jitter)) for c in top)
    # A vertical gradient tilted a little, lighter at the top.
    mask = (Image.linear_gradient("L").resize((512, 512)).rotate(rng.uniform(-30, 30), Image.Resampling.BILINEAR)
            .crop((128, 128, 384, 384)))
    mask = ImageOps.autocontrast(mask).resize(SIZE, Image.Resampling.BILINEAR)
    image = Image.composite(Image.new("RGB", SIZE, bottom), Image.new("RGB", SIZE, top), mask)
    shapes = _Shapes()
    subject(shapes, rng)
    shadow = Image.new("L", SIZE, 0)
    sd = ImageDraw.Draw(shadow)
    for kind, points in shapes.shadows:
        (sd.ellipse if kind == "ellipse" else sd.polygon)(points, fill=90)
    shadow = shadow.filter(ImageFilter.BoxBlur(14))
    image = Image.composite(Image.new("RGB", SIZE, tuple(int(c * 0.72) for c in bottom)), image, shadow)
    draw = ImageDraw.Draw(image)
    for paint in shapes.paints:
        paint(draw)
    return image


def _close_up(image: Image.Image, rng) -> Image.Image:
    """Crop a part of the scene and enlarge it back to full size."""
    w, h = int(SIZE[0] / 1.7), int(SIZE[1] / 1.7)
    x, y = rng.randint(80, SIZE[0] - w - 80), rng.randint(60, SIZE[1] - h - 60)
    return image.crop((x, y, x + w, y + h)).resize(SIZE, Image.Resampling.BICUBIC)


# The clear window of a bag: its colour and the colours of what shows through it, by category, then by
# a word of the slug where that differs.
WINDOWS = {
    "walnuts": ((176, 128, 78), ((150, 104, 58), (128, 86, 48))),
    "pepper": ((200, 70, 50), ((192, 42, 32), (150, 30, 24))),
    "herbs": ((232, 216, 180), ((222, 198, 156), (200, 170, 120))),
    "fungi": ((96, 82, 76), ((52, 38, 36), (70, 56, 50))),
    "tea": ((128, 156, 86), ((90, 130, 60), (70, 100, 50))),
    "olive-oil": ((150, 170, 80), ((112, 138, 52), (96, 122, 44))),
    "honey": ((230, 170, 60), ((214, 140, 36), (240, 200, 110))),
}
WINDOW_WORDS = {
    "kernels": ((230, 200, 146), ((222, 188, 132), (204, 166, 108))),
    "zhuling": ((70, 62, 58), ((46, 40, 38), (238, 232, 216))),
    "bupleurum": ((170, 132, 92), ((150, 112, 72), (120, 88, 56))),
    "rhubarb": ((220, 160, 96), ((214, 150, 84), (180, 110, 60))),
    "shiitake": ((150, 106, 72), ((128, 84, 52), (236, 222, 196))),
    "lions-mane": ((240, 234, 220), ((226, 216, 196), (250, 246, 236))),
}
PACKAGES = ("bag", "box", "tin", "village")


def package_kind(variant_names_en: list[str]) -> str:
    """How a product is packed, for its third picture, from its variants' English names: a gift box if it has
    one, else a tin or a bag; bottles and jars, already in the first picture, give way to the village."""
    names = " ".join(variant_names_en).lower()
    for word, kind in (("gift box", "box"), ("tin", "tin"), ("bag", "bag")):
        if word in names:
            return kind
    return "village"


def _window(category: str, slug: str):
    return next((w for word, w in WINDOW_WORDS.items() if word in slug), WINDOWS[category])


def _packaging(subject, kind: str, category: str, slug: str):
    """The third picture's subject: the pack, with a few of the product beside it."""
    def draw(s, rng):
        if kind == "box":
            box = _gift_box(s, rng)
        elif kind == "tin":
            box = _tin(s, rng, (46, 96, 62) if "green" in slug or "maojian" in slug or "olive" in slug else (150, 40, 36))
        else:
            box = _bag(s, rng, *_window(category, slug))
        if hasattr(subject, "beside"):
            subject.beside(s, rng, box)
    return draw


def product_pictures(category: str, slug: str, views: int = 3, package: str = "bag") -> list[Image.Image]:
    """Draw `views` (1 to 3) text-free pictures of a product: the scene, a close-up of it, and the product in
    its `package` (one of PACKAGES: a bag, gift box or tin with a few pieces beside it, or its village)."""
    rng = random.Random(f"{SEED}:{slug}")
    subject = SUBJECTS.get(slug) or CATEGORY_SUBJECTS[category]
    scene = _paint(subject, rng, PALETTE[category])
    pictures = [scene]
    if views >= 2:
        pictures.append(_close_up(scene, rng))
    if views >= 3:
        pictures.append(_village_scene(rng, "autumn") if package == "village"
                        else _paint(_packaging(subject, package, category, slug), rng, BOARD))
    return pictures


def product_picture(category: str, slug: str) -> Image.Image:
    """Draw a product's main picture."""
    return product_pictures(category, slug, views=1)[0]


# --- cooperative pictures: the village in its valley ---------------------------------------------

def _ridge(rng, base_y, amplitude, step=60):
    """A mountain ridge line across the picture, closed along the bottom edge."""
    points, y = [], base_y
    for x in range(-step, SIZE[0] + 2 * step, step):
        y = max(base_y - amplitude, min(base_y + amplitude // 3, y + rng.randint(-amplitude // 3, amplitude // 3)))
        points.append((x, y))
    return points + [(SIZE[0] + step, SIZE[1]), (-step, SIZE[1])]


def _village_scene(rng, season) -> Image.Image:
    """Sky, three ridges fading into the distance, terraced fields and a few houses: text-free."""
    sky_top, sky_bottom = (168, 204, 232), (232, 240, 246)
    mask = ImageOps.autocontrast(Image.linear_gradient("L")).resize(SIZE, Image.Resampling.BILINEAR)
    image = Image.composite(Image.new("RGB", SIZE, sky_bottom), Image.new("RGB", SIZE, sky_top), mask)
    d = ImageDraw.Draw(image)
    greens = {"summer": ((124, 150, 128), (96, 132, 88), (72, 118, 60)),
              "autumn": ((150, 146, 132), (150, 128, 80), (170, 120, 56))}[season]
    for i, (base, amp) in enumerate(((360, 140), (470, 120), (560, 90))):
        d.polygon(_ridge(rng, base + rng.randint(-30, 30), amp), fill=_vary(rng, greens[i], 8))
    field = greens[2]
    y = 620
    while y < SIZE[1]:
        band = rng.randint(34, 60)
        tilt = rng.randint(-40, 40)
        d.polygon([(0, y + tilt), (SIZE[0], y - tilt), (SIZE[0], y - tilt + band), (0, y + tilt + band)],
                  fill=_vary(rng, field, 18))
        d.line([(0, y + tilt + band), (SIZE[0], y - tilt + band)], fill=_darker(field, 0.75), width=4)
        y += band
    for _ in range(rng.randint(3, 6)):
        x, base = rng.randint(80, SIZE[0] - 200), rng.randint(600, 700)
        w, h = rng.randint(90, 140), rng.randint(60, 80)
        d.rectangle((x, base - h, x + w, base), fill=(236, 228, 212), outline=(150, 130, 110), width=3)
        d.polygon([(x - 14, base - h), (x + w // 2, base - h - rng.randint(40, 60)), (x + w + 14, base - h)],
                  fill=(90, 90, 98))
        d.rectangle((x + w // 2 - 12, base - 36, x + w // 2 + 12, base), fill=(120, 84, 52))
    return image


def coop_pictures(slug: str, views: int = 2) -> list[Image.Image]:
    """Draw `views` (1 or 2) pictures of a cooperative's village: one in summer, one at harvest time."""
    rng = random.Random(f"{SEED}:coop:{slug}")
    return [_village_scene(rng, season) for season in ("summer", "autumn")][:views]
