"""Review: the buyer's order page and the paid mail must tell the same (privacy-safe) household count."""
from shop.extensions import db
from shop.payments.services import mark_paid
from tests.factories import log_in
from tests.mail.conftest import grown_by, load_order, place

EN = {"Accept-Language": "en"}


def test_the_order_page_says_fewer_than_three_households_like_the_receipt(app, client, outbox):
    """The receipt says "fewer than three farming households" (FEWEST_HOUSEHOLDS_NAMED), but the order page
    it links to says "Your order supports 1 farming household in <village>": the count the mail hides,
    next to the village that points at the family."""
    with app.app_context():
        placed = place(grown_by((1,)), locale="en")
        order = load_order(placed.order_id)
        assert mark_paid(order, "demo", f"demo_{order.number}", order.total_fen, order.currency)
        db.session.commit()
    log_in(client, placed.buyer_id)
    html = client.get(f"/orders/{placed.number}", headers=EN).get_data(as_text=True)
    assert "supports 1 farming household" not in html
    assert "fewer than three farming households" in html
