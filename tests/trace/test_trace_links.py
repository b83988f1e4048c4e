"""Ways to a trace page: the search boxes, the QR codes on labels and packing slips (always the configured public
host), the product page's lots and the order page; and the query budgets of the trace and product pages."""
import re

import segno
from flask import url_for
from sqlalchemy import select

from shop.extensions import db
from shop.supply.models import SupplyLot
from shop.supply.services import record_supply_lot
from shop.trace.services import qr_svg, trace_url
from tests.catalog.catalog_builders import add_variant
from tests.factories import add_lot, log_in, make_coop, make_household, make_product, make_user, quick_user
from tests.ledger.ledger_world import Walnuts, buy
from tests.querycount import page_queries

EN = {"Accept-Language": "en"}
TRACE_BUDGET = 7  # lot 1, household counts 1, villages 1, units sold 1, income 3 (allocations, shares, postings)
PRODUCT_BUDGET = 10  # as tests/catalog: the lots' villages are one query however many lots


def _log_in_at(client, user_id: int, host: str) -> None:
    """Sign the client in on a forged host name (the session cookie belongs to the host it was set on)."""
    from shop.accounts.models import User

    with client.application.app_context():
        session_id = db.session.get(User, user_id).get_id()
    with client.session_transaction(base_url=f"http://{host}") as sess:
        sess["_user_id"] = session_id
        sess["_fresh"] = True


def _walnut_code(app) -> tuple[str, int, int]:
    with app.app_context():
        w = Walnuts()
        db.session.commit()
        return w.lot.trace_code, w.manager.id, w.lot.id


def test_an_exact_trace_code_in_the_product_search_opens_its_page(app, client):
    code, _manager, _lot = _walnut_code(app)
    resp = client.get("/products", query_string={"q": f"  {code.lower()} "}, headers=EN)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/trace/{code}")
    assert client.get(resp.headers["Location"], headers=EN).status_code == 200
    # Anything else is a search as before: a code that is not issued, part of a code, a product name.
    for q in ("LN-NOPE-2025-00001", code[:-1], "成县薄皮核桃", "walnut"):
        page = client.get("/products", query_string={"q": q}, headers=EN)
        assert page.status_code == 200, q
    assert "成县薄皮核桃" in client.get("/products", query_string={"q": "核桃"}).get_data(as_text=True)


def test_the_home_page_has_a_plain_search_form_for_trace_codes(app, client):
    html = client.get("/", headers=EN).get_data(as_text=True)
    form = re.search(r'<form method="get" action="/products"[^>]*>(.*?)</form>', html, re.S)
    assert form and 'name="q"' in form.group(1) and 'type="submit"' in form.group(1)


def test_the_lot_label_carries_the_qr_of_the_public_address_whatever_the_host_header(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://shop.example.cn")
    code, manager_id, lot_id = _walnut_code(app)
    expected = f"https://shop.example.cn/trace/{code}"
    with app.test_request_context("/", headers={"Host": "evil.example"}):
        assert trace_url(code) == expected
    _log_in_at(client, manager_id, "evil.example")
    html = client.get(f"/coop/lots/{lot_id}/label", headers={**EN, "Host": "evil.example"}).get_data(as_text=True)
    svg = segno.make(expected, error="m").svg_inline(scale=3, border=2, omitsize=True, title=expected)
    assert svg in html and str(qr_svg(expected)) == svg
    assert "evil.example" not in html
    assert 'data-print hidden' in html and "js/print.js" in html


def test_the_packing_slip_has_one_qr_per_lot_of_the_shipment(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://shop.example.cn")
    with app.app_context():
        w = Walnuts(shares=(2, 1, 1))  # four units
        second = record_supply_lot(w.coop, w.variant.id, 5, w.lot.harvested_on, [(w.households[0].id, 5)],
                                   w.manager.id)
        order = buy(quick_user(), (w.variant, 6))  # four from the first lot, two from the second
        db.session.commit()
        codes, manager_id, shipment_id = [w.lot.trace_code, second.trace_code], w.manager.id, order.shipments[0].id
    _log_in_at(client, manager_id, "evil.example")
    html = client.get(f"/coop/shipments/{shipment_id}", headers={**EN, "Host": "evil.example"}).get_data(as_text=True)
    for code in codes:
        url = f"https://shop.example.cn/trace/{code}"
        assert segno.make(url, error="m").svg_inline(scale=3, border=2, omitsize=True, title=url) in html
    assert html.count('class="segno"') == 2 and "evil.example" not in html


def test_product_and_order_pages_link_the_lots_trace_pages(app, client):
    with app.app_context():
        coop = make_coop()
        here, elsewhere = make_household(coop), make_household(make_coop())
        elsewhere.coop_id = coop.id  # a member living in another village
        product = make_product(coop=coop, units=4, households=[here])
        other = add_lot(product.variants[0], 6, [elsewhere], days_ago=5)
        sold_out = add_lot(product.variants[0], 2, [here], days_ago=20)
        buyer = make_user()
        order = buy(buyer, (product.variants[0], 3))  # takes the oldest lot (2) then one of the next
        db.session.commit()
        lots = {lot.trace_code: lot.units_remaining for lot in db.session.scalars(
            select(SupplyLot).where(SupplyLot.variant_id == product.variants[0].id))}
        villages = [hh.village.name_en for hh in (here, elsewhere)]
        slug, number, buyer_id = product.slug, order.number, buyer.id
        with app.test_request_context():
            links = {code: url_for("trace.lot", code=code) for code in lots}
        sold_out_code = sold_out.trace_code
        assert other.units_remaining == 6
    page = client.get(f"/products/{slug}", headers=EN).get_data(as_text=True)
    for code, remaining in lots.items():
        assert (f'href="{links[code]}"' in page) == (remaining > 0)
    assert all(village in page for village in villages)
    assert "The units on sale come from:" in page
    log_in(client, buyer_id)
    detail = client.get(f"/orders/{number}", headers=EN).get_data(as_text=True)
    assert f'href="{links[sold_out_code]}"' in detail


def _queries(app, client, url: str) -> int:
    return page_queries(app, client, url, EN)


def test_the_trace_page_costs_the_same_for_one_sale_and_many(app, client):
    with app.app_context():
        w = Walnuts()
        buy(quick_user(), (w.variant, 1))
        db.session.commit()
        code = w.lot.trace_code
    few = _queries(app, client, f"/trace/{code}")
    with app.app_context():
        w_variant = db.session.get(SupplyLot, w.lot.id).variant
        for quantity in (1, 2, 3, 4, 5, 6):
            buy(quick_user(), (w_variant, quantity))
        db.session.commit()
    many = _queries(app, client, f"/trace/{code}")
    assert few == many <= TRACE_BUDGET, (few, many)


def test_the_product_page_costs_the_same_for_one_lot_and_many_villages(app, client):
    with app.app_context():
        coop = make_coop()
        one = make_product(coop=coop, units=5, households=[make_household(coop)])
        many = make_product(coop=coop, units=5, households=[make_household(coop)])
        for i in range(6):
            member = make_household(make_coop())
            member.coop_id = coop.id
            add_lot(many.variants[0], 3, [member, make_household(coop)], days_ago=i)
        add_variant(many, price_fen=9900, units=4, households=[make_household(coop)])
        db.session.commit()
        slugs = one.slug, many.slug
    counts = [_queries(app, client, f"/products/{slug}") for slug in slugs]
    assert counts[0] == counts[1] <= PRODUCT_BUDGET, counts
