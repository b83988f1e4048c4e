"""Trace pages /trace/<code>: the figures come from the ledger (sales, a settled shipment, refunds), small
counts are hidden, no household is ever named, and unknown codes get a friendly 404 in the visitor's language."""
from datetime import date

import pytest
from sqlalchemy import func, select

from shop.coops.fulfilment import ship_shipment
from shop.extensions import db
from shop.households.models import Household
from shop.ledger.models import LedgerPosting
from shop.orders.services import confirm_receipt
from shop.payments.refunds import request_refund, settle_refund
from shop.payouts.settlement import settle_due_shipments
from shop.supply.models import SupplyLot
from shop.supply.services import record_supply_lot
from shop.trace.services import clean_trace_code, get_trace_page, lot_income
from tests.factories import log_in, make_coop, make_household, make_product, make_user, quick_user
from tests.ledger.ledger_world import Walnuts, after_refund_window, buy

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def _settle(order):
    for shipment in order.shipments:
        assert ship_shipment(shipment, "顺丰", "SF100200300")
        assert confirm_receipt(order, shipment.id)
    assert settle_due_shipments(after_refund_window()) == len(order.shipments)


def _refund(order, key, **kw):
    refund = request_refund(order, key=key, staff_id=None, **kw)
    assert settle_refund(refund.id)
    db.session.refresh(order)
    return refund


def _household_ledger(line_ids, account):
    """What the households earned on these lines in one account, summed straight from the postings."""
    return -int(db.session.scalar(select(func.coalesce(func.sum(LedgerPosting.amount_fen), 0)).where(
        LedgerPosting.line_id.in_(line_ids), LedgerPosting.account == account,
        LedgerPosting.household_id.is_not(None))))


def _sold_world():
    """The walnut lot of docs/DOMAIN.md with three orders: one settled then partly refunded, one pending and
    refunded one unit, one pending untouched."""
    w = Walnuts()
    settled = buy(quick_user(), (w.variant, 2))
    _settle(settled)
    _refund(settled, "after-settlement", mode="amount", amount_fen=2_500)
    pending = buy(quick_user(), (w.variant, 3))
    _refund(pending, "one-unit", mode="lines", quantities={pending.lines[0].id: 1})
    untouched = buy(quick_user(), (w.variant, 1))
    return w, settled, pending, untouched


def test_trace_figures_equal_the_ledger_after_sales_settlement_and_refunds(app, client):
    with app.app_context():
        w, settled, pending, untouched = _sold_world()
        db.session.commit()
        code = w.lot.trace_code
        settled_lines = [line.id for line in settled.lines]
        open_lines = [line.id for line in pending.lines + untouched.lines]
        all_lines = settled_lines + open_lines
        expected_settled = _household_ledger(all_lines, "household_payable")
        expected_pending = _household_ledger(all_lines, "household_pending")
        # The refunds really netted off: less than the households' frozen shares of what was sold.
        assert 0 < expected_settled < sum(line.household_pool_fen for line in settled.lines)
        assert 0 < expected_pending < sum(line.household_pool_fen for line in pending.lines + untouched.lines)
        assert _household_ledger(settled_lines, "household_pending") == 0  # settlement moved it all

        page = get_trace_page(code.lower())
        assert (page.income.settled_fen, page.income.pending_fen) == (expected_settled, expected_pending)
        assert page.units_received == 100 and page.units_sold == 6
        assert (page.households, page.poor_households) == (3, 1)

    html = client.get(f"/trace/{code}", headers=EN).get_data(as_text=True)
    for fen in (expected_settled, expected_pending, expected_settled + expected_pending):
        assert f"¥{fen // 100:,}.{fen % 100:02d}" in html
    assert "3 households contributed to this batch." in html
    assert "Fewer than three of them are registered poor." in html
    assert "<dd>100</dd>" in html and "<dd>6</dd>" in html


def test_a_line_from_two_lots_is_shared_between_them_to_the_fen(ctx):
    w = Walnuts(shares=(5, 3, 2))  # ten units
    newcomer = make_household(w.coop)
    second = record_supply_lot(w.coop, w.variant.id, 6, w.lot.harvested_on,
                               [(w.households[1].id, 3), (newcomer.id, 3)], w.manager.id)
    order = buy(quick_user(), (w.variant, 12))  # ten from the first lot, two from the second
    _refund(order, "part", mode="amount", amount_fen=1_999)
    lines = [line.id for line in order.lines]
    first, other = lot_income(w.lot.id), lot_income(second.id)
    assert first.settled_fen == other.settled_fen == 0
    assert first.pending_fen + other.pending_fen == _household_ledger(lines, "household_pending")
    assert first.pending_fen > 0 and other.pending_fen > 0
    # The second lot's households took 2 of 12 units: its part is about a sixth of the pool.
    assert abs(other.pending_fen * 6 - _household_ledger(lines, "household_pending")) <= 6


def test_a_fully_refunded_sale_brings_nothing(ctx):
    w = Walnuts()
    order = buy(quick_user(), (w.variant, 2))
    _refund(order, "all", mode="whole", restock=True)
    assert lot_income(w.lot.id).total_fen == 0
    assert get_trace_page(w.lot.trace_code).units_sold == 0


def test_small_counts_are_fewer_than_three(app, client):
    with app.app_context():
        coop = make_coop()
        two = make_product(coop=coop, units=10, households=[make_household(coop, poor=True) for _ in range(2)])
        all_poor = make_product(coop=coop, units=9, households=[make_household(coop, poor=True) for _ in range(3)])
        own_stock = make_product(coop=coop, units=4)
        none_poor = make_product(coop=coop, units=9, households=[make_household(coop) for _ in range(3)])
        one_poor = make_product(coop=coop, units=9, households=[make_household(coop, poor=i == 0) for i in range(3)])
        db.session.commit()
        codes = [db.session.scalar(select(SupplyLot.trace_code).where(SupplyLot.variant_id == p.variants[0].id))
                 for p in (two, all_poor, own_stock, none_poor, one_poor)]
        two_slug = two.slug

    few = client.get(f"/trace/{codes[0]}", headers=EN).get_data(as_text=True)
    assert "Fewer than three households contributed to this batch." in few
    assert "registered poor" not in few and "2 households" not in few
    zh = client.get(f"/trace/{codes[0]}", headers=ZH).get_data(as_text=True)
    assert "2 户" not in zh and "2户" not in zh
    many = client.get(f"/trace/{codes[1]}", headers=EN).get_data(as_text=True)
    assert "3 households contributed to this batch." in many and "3 of them are registered poor." in many
    own = client.get(f"/trace/{codes[2]}", headers=EN).get_data(as_text=True)
    assert "The cooperative supplied this batch from its own stock." in own
    # None registered poor reads like one or two: the page does not tell them apart.
    for code in codes[3:]:
        assert "Fewer than three of them are registered poor." in client.get(f"/trace/{code}", headers=EN).get_data(
            as_text=True)
    product = client.get(f"/products/{two_slug}", headers=EN).get_data(as_text=True)
    assert "Fewer than three households contributed to the batches on sale." in product


PRIVATE = {"head": "王秘密户主", "code": "LN620000999888", "phone": "13700001111"}


def _private_world(app):
    """A lot from one household with a distinctive name, registry code, phone and id, sold once."""
    with app.app_context():
        coop = make_coop()
        manager = make_user(coop_id=coop.id)
        hh = Household(id=987_654_321, coop=coop, joined_on=date(2020, 1, 1), head_name=PRIVATE["head"],
                       village_id=coop.village_id, members_count=3, poor_status="confirmed", poor_since_year=2016,
                       registry_code=PRIVATE["code"], phone=PRIVATE["phone"])
        db.session.add(hh)
        db.session.flush()
        product = make_product(coop=coop, units=0)
        lot = record_supply_lot(coop, product.variants[0].id, 20, date.today().replace(day=1), [(hh.id, 20)],
                                manager.id)
        buyer = make_user()
        order = buy(buyer, (product.variants[0], 2))
        db.session.commit()
        return lot.trace_code, product.slug, order.number, buyer.id


def test_no_household_detail_reaches_a_public_page(app, client):
    code, slug, number, buyer_id = _private_world(app)
    pages = [client.get(f"/trace/{code}", headers=h).get_data(as_text=True) for h in (EN, ZH)]
    pages.append(client.get(f"/products/{slug}", headers=EN).get_data(as_text=True))
    log_in(client, buyer_id)
    pages.append(client.get(f"/orders/{number}", headers=EN).get_data(as_text=True))
    assert code in pages[0] and code in pages[2] and code in pages[3]
    for html in pages:
        for secret in (*PRIVATE.values(), PRIVATE["code"][-6:], PRIVATE["phone"][-6:], "987654321"):
            assert secret not in html


@pytest.mark.parametrize("path", ["/trace/LN-NOPE-2025-99999", "/trace/not a code", "/trace/x/../y",
                                  "/trace/" + "A-1" * 40, "/trace/%E2%80%AE-1", "/trace/%25%27--1"])
def test_unknown_and_malformed_codes_get_a_friendly_404_in_the_visitors_language(app, client, path):
    from shop.trace.views import NOT_FOUND

    for headers, lang in ((EN, "en"), (ZH, "zh-CN")):
        resp = client.get(path, headers=headers)
        html = resp.get_data(as_text=True)
        with app.test_request_context("/", headers=headers):
            message = str(NOT_FOUND)  # the message as the catalogue translates it for this visitor
        assert resp.status_code == 404, path
        assert f'lang="{lang}"' in html and message in html and 'href="/"' in html
        assert "Traceback" not in html


def test_a_nul_byte_in_a_code_is_refused_cleanly(client):
    resp = client.get("/trace/LN-%00-1", headers=EN)
    assert resp.status_code in (400, 404) and "Traceback" not in resp.get_data(as_text=True)


def test_codes_are_cleaned_the_way_people_type_them():
    assert clean_trace_code(" ln-wudu-2026-00012 ") == "LN-WUDU-2026-00012"
    assert clean_trace_code("ＬＮ－ＷＵＤＵ－２０２６－０００１２") == "LN-WUDU-2026-00012"  # full-width, from an IME
    assert clean_trace_code("LN - WUDU - 2026") == "LN-WUDU-2026"
    for bad in ("", None, "walnuts", "核桃-1", "LN_1-2", "-12", "A" * 30 + "-1"):
        assert clean_trace_code(bad) is None


def test_a_lowercase_code_with_spaces_finds_its_page_with_dates_in_each_language(app, client):
    with app.app_context():
        lot = Walnuts().lot
        db.session.commit()
        code, harvested = lot.trace_code, lot.harvested_on
    resp = client.get(f"/trace/  {code.lower()}", headers=EN)
    en = resp.get_data(as_text=True)
    assert resp.status_code == 200 and code in en
    assert f"{harvested.day} {harvested:%B} {harvested.year}" in en
    zh = client.get(f"/trace/{code}", headers=ZH).get_data(as_text=True)
    assert f"{harvested.year}年{harvested.month}月{harvested.day}日" in zh
