"""The Longnan demo data: complete, consistent, with pictures on disk, a year of history made by
the real services, and loaded only once. The module seeds once, with the full default history, on
SQLite or (with TEST_DATABASE_URL) on a fresh PostgreSQL database."""
import hashlib
import os
import time
from collections import Counter
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from shop.accounts.models import Address, User
from shop.catalog.models import Category, Product, ProductImage, Variant
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.households.models import Household
from shop.ledger.models import LedgerPosting, LedgerTransaction
from shop.orders.models import Allocation, Order, OrderLine, Shipment
from shop.payments.models import Payment, Refund, RefundLine
from shop.payouts.models import Handover, Payout, PayoutRun
from shop.places.models import County, Village
from shop.supply.models import LotAdjustment, LotShare, SupplyLot
from shop.seed_data import PRODUCTS
from shop.types import SHOP_TZ
from tests.conftest import fresh_app

MODELS = (County, Village, Category, Cooperative, Household, User, Address, Product, Variant, ProductImage,
          SupplyLot, LotShare, LotAdjustment, Order, Shipment, OrderLine, Allocation, Payment, Refund, RefundLine,
          PayoutRun, Payout, Handover, LedgerTransaction, LedgerPosting)
DEMO_BUYER = "buyer@demo.longnan.example"


@pytest.fixture(scope="module")
def seeded_app(tmp_path_factory):
    """An app on a fresh database with the demo data, and its default history, loaded once and committed."""
    with fresh_app(tmp_path_factory.mktemp("seed")) as app:
        with app.app_context():
            from shop.seed import seed_demo

            db.create_all()
            started, cpu = time.perf_counter(), time.process_time()
            assert seed_demo() is True
            db.session.commit()
            app.config["SEED_SECONDS"] = time.perf_counter() - started
            app.config["SEED_CPU_SECONDS"] = time.process_time() - cpu
            db.session.remove()
        yield app
        with app.app_context():
            db.drop_all()


@pytest.fixture
def session(seeded_app):
    with seeded_app.app_context():
        yield db.session
        db.session.rollback()
        db.session.remove()


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_seed_is_fast(seeded_app):
    """Under a minute on SQLite. Measured in CPU time, so that other jobs on a shared machine do not
    make it fail (on a quiet machine the wall time is about the same)."""
    if not seeded_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("the time limit is for SQLite")
    assert seeded_app.config["SEED_CPU_SECONDS"] < 60


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
    orders = list(session.scalars(select(Order).join(Order.buyer).where(User.email == DEMO_BUYER)))
    assert sorted(o.status for o in orders) == ["completed", "paid", "paid", "pending_payment"]
    assert all(abs(o.placed_at - orders[0].placed_at) < timedelta(minutes=5) for o in orders)  # placed now
    for order in session.scalars(select(Order)):
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
        assert all(lot.received_at.date() - timedelta(days=400) <= lot.harvested_on <= lot.received_at.date()
                   for lot in lots)


def test_every_product_has_two_or_three_pictures_of_its_own_on_disk(seeded_app, session):
    upload_dir = seeded_app.config["UPLOAD_DIR"]
    main_pictures = set()
    for product in session.scalars(select(Product)):
        assert 2 <= len(product.images) <= 3
        assert [i.position for i in product.images] == list(range(len(product.images)))
        assert product.images[0].alt_en == product.name_en and product.name_zh in product.images[1].alt_zh
        with Image.open(os.path.join(upload_dir, product.images[0].thumb_filename)) as thumb:
            main_pictures.add(thumb.convert("L").resize((16, 12)).tobytes())
        for image in product.images:
            _check_picture_files(upload_dir, image)
    assert len(main_pictures) == session.scalar(select(func.count()).select_from(Product))


def test_no_two_products_share_a_first_picture_and_no_product_repeats_one(seeded_app, session):
    """Hash the stored files: every published product has at least two pictures, its first one is its own
    (not byte-for-byte another product's), and its own pictures differ from each other."""
    upload_dir = seeded_app.config["UPLOAD_DIR"]
    first: dict[str, str] = {}
    for product in session.scalars(select(Product).where(Product.is_published)):
        assert len(product.images) >= 2, product.slug
        digests = []
        for image in product.images:
            with open(os.path.join(upload_dir, image.filename), "rb") as f:
                digests.append(hashlib.sha256(f.read()).hexdigest())
        assert len(set(digests)) == len(digests), product.slug
        assert digests[0] not in first, (product.slug, first.get(digests[0]))
        first[digests[0]] = product.slug
    assert len(first) == len(PRODUCTS)


def test_no_two_products_are_drawn_by_the_same_subject():
    """Each demo product has a drawing of its own: at most one product per category falls back to the
    category's drawing, and no two share an entry of SUBJECTS (look-alikes such as the three gastrodia
    or the four honeys in jars were once the same few drawings repeated)."""
    from shop.seed_pictures import CATEGORY_SUBJECTS, SUBJECTS

    drawn_by = Counter(id(SUBJECTS.get(p["slug"]) or CATEGORY_SUBJECTS[p["category"]]) for p in PRODUCTS)
    assert max(drawn_by.values()) == 1
    assert set(SUBJECTS) <= {p["slug"] for p in PRODUCTS}  # no drawing left for a product that is gone


def test_third_picture_shows_the_package_the_product_is_sold_in(session):
    by_slug = {p.slug: p for p in session.scalars(select(Product))}
    assert by_slug["cheng-thin-shell-walnuts"].images[2].alt_en.endswith("in its gift box")
    assert by_slug["wudu-olive-leaf-tea"].images[2].alt_en.endswith("in its tin")
    assert by_slug["li-rhubarb-slices"].images[2].alt_en.endswith("in its bag")
    assert by_slug["kang-acacia-honey"].images[2].alt_en.startswith("The village where")


def _check_picture_files(upload_dir, image):
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


# --- the year of history --------------------------------------------------------------------

def local_month(moment) -> str:
    return moment.astimezone(SHOP_TZ).strftime("%Y-%m")


def test_history_keeps_the_books_straight(session):
    from shop.ledger.check import check_ledger

    assert check_ledger() == []


def test_history_spans_a_year_of_orders_from_a_few_hundred_invented_buyers(session):
    history = list(session.scalars(select(Order).join(Order.buyer).where(User.email != DEMO_BUYER)))
    # Eleven whole months plus the days of this one (shop.seed_history.history_window): ~770 on a month's 6th.
    assert 650 <= len(history) <= 3000
    assert len({local_month(o.placed_at) for o in history}) >= 10
    buyers = list(session.scalars(select(User).where(User.email.like("buyer0%"))))
    assert 250 <= len(buyers) <= 350
    assert all(u.email.endswith("@demo.longnan.example") and u.addresses for u in buyers)
    assert len({u.display_name for u in buyers}) == len(buyers)
    assert all(not u.check_password("demo-buyer-2026") for u in buyers[:3])  # they never sign in
    statuses = Counter(o.status for o in history)
    assert statuses["completed"] > len(history) / 2
    assert {o.cancel_reason for o in history if o.status == "cancelled"} == {"expired", "buyer"}
    assert statuses["pending_payment"] == 0


def test_history_peaks_in_autumn_and_before_spring_festival(session):
    placed = [o.placed_at.astimezone(SHOP_TZ).date() for o in session.scalars(select(Order))]
    days = Counter((min(placed) + timedelta(days=n)).month for n in range((max(placed) - min(placed)).days + 1))
    orders = Counter(d.month for d in placed)

    def per_day(months):
        return sum(orders[m] for m in months) / sum(days[m] for m in months)

    assert per_day((9, 10, 11)) > 1.8 * per_day((6, 7, 8))
    assert per_day((1,)) > 1.3 * per_day((6, 7, 8))  # gifts in the weeks before Spring Festival


def test_history_lots_come_from_households_every_month_before_what_they_sell(session):
    lots = list(session.scalars(select(SupplyLot)))
    assert len({local_month(lot.received_at) for lot in lots}) >= 10
    taken = session.execute(select(SupplyLot.received_at, Order.placed_at)
                            .join(Allocation, Allocation.lot_id == SupplyLot.id)
                            .join(OrderLine, OrderLine.id == Allocation.line_id)
                            .join(Order, Order.id == OrderLine.order_id)).all()
    assert sum(received > placed + timedelta(hours=2) for received, placed in taken) == 0


def test_history_ships_with_real_carriers_and_settles_after_the_refund_window(seeded_app, session):
    shipped = list(session.scalars(select(Shipment).where(Shipment.shipped_at.is_not(None))))
    assert {s.carrier for s in shipped} == {"顺丰速运", "中通快递", "中国邮政 EMS", "京东物流"}
    assert all(s.tracking_no and s.shipped_at >= s.order.paid_at for s in shipped)
    settled = [s for s in shipped if s.status == "settled"]
    assert len(settled) > len(shipped) / 2
    window = timedelta(days=seeded_app.config["REFUND_WINDOW_DAYS"])
    assert all(s.delivered_at + window <= s.settled_at for s in settled)
    assert any(s.status == "awaiting_fulfilment" for s in session.scalars(select(Shipment)))  # work for today


def test_history_refunds_whole_orders_lines_with_restock_and_amounts(session):
    refunds = list(session.scalars(select(Refund)))
    assert all(r.status == "succeeded" for r in refunds)
    whole = [r for r in refunds if r.amount_fen == r.payment.amount_fen]
    lines = [r for r in refunds if r.restock and r.amount_fen < r.payment.amount_fen]
    amount = [r for r in refunds if all(rl.quantity == 0 for rl in r.lines)]
    assert len(whole) >= 3 and len(lines) >= 3 and len(amount) >= 3
    assert all(sum(rl.quantity for rl in r.lines) == 1 for r in lines)
    after_settlement = [r for r in refunds if any(
        s.settled_at is not None and s.settled_at < r.created_at for s in r.order.shipments)]
    assert len(after_settlement) >= 3


def test_history_pays_out_monthly_and_households_get_their_parts(session):
    from shop.payouts.services import list_waiting_handovers

    runs = list(session.scalars(select(PayoutRun).order_by(PayoutRun.created_at)))
    assert len({local_month(run.created_at) for run in runs}) >= 10
    paid = list(session.scalars(select(Payout).where(Payout.status == "paid")))
    assert len(paid) >= 50 and all(p.reference and p.paid_at >= p.created_at for p in paid)
    assert count(session, Handover) >= 500
    waiting = list_waiting_handovers(10_000)
    assert waiting, "some households still wait for the last payout"
    assert {payout.run_id for payout, _row in waiting} <= {run.id for run in runs[-2:]}  # older runs: all handed over
    for handover in session.scalars(select(Handover).limit(200)):
        payout = session.get(Payout, handover.payout_id)
        assert payout.paid_at.astimezone(SHOP_TZ).date() <= handover.handed_over_on


def test_history_window_is_whole_months_up_to_two_hours_ago(session):
    from datetime import datetime, timezone

    from shop.seed import seed_demo
    from shop.seed_history import history_window

    now = datetime(2026, 11, 30, 0, 22, tzinfo=timezone.utc)  # 08:22 in Longnan
    start, end = history_window(12, now)
    assert start.astimezone(SHOP_TZ).replace(tzinfo=None) == datetime(2025, 12, 1)
    assert end == now - timedelta(hours=2)
    assert history_window(1, now)[0].astimezone(SHOP_TZ).replace(tzinfo=None) == datetime(2026, 11, 1)
    for months in (0, 13):
        with pytest.raises(ValueError):
            history_window(months, now)
        with pytest.raises(ValueError):
            seed_demo(months)


def test_no_registry_code_phone_or_bank_account_is_stored_in_plaintext(seeded_app, session):
    """Every demo registry code, household phone and bank account, searched for in every text cell of
    every table as the database returns it (past the application's decryption), and in SQLite's file."""
    import re

    from shop.payouts.models import Payout as PayoutRow

    secrets = {v for h in session.scalars(select(Household)) for v in (h.registry_code, h.phone) if v}
    secrets |= {c.bank_account_no for c in session.scalars(select(Cooperative)) if c.bank_account_no}
    secrets |= {p.bank_account_no for p in session.scalars(select(PayoutRow)) if p.bank_account_no}
    assert len(secrets) > 100
    pattern = re.compile("|".join(re.escape(s) for s in sorted(secrets)))
    conn, found, cells = session.connection(), [], 0
    for table in db.metadata.sorted_tables:
        for row in conn.exec_driver_sql(f"SELECT * FROM {table.name}"):
            for cell in row:
                if isinstance(cell, str):
                    cells += 1
                    if pattern.search(cell):
                        found.append((table.name, cell[:40]))
    assert cells > 1000 and found == []
    url = seeded_app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///"):
        from pathlib import Path

        path = Path(url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())
        assert len(raw) > 100_000 and [s for s in secrets if s.encode() in raw] == []


def test_no_public_page_or_order_mail_of_the_demo_names_a_household(seeded_app, session):
    """Every public page (home, catalogue pages, each product, cooperative and lot trace page, the impact
    page and JSON) in both languages, and every kind of order mail for a spread of the demo's orders, searched
    for every household's name, registry code and phone."""
    from shop.orders.emails import paid_mail, placed_mail, refund_mail, shipped_mail

    secrets = set()
    for name, code, phone in session.execute(select(Household.head_name, Household.registry_code,
                                                    Household.phone)):
        secrets |= {value for value in (name, code, phone) if value and len(value) >= 2}
    assert len(secrets) > 100
    published = session.scalars(select(Product.slug).where(Product.is_published.is_(True))).all()
    coops = session.scalars(select(Cooperative.slug).where(Cooperative.status == "approved")).all()
    codes = session.scalars(select(SupplyLot.trace_code)).all()
    urls = (["/", "/products", "/products?page=2", "/coops", "/impact", "/impact.json"]
            + [f"/products/{slug}" for slug in published] + [f"/coops/{slug}" for slug in coops]
            + [f"/trace/{code}" for code in codes])
    client = seeded_app.test_client()
    leaks = []
    for language in ("zh", "en"):
        for url in urls:
            response = client.get(url, headers={"Accept-Language": language})
            assert response.status_code == 200, url
            body = response.get_data(as_text=True)
            leaks += [(url, s) for s in secrets if s in body]

    orders = session.scalars(select(Order.id).order_by(Order.id)).all()
    refunds = session.scalars(select(Refund.id).order_by(Refund.id)).all()
    shipments = session.scalars(select(Shipment.id).order_by(Shipment.id)).all()
    with seeded_app.test_request_context():
        mails = ([placed_mail(i) for i in orders[::25]] + [paid_mail(i) for i in orders[::10]]
                 + [refund_mail(i) for i in refunds[::3]] + [shipped_mail(i) for i in shipments[::10]])
    written = [m for m in mails if m is not None]
    assert len(written) > 40
    leaks += [(m.about, s) for m in written for s in secrets if s in m.text or s in m.html or s in m.subject]
    assert leaks == []
