"""Review: Stripe Checkout takes at most 100 line items. A bigger cart must still be payable, for exactly
the order's total."""
from shop.ledger.check import check_ledger
from tests.factories import log_in
from tests.payments.conftest import get_order, make_pending_order


def test_an_order_with_more_than_100_line_items_can_still_be_paid_for_its_total(app, client, fake_stripe):
    o = make_pending_order(app, quantity=1, products=101)
    log_in(client, o["buyer_id"])
    resp = client.get(f"/pay/{o['number']}")
    assert resp.status_code == 302 and resp.headers["Location"].startswith(f"{fake_stripe.url}/pay/cs_test_")
    (params,) = [p for method, path, p, _key in fake_stripe.requests
                 if method == "POST" and path == "/v1/checkout/sessions"]
    items = params["line_items"]
    assert 1 <= len(items) <= 100
    assert sum(int(i["price_data"]["unit_amount"]) * int(i["quantity"]) for i in items) == o["total"]
    assert all(i["price_data"]["product_data"]["name"] for i in items)
    (session,) = fake_stripe.sessions.values()
    assert fake_stripe.deliver(fake_stripe.complete(session["id"])) == [200]
    with app.app_context():
        assert get_order(o["number"]).status == "paid" and check_ledger() == []
