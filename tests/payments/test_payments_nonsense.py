"""With Stripe on, every payment and back-office money route answers nonsense without a server error."""
import pytest

from shop.extensions import db
from tests.factories import log_in, make_user
from tests.payments.conftest import make_pending_order

NONSENSE = {"q": "%00'\\", "page": "-1", "session_id": "cs_\x00'", "cancelled": "x", "mode": "bogus",
            "quantities-0": "-5", "quantities-9": "x", "amount": "1e9", "restock": "maybe", "token": "\x00" * 30,
            "reason": "a\x00b", "note": "\x00" * 400}


@pytest.mark.parametrize("who", ["buyer", "staff"])
def test_payment_routes_never_answer_500(app, fake_stripe, who):
    o = make_pending_order(app)
    with app.app_context():
        user_id = o["buyer_id"] if who == "buyer" else make_user(is_staff=True).id
        db.session.commit()
    client = app.test_client()
    log_in(client, user_id)
    numbers = (o["number"], "NOPE", "%00", "x" * 40)
    urls = [u for n in numbers for u in (f"/pay/{n}", f"/pay/{n}/return", f"/staff/orders/{n}",
                                         f"/staff/orders/{n}/refund")]
    urls += ["/staff/orders", "/staff/flags", "/staff/refunds/2147483647/retry", "/staff/flags/1/refund",
             "/staff/flags/1/resolve", "/payments/stripe/webhook"]
    for url in urls:
        for method in ("GET", "POST"):
            resp = client.open(url, method=method, query_string=NONSENSE, data=NONSENSE)
            assert resp.status_code < 500, f"{method} {url}: {resp.status_code}"
