"""Longnan demo data: places, cooperatives, households, products, pictures, four logins, and a year of
history (lots, orders, refunds, settlement, payouts and handovers; see shop/seed_history.py).

`seed_demo` flushes and never commits; the caller (the `seed-demo` command) commits.
Everything is drawn from one `random.Random(2026)`, so two runs on the same day load the same data;
only random-by-design values differ (picture file names, order numbers, checkout tokens). The history
ends two hours before the run, and the demo buyer's four orders are placed at the time of the run.
"""
import math
import random
from datetime import date, datetime, time, timedelta, timezone

from PIL import Image, ImageDraw, ImageFilter, ImageOps
from sqlalchemy import select

from shop.accounts.models import Address, User
from shop.catalog.images import save_product_image
from shop.catalog.models import Category, Product, Variant
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.households.models import Household
from shop.places.models import County, Village
from shop.seed_data import (ALNUM, CATEGORIES, COOPERATIVES, COUNTIES, FAMOUS_NAMES, GIVEN_FIRST, GIVEN_SECOND,
                            LOW_STOCK, PRODUCTS, SOLD_OUT_SKU, SURNAMES, VILLAGES)
from shop.seed_history import HISTORY_MONTHS, add_history, history_window
from shop.supply.models import SupplyLot
from shop.supply.services import adjust_lot
from shop.types import clock_at, utcnow

SEED = 2026
# (role, email, password): printed by `flask seed-demo`; for the demo only.
DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("buyer", "buyer@demo.longnan.example", "demo-buyer-2026"),
    ("coop manager", "coop@demo.longnan.example", "demo-coop-2026"),
    ("staff", "staff@demo.longnan.example", "demo-staff-2026"),
    ("admin", "admin@demo.longnan.example", "demo-admin-2026"),
]
ADMIN_EMAIL = DEMO_LOGINS[3][1]
MANAGED_COOP = "cheng-walnut"  # the demo coop manager runs the Cheng County walnut cooperative

# The platform was set up (staff and admin accounts) shortly before the first cooperative registered.
SET_UP_AT = datetime(2025, 2, 24, 3, 0, tzinfo=timezone.utc)
JOINED_FROM, JOINED_UNTIL = date(2018, 1, 1), date(2024, 12, 31)  # when member households joined
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the alphabet of unified social credit codes


def utc(d: date, hour: int = 0, minute: int = 0) -> datetime:
    """Return an aware UTC datetime on a date."""
    return datetime.combine(d, time(hour, minute), tzinfo=timezone.utc)


def is_demo_loaded() -> bool:
    """Tell whether the demo data is already in the database."""
    if db.session.scalar(select(User.id).where(User.email == ADMIN_EMAIL)) is not None:
        return True
    return db.session.scalar(select(County.id).where(County.slug == "wudu")) is not None


def seed_demo(history_months: int = HISTORY_MONTHS) -> bool:
    """Load the Longnan demo data into the session, with `history_months` (1 to 12) months of shop
    history before now; return False if it is already there."""
    window = history_window(history_months, utcnow())
    if is_demo_loaded():
        return False
    rng = random.Random(SEED)
    with clock_at(SET_UP_AT):
        counties = _add_counties()
        villages = _add_villages(counties)
        categories = _add_categories()
        coops = _add_coops(rng, villages)
        users = _add_users(coops)
        households = _add_households(rng, villages, coops)
        db.session.flush()
        products = _add_products(rng, villages, categories, coops)
        db.session.flush()
    add_history(rng, window, coops, households, users, products)
    _mark_stock_states()
    _add_demo_orders(users["buyer"])
    return True


# Orders walked through the real services, so every page has something to show:
# (product slug, quantity) per order, and how far the order has come.
DEMO_ORDERS = (
    ([("cheng-thin-shell-walnuts", 2), ("wudu-dahongpao-pepper", 1)], "paid"),
    ([("cheng-walnut-kernels", 1)], "shipped"),
    ([("cheng-roasted-walnuts", 2), ("kang-native-bee-honey", 1)], "delivered"),
    ([("cheng-cold-pressed-walnut-oil", 1)], "pending_payment"),
)


def _add_demo_orders(buyer: User) -> None:
    """Place, pay, ship and deliver a few orders of the demo buyer through the shop's own services."""
    from shop.cart.models import Cart, CartItem
    from shop.checkout.services import new_checkout_token, place_order
    from shop.coops.fulfilment import ship_shipment
    from shop.orders.services import confirm_receipt
    from shop.payments.services import mark_paid

    variants = {p.slug: p.variants[0] for p in db.session.scalars(select(Product))}
    for n, (items, stage) in enumerate(DEMO_ORDERS, start=1):
        cart = Cart(user_id=buyer.id, items=[CartItem(variant_id=variants[slug].id, quantity=q) for slug, q in items])
        db.session.add(cart)
        order = place_order(buyer, cart, buyer.addresses[0], new_checkout_token(), "zh")
        db.session.delete(cart)
        if stage == "pending_payment":
            continue
        mark_paid(order, "demo", f"demo_seed_{n}", order.total_fen, order.currency)
        for shipment in order.shipments if stage != "paid" else ():
            ship_shipment(shipment, "中国邮政 EMS", f"EMS10{n:02d}{shipment.id:06d}CN")
            if stage == "delivered":
                confirm_receipt(order, shipment.id)
    db.session.flush()


# --- places, categories, cooperatives, people -----------------------------------------------

def _add_counties() -> dict[str, County]:
    counties = {}
    for slug, zh, en, _prefix, _code in COUNTIES:
        counties[slug] = County(slug=slug, name_zh=zh, name_en=en)
        db.session.add(counties[slug])
    return counties


def _add_villages(counties: dict[str, County]) -> dict[str, Village]:
    villages = {}
    for key, county, zh, en, altitude in VILLAGES:
        villages[key] = Village(county=counties[county], name_zh=zh, name_en=en, altitude_m=altitude)
        db.session.add(villages[key])
    return villages


def _add_categories() -> dict[str, Category]:
    categories = {}
    for slug, zh, en, position in CATEGORIES:
        categories[slug] = Category(slug=slug, name_zh=zh, name_en=en, position=position)
        db.session.add(categories[slug])
    return categories


def _county_of(village_key: str) -> str:
    return next(county for key, county, *_ in VILLAGES if key == village_key)


def _admin_code(county_slug: str) -> str:
    return next(code for slug, *_, code in COUNTIES if slug == county_slug)


def _trace_prefix(county_slug: str) -> str:
    return next(prefix for slug, _zh, _en, prefix, _code in COUNTIES if slug == county_slug)


def _phone(rng: random.Random) -> str:
    return rng.choice(("133", "139", "151", "158", "177", "180", "187", "191", "199")) + \
        "".join(rng.choice("0123456789") for _ in range(8))


def _add_coops(rng: random.Random, villages) -> dict[str, Cooperative]:
    coops = {}
    for spec in COOPERATIVES:
        county = _county_of(spec["village"])
        status = spec.get("status", "approved")
        created = utc(date(*spec["created"]), 2, rng.randint(0, 59))
        approved = utc(date(*spec["approved"]), 6, rng.randint(0, 59)) if spec["approved"] else None
        coop = Cooperative(
            slug=spec["slug"], name_zh=spec["name_zh"], name_en=spec["name_en"],
            story_zh=spec["story_zh"], story_en=spec["story_en"], village=villages[spec["village"]],
            status=status, products_summary=spec["summary"],
            registration_no="93" + _admin_code(county) + "MA" + "".join(rng.choice(USCC_CHARS) for _ in range(8)),
            contact_name=spec["contact_name"], contact_phone=_phone(rng),
            contact_email=f"{spec['slug']}@coop.longnan.example",
            commission_bp=spec["commission_bp"], retention_bp=spec["retention_bp"],
            shipping_fee_fen=spec["shipping_fee_fen"], free_shipping_over_fen=spec["free_shipping_over_fen"],
            payout_method=spec["payout"], created_at=created, approved_at=approved)
        if spec["payout"] == "bank":
            coop.bank_name = spec["bank_name"]
            coop.bank_account_name = spec["name_zh"]
            coop.bank_account_no = "62" + "".join(rng.choice("0123456789") for _ in range(17))
        else:
            coop.stripe_account_id = "acct_1LnDemo" + "".join(rng.choice(ALNUM) for _ in range(10))
        db.session.add(coop)
        coops[spec["key"]] = coop
    return coops


def _add_users(coops: dict[str, Cooperative]) -> dict[str, User]:
    flags = {
        "buyer": dict(display_name="演示买家"),
        "coop manager": dict(display_name="核桃坪合作社（演示）", coop=coops[MANAGED_COOP]),
        "staff": dict(display_name="平台运营（演示）", is_staff=True),
        "admin": dict(display_name="系统管理员（演示）", is_staff=True, is_admin=True),
    }
    users = {}
    for role, email, password in DEMO_LOGINS:
        user = User(email=email, locale=None, **flags[role])
        user.set_password(password)
        db.session.add(user)
        users[role] = user
    # The demo buyer can check out at once: one saved address, invented but well-formed.
    users["buyer"].addresses = [Address(recipient="陈晓雨", mobile="13800138000", province="北京市", city="北京市",
                                        district="朝阳区", street="望京街道阜通东大街 6 号院 3 号楼 1201")]
    return users


def _head_name(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_FIRST) + rng.choice(GIVEN_SECOND)
        if name not in taken and name not in FAMOUS_NAMES:
            taken.add(name)
            return name


def _add_households(rng: random.Random, villages, coops) -> dict[str, list[Household]]:
    """Add each cooperative's member households; about 40 % registered poor."""
    names: set[str] = set()
    codes: set[str] = set()
    members: dict[str, list[Household]] = {}
    for spec in COOPERATIVES:
        count = spec["households"]
        county = _county_of(spec["village"])
        confirmed = set(rng.sample(range(count), round(count * 0.4))) if count else set()
        others = [i for i in range(count) if i not in confirmed]
        proposed = {rng.choice(others)} if others and rng.random() < 0.6 else set()
        members[spec["key"]] = []
        for i in range(count):
            home = spec["village"] if not spec["neighbours"] or rng.random() < 0.6 else rng.choice(spec["neighbours"])
            code = ""
            while not code or code in codes:
                code = "LN" + _admin_code(county) + f"{rng.randrange(10**6):06d}"
            codes.add(code)
            status = "confirmed" if i in confirmed else "proposed" if i in proposed else "none"
            hh = Household(
                coop=coops[spec["key"]], village=villages[home], head_name=_head_name(rng, names),
                members_count=rng.choice((1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 7)),
                poor_status=status, poor_since_year=rng.randint(2014, 2016) if status != "none" else None,
                registry_code=code, phone=_phone(rng) if rng.random() < 0.65 else None,
                joined_on=JOINED_FROM + timedelta(days=rng.randrange((JOINED_UNTIL - JOINED_FROM).days)),
                created_at=coops[spec["key"]].created_at + timedelta(days=3, minutes=i))
            db.session.add(hh)
            members[spec["key"]].append(hh)
    return members


# --- products and variants ------------------------------------------------------------------

def _add_products(rng, villages, categories, coops) -> list[tuple[dict, list[Variant]]]:
    """Add each product, listed within weeks of its cooperative's approval, with its variants and picture."""
    coop_county = {spec["key"]: _county_of(spec["village"]) for spec in COOPERATIVES}
    listed = []
    for spec in PRODUCTS:
        coop = coops[spec["coop"]]
        prefix = _trace_prefix(coop_county[spec["coop"]])
        product = Product(
            coop=coop, category=categories[spec["category"]],
            origin_village=villages[spec["village"]], slug=spec["slug"],
            name_zh=spec["name_zh"], name_en=spec["name_en"],
            description_zh=spec["description_zh"], description_en=spec["description_en"],
            is_published=True, is_featured=spec.get("featured", False),
            created_at=coop.approved_at + timedelta(days=3, seconds=int(rng.random() * 80 * 86400)))
        db.session.add(product)
        variants = [Variant(product=product, sku=f"{prefix}-{spec['code']}-{size}", name_zh=zh, name_en=en,
                            price_fen=price_fen, net_weight_g=weight_g)
                    for size, zh, en, price_fen, weight_g in spec["variants"]]
        db.session.add_all(variants)
        save_product_image(product, product_picture(spec["category"], spec["slug"]),
                           alt_zh=spec["name_zh"], alt_en=spec["name_en"])
        listed.append((spec, variants))
    return listed


def _mark_stock_states() -> None:
    """Leave one variant sold out and one nearly gone, writing the rest off as sold at the village market."""
    low_sku, low_left = LOW_STOCK
    for sku, keep in ((SOLD_OUT_SKU, 0), (low_sku, low_left)):
        lots = list(db.session.scalars(select(SupplyLot).join(Variant).where(Variant.sku == sku)
                                       .order_by(SupplyLot.received_at.desc())))
        for i, lot in enumerate(lots):
            left = min(keep, lot.units_remaining) if i == 0 else 0
            if lot.units_remaining > left:
                adjust_lot(lot, left - lot.units_remaining,
                           "演示数据：在村里集市售出 / demo data: sold at the village market", None)


# --- pictures -------------------------------------------------------------------------------

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


def product_picture(category: str, slug: str) -> Image.Image:
    """Draw a simple, text-free picture suggesting a product of the category."""
    rng = random.Random(f"{SEED}:{slug}")
    top, bottom = PALETTE[category]
    jitter = rng.randint(-10, 10)
    top = tuple(max(0, min(255, c + jitter)) for c in top)
    # A vertical gradient tilted a little, lighter at the top.
    mask = (Image.linear_gradient("L").resize((512, 512)).rotate(rng.uniform(-30, 30), Image.Resampling.BILINEAR)
            .crop((128, 128, 384, 384)))
    mask = ImageOps.autocontrast(mask).resize(SIZE, Image.Resampling.BILINEAR)
    image = Image.composite(Image.new("RGB", SIZE, bottom), Image.new("RGB", SIZE, top), mask)
    shapes = DRAWERS[category](rng)
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


class _Shapes:
    def __init__(self):
        self.shadows: list[tuple[str, object]] = []
        self.paints: list = []

    def shadow_ellipse(self, cx, cy, rx, ry, dx=12, dy=16):
        self.shadows.append(("ellipse", (cx - rx + dx, cy - ry + dy, cx + rx + dx, cy + ry + dy)))

    def shadow_polygon(self, points, dx=12, dy=16):
        self.shadows.append(("polygon", [(x + dx, y + dy) for x, y in points]))


def _vary(rng: random.Random, color: tuple[int, int, int], spread: int = 14) -> tuple[int, int, int]:
    return tuple(max(0, min(255, c + rng.randint(-spread, spread))) for c in color)


def _darker(color, f: float = 0.7):
    return tuple(int(c * f) for c in color)


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


def _spots(rng, count, margin=150, min_gap=170):
    """Pick centres spread over the picture."""
    spots = []
    for _ in range(count * 30):
        if len(spots) == count:
            break
        x, y = rng.randint(margin, SIZE[0] - margin), rng.randint(margin, SIZE[1] - margin)
        if all((x - a) ** 2 + (y - b) ** 2 >= min_gap ** 2 for a, b in spots):
            spots.append((x, y))
    return spots


def _draw_walnuts(rng):
    s = _Shapes()
    for cx, cy in _spots(rng, rng.randint(5, 8), min_gap=200):
        rx = rng.randint(75, 105)
        ry = int(rx * rng.uniform(0.82, 0.95))
        angle = rng.uniform(-0.6, 0.6)
        shade = rng.randint(-22, 16)
        shell = (160 + shade, 112 + shade, 62 + shade // 2)
        outline = _rotated(_ellipse_points(rx, ry, wobble=_waves(rng, 0.03)), cx, cy, angle)
        crease = _rotated([(-rx * 0.92, 0), (-rx * 0.4, rng.uniform(-6, 6)), (rx * 0.2, rng.uniform(-6, 6)),
                           (rx * 0.92, 0)], cx, cy, angle)
        wrinkles = [_rotated([(rx * u, ry * v), (rx * (u + 0.25), ry * (v + rng.uniform(-0.2, 0.2)))], cx, cy, angle)
                    for u, v in ((rng.uniform(-0.7, 0.3), rng.choice((-0.5, -0.3, 0.3, 0.5))) for _ in range(6))]
        s.shadow_polygon(outline)

        def paint(d, outline=outline, crease=crease, wrinkles=wrinkles, shell=shell):
            d.polygon(outline, fill=shell, outline=_darker(shell, 0.6), width=4)
            for w in wrinkles:
                d.line(w, fill=_darker(shell, 0.78), width=3)
            d.line(crease, fill=_darker(shell, 0.5), width=6, joint="curve")
        s.paints.append(paint)
    return s


def _draw_pepper(rng):
    s = _Shapes()
    for cx, cy in _spots(rng, rng.randint(6, 9), min_gap=160):
        leaf_angle = rng.uniform(0, math.tau)
        leaf = _rotated(_leaf_points(rng.randint(110, 150), rng.randint(38, 50)), cx + 60 * math.cos(leaf_angle),
                        cy + 60 * math.sin(leaf_angle), leaf_angle)
        green = _vary(rng, (88, 132, 58))
        berries = []
        for _ in range(rng.randint(9, 18)):
            r = rng.randint(10, 15)
            bx, by = cx + rng.gauss(0, 32), cy + rng.gauss(0, 28)
            berries.append((bx, by, r, _vary(rng, (192, 42, 32), 18), rng.random() < 0.45))
        s.shadow_ellipse(cx, cy, 60, 52, 8, 10)

        def paint(d, leaf=leaf, green=green, berries=berries):
            d.polygon(leaf, fill=green, outline=_darker(green), width=2)
            for bx, by, r, red, split in berries:
                d.ellipse((bx - r, by - r, bx + r, by + r), fill=red, outline=_darker(red, 0.6), width=2)
                if split:
                    d.ellipse((bx - r * 0.4, by - r * 0.4, bx + r * 0.4, by + r * 0.4), fill=(28, 24, 24))
                else:
                    d.ellipse((bx - r * 0.55, by - r * 0.6, bx - r * 0.1, by - r * 0.15),
                              fill=tuple(min(255, c + 50) for c in red))
        s.paints.append(paint)
    return s


def _draw_olive_oil(rng):
    s = _Shapes()
    bx = rng.randint(380, 820)
    w, h = rng.randint(210, 260), rng.randint(430, 500)
    base = rng.randint(760, 820)
    gold = _vary(rng, (214, 170, 40), 12)
    glass = _vary(rng, (200, 160, 38), 6)
    body = (bx - w // 2, base - h, bx + w // 2, base)
    neck = (bx - 38, base - h - 150, bx + 38, base - h + 20)
    cap = (bx - 46, base - h - 200, bx + 46, base - h - 140)
    s.shadows.append(("polygon", [(body[0] + 20, body[1] + 30), (body[2] + 20, body[1] + 30),
                                  (body[2] + 20, body[3] + 20), (body[0] + 20, body[3] + 20)]))
    olives = []
    for cx, cy in _spots(rng, rng.randint(5, 8), margin=110, min_gap=120):
        if abs(cx - bx) < w // 2 + 90:
            continue
        color = _vary(rng, rng.choice(((112, 138, 52), (96, 122, 44), (78, 46, 68))), 10)
        olives.append((cx, cy, rng.randint(34, 44), rng.uniform(-0.8, 0.8), color))
        s.shadow_ellipse(cx, cy, 40, 30, 8, 10)

    def paint(d):
        d.rounded_rectangle(body, radius=48, fill=gold, outline=_darker(gold, 0.65), width=5)
        d.rectangle(neck, fill=glass, outline=_darker(gold, 0.65), width=4)
        d.rounded_rectangle(cap, radius=12, fill=(46, 76, 40))
        d.rounded_rectangle((body[0] + 28, body[1] + 40, body[0] + 62, body[3] - 40), radius=16,
                            fill=tuple(min(255, c + 40) for c in gold))
        d.rectangle((body[0] + 12, body[1] + h * 0.42, body[2] - 12, body[1] + h * 0.7), fill=(246, 240, 220))
        d.rectangle((body[0] + 12, body[1] + h * 0.52, body[2] - 12, body[1] + h * 0.6), fill=(90, 120, 60))
        for cx, cy, r, angle, color in olives:
            d.polygon(_rotated(_ellipse_points(r, r * 0.74), cx, cy, angle), fill=color, outline=_darker(color))
            d.ellipse((cx - r * 0.4, cy - r * 0.45, cx - r * 0.05, cy - r * 0.15),
                      fill=tuple(min(255, c + 60) for c in color))
            leaf = _rotated(_leaf_points(90, 22), cx + 50, cy - 30, angle - 0.9)
            d.polygon(leaf, fill=(132, 152, 118), outline=(98, 116, 86))
    s.paints.append(paint)
    return s


def _draw_herbs(rng):
    s = _Shapes()
    for cx, cy in _spots(rng, rng.randint(4, 6), min_gap=230):
        length, girth = rng.randint(200, 290), rng.randint(88, 128)
        angle = rng.uniform(-0.9, 0.9)
        shade = rng.randint(-16, 10)
        root = (222 + shade, 198 + shade, 156 + shade)
        outline = _rotated(_ellipse_points(length / 2, girth / 2, wobble=_waves(rng, 0.06)), cx, cy, angle)
        rings = [_rotated([(x, -h), (x + rng.uniform(-6, 6), h)], cx, cy, angle)
                 for x in range(int(-length * 0.35), int(length * 0.36), rng.randint(26, 38))
                 for h in [girth * 0.4 * math.sqrt(max(0.0, 1 - (2 * x / length) ** 2))]]
        tail = _rotated([(length / 2 - 6, 0), (length / 2 + rng.randint(30, 60), rng.randint(-20, 20))], cx, cy, angle)
        s.shadow_polygon(outline)

        def paint(d, outline=outline, rings=rings, tail=tail, root=root):
            d.line(tail, fill=_darker(root, 0.7), width=6)
            d.polygon(outline, fill=root, outline=_darker(root, 0.7), width=3)
            for ring in rings:
                d.line(ring, fill=_darker(root, 0.8), width=3)
        s.paints.append(paint)
    slices = [(x, y, rng.randint(38, 56)) for x, y in _spots(rng, rng.randint(3, 6), margin=80, min_gap=110)]

    def paint_slices(d):
        for x, y, r in slices:
            d.ellipse((x - r, y - r, x + r, y + r), fill=(240, 226, 196), outline=(190, 160, 120), width=4)
            d.ellipse((x - r * 0.55, y - r * 0.55, x + r * 0.55, y + r * 0.55), outline=(214, 192, 156), width=3)
    s.paints.insert(0, paint_slices)
    return s


def _hexagon(cx, cy, r):
    return [(cx + r * math.cos(math.pi / 3 * i), cy + r * math.sin(math.pi / 3 * i)) for i in range(6)]


def _draw_honey(rng):
    s = _Shapes()
    jx, base = rng.randint(420, 780), rng.randint(770, 820)
    w, h = rng.randint(300, 360), rng.randint(330, 390)
    amber = _vary(rng, (214, 138, 24), 14)
    body = (jx - w // 2, base - h, jx + w // 2, base)
    lid = (jx - w // 2 + 10, base - h - 70, jx + w // 2 - 10, base - h + 6)
    s.shadows.append(("polygon", [(body[0] + 20, body[1] + 20), (body[2] + 24, body[1] + 20),
                                  (body[2] + 24, body[3] + 18), (body[0] + 20, body[3] + 18)]))
    corner = rng.choice(((170, 170), (1030, 170), (170, 730), (1030, 730)))
    comb = [(corner[0] + dx * 75, corner[1] + dy * 87 + (43.5 if dx % 2 else 0))
            for dx in range(-2, 3) for dy in range(-1, 2)]
    drops = [(rng.randint(body[0] + 40, body[2] - 40), rng.randint(30, 90)) for _ in range(rng.randint(2, 4))]

    def paint(d):
        for hx, hy in comb:
            d.polygon(_hexagon(hx, hy, 50), fill=(246, 206, 110), outline=(214, 160, 62), width=5)
        d.rounded_rectangle(body, radius=60, fill=amber, outline=_darker(amber, 0.6), width=5)
        d.rounded_rectangle(lid, radius=14, fill=(150, 96, 52), outline=(110, 70, 36), width=4)
        for x, length in drops:
            d.rounded_rectangle((x - 12, lid[3] - 4, x + 12, lid[3] + length), radius=12, fill=_darker(amber, 0.9))
        d.rounded_rectangle((body[0] + 30, body[1] + h * 0.38, body[2] - 30, body[1] + h * 0.68), radius=10,
                            fill=(250, 236, 196), outline=(200, 160, 90), width=3)
        d.rounded_rectangle((body[0] + 26, body[1] + 50, body[0] + 56, body[3] - 60), radius=15,
                            fill=tuple(min(255, c + 45) for c in amber))
    s.paints.append(paint)
    return s


def _draw_fungi(rng):
    s = _Shapes()
    for cx, cy in _spots(rng, rng.randint(6, 9), min_gap=170):
        r = rng.randint(75, 110)
        angle = rng.uniform(0, math.tau)
        dark = _vary(rng, (52, 38, 36), 10)
        wobble = _waves(rng, 0.12, 4)
        outline = _rotated(_ellipse_points(r, r * rng.uniform(0.65, 0.85), n=72, wobble=wobble), cx, cy, angle)
        inner = _rotated(_ellipse_points(r * 0.55, r * 0.4, wobble=wobble),
                         cx + rng.randint(-10, 10), cy + rng.randint(-10, 10), angle)
        folds = [_rotated([(r * 0.1, 0), (r * 0.65, r * rng.uniform(-0.35, 0.35))], cx, cy, angle + k)
                 for k in (0.8, 2.2, 3.9, 5.2)]
        s.shadow_polygon(outline)

        def paint(d, outline=outline, inner=inner, folds=folds, dark=dark):
            d.polygon(outline, fill=dark, outline=tuple(c + 40 for c in dark), width=5)
            d.polygon(inner, fill=tuple(c + 26 for c in dark))
            for f in folds:
                d.line(f, fill=tuple(c + 18 for c in dark), width=4)
        s.paints.append(paint)
    return s


def _draw_tea(rng):
    s = _Shapes()
    for cx, cy in _spots(rng, rng.randint(9, 14), margin=110, min_gap=130):
        length, width = rng.randint(170, 240), rng.randint(60, 86)
        angle = rng.uniform(0, math.tau)
        green = _vary(rng, rng.choice(((78, 142, 62), (96, 160, 70), (64, 122, 56))), 12)
        leaf = _rotated(_leaf_points(length, width), cx, cy, angle)
        vein = _rotated([(-length / 2, 0), (length / 2, 0)], cx, cy, angle)
        side = [_rotated([(x, 0), (x + length * 0.14, side_y * width * 0.36)], cx, cy, angle)
                for x in (-length * 0.3, -length * 0.1, length * 0.1) for side_y in (-1, 1)]
        s.shadow_polygon(leaf, 8, 12)

        def paint(d, leaf=leaf, vein=vein, side=side, green=green):
            d.polygon(leaf, fill=green, outline=_darker(green, 0.7), width=3)
            d.line(vein, fill=tuple(min(255, c + 50) for c in green), width=4)
            for v in side:
                d.line(v, fill=tuple(min(255, c + 35) for c in green), width=2)
        s.paints.append(paint)
    return s


DRAWERS = {
    "walnuts": _draw_walnuts, "pepper": _draw_pepper, "olive-oil": _draw_olive_oil, "herbs": _draw_herbs,
    "honey": _draw_honey, "fungi": _draw_fungi, "tea": _draw_tea,
}
