"""Set-up helpers for the catalogue tests: products with several sizes, lots, photos."""
from datetime import datetime, timedelta, timezone

from shop.catalog.models import Product, ProductImage, Variant
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.households.models import Household
from tests.factories import add_lot, make_coop, n

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def add_variant(product: Product, price_fen: int, units: int = 10, households: list[Household] | None = None,
                active: bool = True) -> Variant:
    """Add a size to a product, with one lot of `units` (none when 0)."""
    i = n()
    variant = Variant(product=product, sku=f"SKU-X{i}", name_zh=f"规格{i}", name_en=f"Size {i}",
                      price_fen=price_fen, net_weight_g=500, is_active=active)
    db.session.add(variant)
    db.session.flush()
    if units:
        add_lot(variant, units, households or [])
    return variant


def add_image(product: Product, position: int = 0) -> ProductImage:
    """Add a photo row (the files themselves are not needed to render the page)."""
    i = n()
    image = ProductImage(product=product, filename=f"photo{i}.jpg", thumb_filename=f"photo{i}_t.jpg",
                         width=1200, height=900, alt_zh=f"照片{i}", alt_en=f"Photo {i}", position=position)
    db.session.add(image)
    db.session.flush()
    return image


def days_ago(days: int) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=days)


def named_coop(name_en: str, **kw) -> Cooperative:
    """Make a cooperative with an English name of our choosing."""
    coop = make_coop(**kw)
    coop.name_en = name_en
    db.session.flush()
    return coop
