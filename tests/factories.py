"""Build real objects for tests. Each function flushes; the caller commits if it needs to."""
import itertools
from datetime import date, datetime, timedelta, timezone

from shop.accounts.models import Address, User
from shop.catalog.models import Category, Product, Variant
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.households.models import Household
from shop.places.models import County, Village
from shop.supply.models import LotShare, SupplyLot

_seq = itertools.count(1)


def n() -> int:
    return next(_seq)


def quick_user(**kw) -> User:
    """A user who never signs in with a password (hashing one costs 0.2 s: too slow for hypothesis)."""
    user = User(email=f"quick{n()}@example.test", display_name="Test", password_hash="!", **kw)
    db.session.add(user)
    db.session.flush()
    return user


def make_village(county_name: str = "成县") -> Village:
    i = n()
    county = County(slug=f"county-{i}", name_zh=f"{county_name}{i}", name_en=f"County {i}")
    village = Village(county=county, name_zh=f"山村{i}", name_en=f"Shancun {i}", altitude_m=1200)
    db.session.add(village)
    db.session.flush()
    return village


def make_coop(village: Village | None = None, status: str = "approved", **kw) -> Cooperative:
    i = n()
    fields = {"slug": f"coop-{i}", "name_zh": f"合作社{i}", "name_en": f"Coop {i}", "status": status} | kw
    coop = Cooperative(village=village or make_village(), **fields)
    db.session.add(coop)
    db.session.flush()
    return coop


def make_household(coop: Cooperative, poor: bool = False) -> Household:
    i = n()
    hh = Household(coop=coop, joined_on=date(2020, 1, 1), head_name=f"户主{i}", village_id=coop.village_id,
                   members_count=4, poor_status="confirmed" if poor else "none",
                   poor_since_year=2015 if poor else None, registry_code=f"LN{i:012d}")
    db.session.add(hh)
    db.session.flush()
    return hh


def make_user(email: str | None = None, password: str = "secret-pass-1", **kw) -> User:
    user = User(email=email or f"user{n()}@example.test", display_name="Test", **kw)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def make_category() -> Category:
    i = n()
    cat = Category(slug=f"cat-{i}", name_zh=f"类别{i}", name_en=f"Category {i}", position=i)
    db.session.add(cat)
    db.session.flush()
    return cat


def make_product(coop: Cooperative | None = None, price_fen: int = 6800, units: int = 10,
                 households: list[Household] | None = None, published: bool = True,
                 name_zh: str | None = None, name_en: str | None = None, category: Category | None = None,
                 **kw) -> Product:
    """Make a product with one variant and one lot of `units`, shared equally by `households`."""
    i = n()
    coop = coop or make_coop()
    product = Product(coop=coop, category=category or make_category(), origin_village_id=coop.village_id,
                      slug=f"product-{i}", name_zh=name_zh or f"产品{i}", name_en=name_en or f"Product {i}",
                      description_zh="描述", description_en="Description", is_published=published, **kw)
    variant = Variant(product=product, sku=f"SKU-{i}", name_zh="1 kg", name_en="1 kg",
                      price_fen=price_fen, net_weight_g=1000)
    db.session.add_all([product, variant])
    db.session.flush()
    if units:
        add_lot(variant, units, households or [])
    return product


def add_lot(variant: Variant, units: int, households: list[Household], days_ago: int = 10) -> SupplyLot:
    """Add a lot whose shares split `units` over the households (remainder to the coop's own stock)."""
    i = n()
    lot = SupplyLot(variant=variant, trace_code=f"T-{i:06d}", units_received=units, units_remaining=units,
                    harvested_on=date(2025, 10, 1),
                    received_at=datetime.now(timezone.utc) - timedelta(days=days_ago))
    db.session.add(lot)
    each = units // len(households) if households else 0
    for hh in households:
        if each:
            db.session.add(LotShare(lot=lot, household=hh, units=each))
    if units - each * len(households):
        db.session.add(LotShare(lot=lot, household=None, units=units - each * len(households)))
    db.session.flush()
    return lot


def make_address(user: User) -> Address:
    address = Address(user_id=user.id, recipient="收件人", mobile="13912345678", province="北京市",
                      city="北京市", district="朝阳区", street="建国路 1 号")
    db.session.add(address)
    db.session.flush()
    return address


def make_cart(user: User, *items: tuple[Variant, int]):
    """Give the user a cart holding (variant, quantity) items."""
    from shop.cart.models import Cart, CartItem

    cart = Cart(user_id=user.id, items=[CartItem(variant_id=v.id, quantity=q) for v, q in items])
    db.session.add(cart)
    db.session.flush()
    return cart


def log_in(client, user_id: int) -> None:
    """Sign a test client in as the user, as Flask-Login would after a password check."""
    with client.application.app_context():
        session_id = db.session.get(User, user_id).get_id()
    with client.session_transaction() as sess:
        sess["_user_id"] = session_id
        sess["_fresh"] = True
