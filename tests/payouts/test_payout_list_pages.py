"""The payout lists page 50 at a time, newest first, for staff (keeping the status filter) and for the cooperative."""
from shop.extensions import db
from shop.payouts.models import Payout
from tests.factories import log_in, make_coop, make_user

EN = {"Accept-Language": "en"}


def test_staff_and_the_coop_page_through_their_payouts(app, client):
    with app.app_context():
        coop = make_coop()
        db.session.add_all(Payout(coop_id=coop.id, amount_fen=100 + i, method="bank",
                                  status="paid" if i % 2 else "pending") for i in range(103))
        db.session.flush()
        staff, manager = make_user(is_staff=True).id, make_user(coop_id=coop.id).id
        db.session.commit()

    log_in(client, staff)
    first = client.get("/staff/payouts", headers=EN).get_data(as_text=True)
    assert first.count('href="/staff/payouts/') - first.count('href="/staff/payouts/runs') >= 50
    assert "¥2.02" in first and "¥1.52" not in first and 'href="/staff/payouts?page=2"' in first  # the newest 50
    third = client.get("/staff/payouts?page=3", headers=EN).get_data(as_text=True)
    assert "¥1.00" in third and "¥1.02" in third and "Older" not in third and "Newer" in third
    paid = client.get("/staff/payouts?status=paid", headers=EN).get_data(as_text=True)
    assert 'href="/staff/payouts?page=2&amp;status=paid"' in paid and "¥2.02" not in paid and "¥2.01" in paid
    assert client.get("/staff/payouts?page=99", headers=EN).status_code == 200

    log_in(client, manager)
    mine = client.get("/coop/payouts?page=2", headers=EN).get_data(as_text=True)
    assert "¥1.52" in mine and "¥1.53" not in mine and 'href="/coop/payouts?page=3"' in mine
