#!/usr/bin/env python3
"""Draws the icons in svg/ (then run render.sh for the PNGs).

Every shape is a fill, with no strokes and no groups: Fyne's SVG renderer
(oksvg) does not scale stroke widths with the viewBox, so a stroke drawn for
a 24-unit box would come out hair-thin in a 64-pixel image. Filled shapes
look the same in every renderer.
"""
import math
import os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "svg")


def f(x):
    return ("%.2f" % x).rstrip("0").rstrip(".")


def circle(cx, cy, r, fill, opacity=None):
    o = ' fill-opacity="%s"' % opacity if opacity is not None else ""
    return '<circle cx="%s" cy="%s" r="%s" fill="%s"%s/>' % (f(cx), f(cy), f(r), fill, o)


def poly(points, fill):
    d = "M" + " L".join("%s %s" % (f(x), f(y)) for x, y in points) + " Z"
    return '<path d="%s" fill="%s"/>' % (d, fill)


def line(p, q, w, fill, round_caps=True):
    """A thick line as a filled quadrilateral (+ round caps as circles)."""
    (x1, y1), (x2, y2) = p, q
    dx, dy = x2 - x1, y2 - y1
    n = math.hypot(dx, dy)
    ox, oy = -dy / n * w / 2, dx / n * w / 2
    out = [poly([(x1 + ox, y1 + oy), (x2 + ox, y2 + oy), (x2 - ox, y2 - oy), (x1 - ox, y1 - oy)], fill)]
    if round_caps:
        out += [circle(x1, y1, w / 2, fill), circle(x2, y2, w / 2, fill)]
    return out


def pt(c, r, a):
    return (c[0] + r * math.cos(math.radians(a)), c[1] + r * math.sin(math.radians(a)))


def arc_band(c, r, w, a0, a1, fill):
    """A stroked arc from angle a0 to a1 (degrees, clockwise on screen) as a fill."""
    ro, ri = r + w / 2, r - w / 2
    large = 1 if (a1 - a0) % 360 > 180 else 0
    p0, p1 = pt(c, ro, a0), pt(c, ro, a1)
    q1, q0 = pt(c, ri, a1), pt(c, ri, a0)
    d = "M%s %s A%s %s 0 %d 1 %s %s L%s %s A%s %s 0 %d 0 %s %s Z" % (
        f(p0[0]), f(p0[1]), f(ro), f(ro), large, f(p1[0]), f(p1[1]),
        f(q1[0]), f(q1[1]), f(ri), f(ri), large, f(q0[0]), f(q0[1]))
    return ['<path d="%s" fill="%s"/>' % (d, fill), circle(*pt(c, r, a0), w / 2, fill)]


def arrow_head(c, r, a, length, half, fill):
    """An arrow head at angle a on the circle, pointing clockwise."""
    t = math.radians(a)
    tan = (-math.sin(t), math.cos(t))
    rad = (math.cos(t), math.sin(t))
    e = pt(c, r, a)
    tip = (e[0] + length * tan[0], e[1] + length * tan[1])
    return poly([tip, (e[0] + half * rad[0], e[1] + half * rad[1]), (e[0] - half * rad[0], e[1] - half * rad[1])], fill)


def svg(name, size, comment, shapes):
    body = "\n  ".join(shapes)
    text = ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">\n'
            '  <!-- %s (drawn by ../draw.py) -->\n  %s\n</svg>\n') % (size, size, size, size, comment, body)
    with open(os.path.join(OUT, name + ".svg"), "w") as fh:
        fh.write(text)


SLATE, RIM, WHITE = "#37474f", "#cfd8dc", "#ffffff"


def disc(fill=SLATE, rim=RIM):
    return [circle(12, 12, 11.5, rim), circle(12, 12, 10.5, fill)]


# --- app icon: three islands seen from above, linked across the sea ---
TEAL, DEEP, LINK, SAND, GREEN, FOAM = "#0e5a6b", "#0a4857", "#bff0e6", "#ffd27a", "#3fae73", "#2f8a9a"
A, B, C = (256, 142), (144, 336), (368, 336)
app = ['<rect x="16" y="16" width="480" height="480" rx="108" ry="108" fill="%s"/>' % TEAL,
       '<path d="M16 360 C 110 330, 180 392, 256 372 C 332 352, 410 330, 496 360 L 496 388 '
       'C 496 447.6 447.6 496 388 496 L 124 496 C 64.4 496 16 447.6 16 388 Z" fill="%s"/>' % DEEP]
for x0, y0 in ((70, 430), (300, 446)):  # two ripples: a wave band 10 units thick
    app.append('<path d="M%d %d C %d %d, %d %d, %d %d L %d %d C %d %d, %d %d, %d %d Z" fill="%s"/>' % (
        x0, y0 - 5, x0 + 30, y0 - 17, x0 + 55, y0 + 7, x0 + 85, y0 - 5,
        x0 + 85, y0 + 5, x0 + 55, y0 + 17, x0 + 30, y0 - 7, x0, y0 + 5, FOAM))
for p, q in ((A, B), (A, C), (B, C)):
    app += line(p, q, 30, LINK)
for cx, cy in (A, B, C):
    app += [circle(cx, cy, 80, TEAL), circle(cx, cy, 72, SAND), circle(cx, cy - 6, 38, GREEN)]
svg("app-icon", 512, "Archy: three islands of an archipelago, linked across the sea", app)

# --- tray icons, on a 24-unit grid ---
svg("tray-starting", 24, "starting / connecting: three dots, the last ones fading in",
    disc() + [circle(6.6, 12, 2.2, WHITE), circle(12, 12, 2.2, WHITE, 0.75), circle(17.4, 12, 2.2, WHITE, 0.5)])

n1, n2, n3 = (12, 6.6), (7.1, 15.2), (16.9, 15.2)
online = disc()
for p, q in ((n1, n2), (n2, n3), (n3, n1)):
    online += line(p, q, 1.6, WHITE, round_caps=False)
online += [circle(*n, 2.6, WHITE) for n in (n1, n2, n3)]
svg("tray-online", 24, "online: three linked islands, the app's mark", online)

c, r = (12, 12), 5.4
syncing = disc()
syncing += arc_band(c, r, 2, 195, 320, WHITE) + [arrow_head(c, r, 318, 2.8, 2.6, WHITE)]
syncing += arc_band(c, r, 2, 15, 140, WHITE) + [arrow_head(c, r, 138, 2.8, 2.6, WHITE)]
svg("tray-syncing", 24, "syncing: two arrows turning round", syncing)

tri = "M12 1.6 C12.7 1.6 13.3 2 13.7 2.6 L22.6 19.6 C23.3 20.9 22.4 22.4 20.9 22.4 L3.1 22.4 C1.6 22.4 0.7 20.9 1.4 19.6 L10.3 2.6 C10.7 2 11.3 1.6 12 1.6 Z"


def scaled(path, k, cx, cy):
    """path (absolute M/L/C/Z commands only) scaled by k about (cx, cy)."""
    toks = path.split()
    nums = [float(t.lstrip("MLCZ")) for t in toks if t.lstrip("MLCZ")]
    pairs = []
    for i in range(0, len(nums), 2):
        pairs += [cx + (nums[i] - cx) * k, cy + (nums[i + 1] - cy) * k]
    res, i = [], 0
    for tok in toks:
        head = tok[0] if tok[0].isalpha() else ""
        if tok[len(head):]:
            res.append(head + f(pairs[i]))
            i += 1
        else:
            res.append(head)
    return " ".join(res)


attention = ['<path d="%s" fill="#6b3d00"/>' % tri,
             '<path d="%s" fill="#f5a524"/>' % scaled(tri, 0.9, 12, 14.6),
             '<rect x="10.6" y="7.6" width="2.8" height="8" rx="1.4" ry="1.4" fill="#1f1f1f"/>',
             circle(12, 18.9, 1.6, "#1f1f1f")]
svg("tray-attention", 24, "needs attention: the only coloured state, a warning triangle", attention)

svg("tray-paused", 24, "paused / offline: a dimmed (light grey) disc with pause bars",
    disc("#b0bec5", "#455a64") + [
        '<rect x="7.7" y="6.8" width="3" height="10.4" rx="0.9" ry="0.9" fill="#37474f"/>',
        '<rect x="13.3" y="6.8" width="3" height="10.4" rx="0.9" ry="0.9" fill="#37474f"/>'])
