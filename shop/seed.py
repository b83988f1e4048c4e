"""Longnan demo data: places, cooperatives, households, products, pictures, four logins, and a year of
history (lots, orders, refunds, settlement, payouts and handovers; see shop/seed_history.py).

`seed_demo` flushes and never commits; the caller (the `seed-demo` command) commits.
Everything is drawn from one `random.Random(2026)`, so two runs on the same day load the same data;
only random-by-design values differ (picture file names, order numbers, checkout tokens). The history
ends two hours before the run, and the demo buyer's four orders are placed at the time of the run.
"""
import random
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from shop.accounts.models import Address, User
from shop.catalog.images import save_coop_image, save_product_image
from shop.catalog.models import Category, Product, Variant
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.households.models import Household
from shop.orders.emails import order_mail_suppressed
from shop.places.models import County, Village
from shop.seed_data import (ALNUM, CATEGORIES, COOPERATIVES, COUNTIES, FAMOUS_NAMES, GIVEN_FIRST, GIVEN_SECOND,
                            LOW_STOCK, PRODUCTS, SOLD_OUT_SKU, SURNAMES, VILLAGES)
from shop.seed_history import HISTORY_MONTHS, add_history, history_window
from shop.seed_pictures import coop_pictures, package_kind, product_pictures
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
    with order_mail_suppressed():  # a year of made-up orders must not mail the demo buyers
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
        if status == "approved":
            for position, (picture, (alt_zh, alt_en)) in enumerate(zip(coop_pictures(spec["slug"]), COOP_ALTS)):
                save_coop_image(coop, picture, alt_zh=alt_zh.format(spec["name_zh"]),
                                alt_en=alt_en.format(spec["name_en"]), position=position)
    return coops


# The alt text of a cooperative's pictures, in the order coop_pictures draws them.
COOP_ALTS = (("{}所在的村子和梯田（夏天）", "The village and terraced fields of {}, in summer"),
             ("{}的村子，秋收时节", "The village of {} at harvest time"))


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

# The alt text of a product's pictures, in the order product_pictures draws them; the third by its package.
PICTURE_ALTS = (("{}", "{}"), ("{}（近景）", "{}, close up"))
PACKAGE_ALTS = {"bag": ("{}，袋装", "{} in its bag"), "box": ("{}，礼盒装", "{} in its gift box"),
                "tin": ("{}，罐装", "{} in its tin"), "village": ("{}的产地村庄", "The village where {} comes from")}


def _add_products(rng, villages, categories, coops) -> list[tuple[dict, list[Variant]]]:
    """Add each product, listed within weeks of its cooperative's approval, with its variants and pictures."""
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
        package = package_kind([en for _size, _zh, en, _price, _weight in spec["variants"]])
        for position, (picture, (alt_zh, alt_en)) in enumerate(zip(
                product_pictures(spec["category"], spec["slug"], views=3, package=package),
                PICTURE_ALTS + (PACKAGE_ALTS[package],))):
            save_product_image(product, picture, alt_zh=alt_zh.format(spec["name_zh"]),
                               alt_en=alt_en.format(spec["name_en"]), position=position)
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
