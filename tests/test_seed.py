"""The Longnan demo data: complete, consistent, with pictures on disk, and loaded only once."""
import os
import time
from collections import Counter

import pytest
from PIL import Image
from sqlalchemy import func, select

from config import TestConfig
from shop import create_app
from shop.accounts.models import User
from shop.catalog.models import Category, Product, ProductImage, Variant
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.households.models import Household
from shop.places.models import County, Village
from shop.orders.models import Allocation, Order
from shop.supply.models import LotAdjustment, LotShare, SupplyLot

MODELS = (County, Village, Category, Cooperative, Household, User, Product, Variant, ProductImage,
          SupplyLot, LotShare, LotAdjustment)


@pytest.fixture(scope="module")
def seeded_app(tmp_path_factory):
    """An app on a fresh SQLite database with the demo data loaded once and committed."""
    tmp = tmp_path_factory.mktemp("seed")

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp / 'seed.sqlite3'}"
        UPLOAD_DIR = str(tmp / "uploads")

    app = create_app(Cfg)
    with app.app_context():
        from shop.seed import seed_demo

        db.create_all()
        started = time.perf_counter()
        assert seed_demo() is True
        db.session.commit()
        app.config["SEED_SECONDS"] = time.perf_counter() - started
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def session(seeded_app):
    with seeded_app.app_context():
        yield db.session
        db.session.rollback()
        db.session.remove()


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_seed_is_fast(seeded_app):
    assert seeded_app.config["SEED_SECONDS"] < 15


def test_nine_counties_and_villages_high_and_low(session):
    counties = {c.slug: c for c in session.scalars(select(County))}
    assert len(counties) == 9
    assert {c.name_zh for c in counties.values()} == {
        "武都区", "成县", "文县", "宕昌县", "康县", "西和县", "礼县", "徽县", "两当县"}
    villages = list(session.scalars(select(Village)))
    assert len(villages) >= 15
    assert all(v.name_zh.endswith("村") and v.name_en.endswith(" Village") for v in villages)
    assert any("麻沿河" in v.name_zh and v.county.slug == "hui" for v in villages)
    assert any(v.altitude_m >= 1800 and v.county.slug in {"tanchang", "wen", "li"} for v in villages)


def test_cooperatives_approved_and_pending(session):
    coops = list(session.scalars(select(Cooperative)))
    approved = [c for c in coops if c.status == "approved"]
    pending = [c for c in coops if c.status == "pending"]
    assert len(approved) >= 8 and len(pending) == 1
    for coop in approved:
        assert coop.approved_at is not None and coop.approved_at.tzinfo is not None
        assert 300 <= coop.commission_bp <= 800 and 500 <= coop.retention_bp <= 1500
        assert 800 <= coop.shipping_fee_fen <= 1500
        if coop.payout_method == "bank":
            assert coop.bank_name and coop.bank_account_name and coop.bank_account_no
        else:
            assert coop.stripe_account_id.startswith("acct_")
    assert pending[0].approved_at is None
    assert count(session, Product) == session.scalar(
        select(func.count()).select_from(Product).join(Product.coop).where(Cooperative.status == "approved"))


def test_households_about_forty_percent_registered_poor(session):
    households = list(session.scalars(select(Household)))
    assert len(households) >= 150
    confirmed = [h for h in households if h.poor_status == "confirmed"]
    assert 0.30 <= len(confirmed) / len(households) <= 0.50
    assert all(2014 <= h.poor_since_year <= 2016 for h in confirmed)
    assert len({h.registry_code for h in households}) == len(households)
    assert all(h.registry_code.startswith("LN") and len(h.registry_code) == 14 for h in households)
    assert all(h.phone is None or (len(h.phone) == 11 and h.phone.startswith("1")) for h in households)
    assert all(h.village.county_id == h.coop.village.county_id for h in households)
    per_coop = Counter(h.coop_id for h in households if h.coop.status == "approved")
    assert all(12 <= n <= 25 for n in per_coop.values())


def test_products_published_with_variants_and_lots(session):
    products = list(session.scalars(select(Product)))
    assert len(products) >= 40
    assert all(p.is_published for p in products)
    assert 6 <= sum(p.is_featured for p in products) <= 10
    assert all(1 <= len(p.variants) <= 3 for p in products)
    assert all(p.created_at.tzinfo is not None for p in products)
    variant_ids = set(session.scalars(select(Variant.id)))
    assert variant_ids == set(session.scalars(select(SupplyLot.variant_id)))
    skus = list(session.scalars(select(Variant.sku)))
    assert len(set(skus)) == len(skus)
    assert all(p.origin_village.county_id == p.coop.village.county_id for p in products)


def test_every_text_fits_its_column(session):
    """PostgreSQL enforces VARCHAR lengths that SQLite ignores."""
    for model in MODELS:
        for column in model.__table__.columns:
            length = getattr(column.type, "length", None)
            if length:
                longest = session.scalar(select(func.max(func.length(column))))
                assert (longest or 0) <= length, f"{model.__name__}.{column.name}"


def test_every_lot_is_shared_exactly_among_its_coops_households(session):
    lots = list(session.scalars(select(SupplyLot)))
    codes = [lot.trace_code for lot in lots]
    assert len(set(codes)) == len(codes)
    for lot in lots:
        assert lot.trace_code == lot.trace_code.upper() and len(lot.trace_code) <= 24
        assert 0 <= lot.units_remaining <= lot.units_received
        assert sum(s.units for s in lot.shares) == lot.units_received
        members = [s.household for s in lot.shares if s.household is not None]
        assert 2 <= len(members) <= 5
        assert len({h.id for h in members}) == len(members)
        assert sum(s.household is None for s in lot.shares) <= 1
        assert all(h.coop_id == lot.variant.product.coop_id for h in members)
        adjusted = sum(a for a in session.scalars(select(LotAdjustment.units_delta)
                                                  .where(LotAdjustment.lot_id == lot.id)))
        allocated = sum(session.scalars(select(Allocation.units).where(Allocation.lot_id == lot.id,
                                                                       Allocation.released_at.is_(None))))
        assert lot.units_remaining == lot.units_received + adjusted - allocated


def test_demo_orders_went_through_the_services_and_add_up(session):
    orders = list(session.scalars(select(Order)))
    assert sorted(o.status for o in orders) == ["completed", "paid", "paid", "pending_payment"]
    for order in orders:
        lines = order.lines
        assert order.total_fen == sum(x.commission_fen + x.retention_fen + x.household_pool_fen for x in lines) \
            + sum(s.shipping_fee_fen for s in order.shipments)
        for line in lines:
            assert sum(s.amount_fen for s in line.shares) == line.household_pool_fen


def test_one_variant_sold_out_and_one_nearly_gone(session):
    free = dict(session.execute(select(SupplyLot.variant_id, func.sum(SupplyLot.units_remaining))
                                .group_by(SupplyLot.variant_id)).all())
    assert sorted(free.values())[:2] == [0, 3]


def test_lots_arrive_in_harvest_order(session):
    for variant in session.scalars(select(Variant)):
        lots = list(session.scalars(select(SupplyLot).where(SupplyLot.variant_id == variant.id)
                                    .order_by(SupplyLot.id)))
        received = [lot.received_at for lot in lots]
        assert received == sorted(received) and len(set(received)) == len(received)
        assert all(lot.harvested_on.year in (2025, 2026) for lot in lots)
        assert all(lot.harvested_on <= lot.received_at.date() for lot in lots)


def test_every_product_has_a_picture_and_thumbnail_on_disk(seeded_app, session):
    upload_dir = seeded_app.config["UPLOAD_DIR"]
    for product in session.scalars(select(Product)):
        assert len(product.images) == 1
        image = product.images[0]
        for name, box in ((image.filename, (1600, 1600)), (image.thumb_filename, (480, 480))):
            with Image.open(os.path.join(upload_dir, name)) as picture:
                assert picture.format == "JPEG" and picture.mode == "RGB"
                assert picture.width <= box[0] and picture.height <= box[1]
                assert not picture.getexif()
                if name == image.filename:
                    assert picture.size == (image.width, image.height)


def test_demo_logins_work_with_their_roles(session):
    from shop.seed import DEMO_LOGINS

    users = {u.email: u for u in session.scalars(select(User))}
    roles = {}
    for role, email, password in DEMO_LOGINS:
        assert users[email].check_password(password)
        roles[role] = users[email]
    assert roles["admin"].is_admin and roles["admin"].is_staff
    assert roles["staff"].is_staff and not roles["staff"].is_admin
    assert roles["coop manager"].coop.slug == "cheng-hetaoping-walnut"
    assert roles["coop manager"].coop.village.county.slug == "cheng"
    assert not (roles["buyer"].is_staff or roles["buyer"].is_admin or roles["buyer"].coop_id)


def test_seeding_again_changes_nothing(seeded_app, session):
    from shop.seed import seed_demo

    before = {m.__name__: count(session, m) for m in MODELS}
    files = sorted(os.listdir(seeded_app.config["UPLOAD_DIR"]))
    assert seed_demo() is False
    session.flush()
    assert {m.__name__: count(session, m) for m in MODELS} == before
    assert sorted(os.listdir(seeded_app.config["UPLOAD_DIR"])) == files


def test_saved_picture_is_upright_flattened_downsized_and_without_metadata(seeded_app, session):
    from shop.catalog.images import save_product_image

    product = session.scalars(select(Product).order_by(Product.id)).first()
    photo = Image.new("RGBA", (3000, 2000), (200, 30, 30, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    exif[0x010F] = "Camera maker"
    source = os.path.join(os.path.dirname(seeded_app.config["UPLOAD_DIR"]), "upload.png")
    photo.save(source, exif=exif.tobytes())
    with Image.open(source) as opened:
        row = save_product_image(product, opened, alt_zh="图", alt_en="picture", position=1)
    assert row.id is not None and row.product_id == product.id
    assert (row.width, row.height) == (1067, 1600)  # turned upright, long side 1600
    assert row.filename.endswith(".jpg") and row.thumb_filename == row.filename[:-4] + "_t.jpg"
    with Image.open(os.path.join(seeded_app.config["UPLOAD_DIR"], row.filename)) as full:
        assert full.mode == "RGB" and not full.getexif() and "icc_profile" not in full.info
        assert full.getpixel((500, 800)) == pytest.approx((255, 255, 255), abs=3)  # transparency laid on white
    with Image.open(os.path.join(seeded_app.config["UPLOAD_DIR"], row.thumb_filename)) as thumb:
        assert max(thumb.size) == 480
