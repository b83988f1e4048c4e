"""Staff find an order by its number, the buyer's mobile or e-mail, a cooperative, a status and the
dates it was placed; bad input says what is wrong and never fails; the page has a fixed query budget."""
import re
from datetime import datetime, timezone

import pytest

from shop.extensions import db
from shop.orders.models import Order
from tests.coops.test_fulfilment_builders import place_paid_order
from tests.factories import add_lot, log_in, make_coop, make_household, make_product, make_user
from tests.querycount import count_queries

EN = {"Accept-Language": "en"}


@pytest.fixture()
def orders(app):
    """Three orders: two from one cooperative (one unpaid), one from another, placed on different days."""
    with app.app_context():
        staff = make_user(is_staff=True)
        variants = []
        for _ in range(2):
            coop = make_coop()
            variant = make_product(coop=coop, units=0).variants[0]
            add_lot(variant, 20, [make_household(coop)])
            variants.append(variant)
        alice = make_user(email="alice@example.com")
        first = place_paid_order(variants[0], 1, buyer=alice)
        second = place_paid_order(variants[0], 2, pay=False)
        second.mobile = "13700001111"
        third = place_paid_order(variants[1], 1)
        first.placed_at = datetime(2026, 3, 1, 16, 30, tzinfo=timezone.utc)  # 2 March in Shanghai
        second.placed_at = datetime(2026, 3, 5, 2, 0, tzinfo=timezone.utc)
        third.placed_at = datetime(2026, 4, 1, 2, 0, tzinfo=timezone.utc)
        db.session.commit()
        return {"staff": staff.id, "coops": [v.product.coop_id for v in variants],
                "numbers": [o.number for o in (first, second, third)]}


def _found(client, query: str) -> list[str]:
    page = client.get(f"/staff/orders?{query}", headers=EN)
    assert page.status_code == 200
    return sorted(set(re.findall(r'href="/staff/orders/([A-Z0-9]+)"', page.get_data(as_text=True))))


def test_search_by_number_mobile_email_coop_status_and_dates(app, client, orders):
    first, second, third = orders["numbers"]
    log_in(client, orders["staff"])
    assert _found(client, "") == sorted([first, second, third])
    assert _found(client, f"q={first[-6:]}") == [first]
    assert _found(client, "q=137-0000-1111") == [second]
    assert _found(client, "q=ALICE@example.com") == [first]
    assert _found(client, "q=nobody@example.com") == []
    assert _found(client, f"coop={orders['coops'][0]}") == sorted([first, second])
    assert _found(client, f"coop={orders['coops'][0]}&status=paid") == [first]
    assert _found(client, "status=pending_payment") == [second]
    # Shanghai dates: 16:30 UTC on 1 March is 2 March in Longnan.
    assert _found(client, "start=2026-03-02&end=2026-03-02") == [first]
    assert _found(client, "start=2026-03-01&end=2026-03-01") == []
    assert _found(client, "start=2026-03-03") == sorted([second, third])


@pytest.mark.parametrize("query, said", [
    ("start=2026-13-40", "Not a valid date value"), ("start=2026-03-05&end=2026-03-01", "must not be before"),
    ("coop=abc", "Invalid Choice"), ("coop=99999999999", "Invalid Choice"),
    ("status=teleported", "Not a valid choice"), ("q=" + "x" * 300, ""), ("q=%00%27%22<script>", ""),
    ("page=-3", ""), ("page=abc", "")])
def test_bad_search_says_so_and_never_fails(app, client, orders, query, said):
    log_in(client, orders["staff"])
    page = client.get(f"/staff/orders?{query}", headers=EN)
    assert page.status_code == 200
    assert said in page.get_data(as_text=True)
    assert "<script>" not in page.get_data(as_text=True).split("</form>")[0].split('value="')[-1]


def test_the_search_page_has_a_fixed_query_budget(app, client, orders):
    log_in(client, orders["staff"])

    def queries() -> int:
        with app.app_context():
            with count_queries(db.engine) as statements:
                assert client.get("/staff/orders?status=paid", headers=EN).status_code == 200
        return len(statements)

    queries()
    few = queries()
    with app.app_context():
        coop = make_coop()
        variant = make_product(coop=coop, units=0).variants[0]
        add_lot(variant, 20, [make_household(coop)])
        for _ in range(5):
            place_paid_order(variant, 1)
        db.session.commit()
    assert queries() == few <= 8


def test_orders_search_is_for_staff_only(app, client, orders):
    with app.app_context():
        buyer = make_user().id
        db.session.commit()
    log_in(client, buyer)
    assert client.get("/staff/orders?q=13700001111").status_code == 403


def test_the_order_page_shows_buyer_shipments_split_and_postings_and_logs_the_look(app, client, orders):
    from sqlalchemy import select

    from shop.households.models import Household, HouseholdAccessLog
    from shop.ledger.models import LedgerPosting

    first = orders["numbers"][0]
    log_in(client, orders["staff"])
    html = client.get(f"/staff/orders/{first}", headers=EN).get_data(as_text=True)
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.number == first))
        (line,) = order.lines
        (share,) = line.shares
        name = db.session.get(Household, share.household_id).head_name
        postings = db.session.scalars(select(LedgerPosting).where(LedgerPosting.order_id == order.id)).all()
        (log,) = db.session.scalars(select(HouseholdAccessLog).where(
            HouseholdAccessLog.action == "view_order_split")).all()
        assert log.user_id == orders["staff"] and log.household_ids == str(share.household_id)
    assert "alice@example.com" in html and "13912345678" in html and name in html
    assert "Where the money goes" in html and "Ledger postings" in html
    assert html.count('data-label="Account"') == len(postings) > 0
    assert "Household share (not yet settled)" in html and "Cash held by the platform" in html
