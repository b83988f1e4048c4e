"""Erasure (PIPL): staff anonymise a household that left, keeping its income under a pseudonym so every total
stays true; a buyer deletes their account, keeping the orders without name or address. Item 19."""
from datetime import date

import pytest
from sqlalchemy import func, select, text

from shop.accounts.models import Address, User
from shop.accounts.services import DeletionRefused, delete_account
from shop.audit.models import AuditEvent
from shop.cart.models import Cart
from shop.coops.fulfilment import ship_shipment
from shop.extensions import db
from shop.households.models import Household, HouseholdAccessLog
from shop.households.services import anonymise_household
from shop.ledger.check import check_ledger
from shop.orders.models import Order
from shop.orders.services import confirm_receipt
from shop.payouts.settlement import settle_due_shipments
from shop.reports.income import IncomeFilter, build_income_report
from shop.supply.services import NotOwned, record_supply_lot
from tests.factories import log_in, make_address
from tests.ledger.ledger_world import Walnuts, after_refund_window, buy, quick_user
from tests.reports.income_world import IncomeWorld

EN = {"Accept-Language": "en"}
NAME, CODE, PHONE = "赵铁柱", "LN-621200-7777", "13800007777"


def _report(group: str):
    report = build_income_report(IncomeFilter(), group)
    return report.total_fen, report.poor_total_fen, report.households, {r.key: r.income_fen for r in report.rows}


@pytest.fixture()
def leaving(app):
    """The income world, with one household that sold (h1, registered poor) given a name, code and phone."""
    with app.app_context():
        w = IncomeWorld()
        h1 = w.households[0]
        h1.head_name, h1.registry_code, h1.phone = NAME, CODE, PHONE
        buyer = quick_user()
        db.session.commit()
        return {"staff": w.staff.id, "manager": w.managers[0].id, "buyer": buyer.id, "id": h1.id,
                "coop": w.coops[0].id, "variant": w.variants[0].id}


def test_anonymising_erases_the_identity_and_keeps_every_total(app, client, leaving, is_postgres):
    hid = leaving["id"]
    with app.app_context():
        before = {group: _report(group) for group in ("household", "village", "county", "coop", "poor")}
        assert before["household"][3][hid] > 0
    log_in(client, leaving["staff"])
    refused = client.post(f"/staff/households/{hid}/anonymise", data={}, headers=EN, follow_redirects=True)
    assert "Please tick the box to confirm." in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Household, hid).head_name == NAME  # nothing changed without the tick

    done = client.post(f"/staff/households/{hid}/anonymise", data={"confirm": "y"}, headers=EN, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert f"it is now H{hid:06d}" in page and NAME not in page and "Edit household" not in page
    with app.app_context():
        h = db.session.get(Household, hid)
        assert (h.head_name, h.registry_code, h.phone, h.registry_code_index) == (f"H{hid:06d}", "", None, None)
        assert h.anonymised_at is not None and h.poor_status == "confirmed"  # poor totals stay true
        assert {group: _report(group) for group in before} == before
        assert check_ledger() == []
        rows = {r.key: r for r in build_income_report(IncomeFilter(), "household").rows}
        assert rows[hid].name_zh == f"H{hid:06d}"
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "household_anonymised",
                                        AuditEvent.target == f"household:{hid}")) == 1
        assert db.session.scalar(select(func.count()).select_from(HouseholdAccessLog)
                                 .where(HouseholdAccessLog.action == "anonymise")) == 1
        # Nowhere in the raw tables, not even encrypted (the column holds an empty string now).
        raw = db.session.execute(text("SELECT head_name, registry_code, phone FROM households WHERE id = :i"),
                                 {"i": hid}).one()
        assert tuple(raw) == (f"H{hid:06d}", "", None)
        # A second submit (or a race lost) changes nothing and writes no second event.
        assert anonymise_household(hid, leaving["staff"]) is None
    again = client.post(f"/staff/households/{hid}/anonymise", data={"confirm": "y"}, headers=EN, follow_redirects=True)
    assert "already anonymised" in again.get_data(as_text=True)
    edit = client.get(f"/staff/households/{hid}/edit", headers=EN, follow_redirects=True)
    assert "can no longer be changed" in edit.get_data(as_text=True)
    assert client.get(f"/staff/households?name={NAME}", headers=EN).get_data(as_text=True).count(
        f'href="/staff/households/{hid}"') == 0


def test_a_departed_household_is_a_former_member_and_gets_no_new_lots(app, client, leaving):
    hid = leaving["id"]
    with app.app_context():
        anonymise_household(hid, leaving["staff"])
        db.session.commit()
    log_in(client, leaving["manager"])
    members = client.get("/coop/members", headers=EN).get_data(as_text=True)
    assert "Former members" in members and f"H{hid:06d}" in members
    assert f'href="/coop/members/{hid}"' not in members
    edit = client.post(f"/coop/members/{hid}", data={"head_name": "新名字"}, headers=EN, follow_redirects=True)
    assert "cannot be changed" in edit.get_data(as_text=True)
    lot_form = client.get("/coop/lots/new", headers=EN).get_data(as_text=True)
    assert f"H{hid:06d}" not in lot_form and "Household" in lot_form
    with app.app_context():
        assert db.session.get(Household, hid).head_name == f"H{hid:06d}"
        coop = db.session.get(Household, hid).coop
        with pytest.raises(NotOwned):
            record_supply_lot(coop, leaving["variant"], 2, date(2026, 9, 1), [(hid, 2)], leaving["manager"])


def test_only_staff_may_anonymise(app, client, leaving):
    hid = leaving["id"]
    for who in ("buyer", "manager"):
        log_in(client, leaving[who])
        assert client.post(f"/staff/households/{hid}/anonymise", data={"confirm": "y"}).status_code in (403, 404)
    with app.app_context():
        assert db.session.get(Household, hid).head_name == NAME


# --- a buyer deletes their account ------------------------------------------------------------------------

def _finished(w: Walnuts, buyer) -> Order:
    order = buy(buyer, (w.variant, 1))
    (shipment,) = order.shipments
    assert ship_shipment(shipment, "EMS", "EMS1234567890")
    assert confirm_receipt(order, shipment.id)
    return order


def test_a_buyer_deletes_their_account_and_the_orders_stay_without_them(app, client):
    with app.app_context():
        w = Walnuts()
        buyer = quick_user()
        buyer.set_password("secret-pass-1")
        order = _finished(w, buyer)
        make_address(buyer)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Cart).where(Cart.user_id == buyer.id)) == 1
        ids = {"buyer": buyer.id, "order": order.id, "email": buyer.email, "total": order.total_fen}
    log_in(client, ids["buyer"])
    profile = client.get("/account", headers=EN).get_data(as_text=True)
    assert 'href="/account/delete"' in profile

    open_page = client.post("/account/delete", data={"current_password": "secret-pass-1"}, headers=EN)
    assert open_page.status_code == 400
    assert "still in progress" in open_page.get_data(as_text=True)  # delivered but not yet settled
    with app.app_context():
        assert settle_due_shipments(after_refund_window()) == 1
        db.session.commit()
    wrong = client.post("/account/delete", data={"current_password": "not-my-pass"}, headers=EN)
    assert wrong.status_code == 400 and "That is not your password." in wrong.get_data(as_text=True)

    done = client.post("/account/delete", data={"current_password": "secret-pass-1"}, headers=EN,
                       follow_redirects=True)
    assert "Your account is deleted." in done.get_data(as_text=True)
    assert client.get("/account").status_code == 302  # signed out
    assert client.post("/account/login", data={"email": ids["email"], "password": "secret-pass-1"},
                       headers=EN).status_code == 200  # the login form again: no such account any more
    with app.app_context():
        user = db.session.get(User, ids["buyer"])
        assert (user.email, user.display_name, user.is_active) == (f"deleted-{user.id}@invalid", "", False)
        assert not user.check_password("secret-pass-1")
        assert db.session.scalar(select(func.count()).select_from(Address).where(Address.user_id == user.id)) == 0
        assert db.session.scalar(select(func.count()).select_from(Cart).where(Cart.user_id == user.id)) == 0
        order = db.session.get(Order, ids["order"])
        assert (order.recipient, order.mobile, order.street) == ("", "", "")
        assert order.address_purged_at is not None and order.total_fen == ids["total"]
        assert check_ledger() == []
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "account_deleted")) == 1


def test_staff_and_managers_cannot_delete_themselves_and_a_pending_order_blocks(app):
    with app.app_context():
        w = Walnuts()
        manager = db.session.get(User, w.manager.id)
        manager.set_password("secret-pass-1")
        buyer = quick_user()
        buyer.set_password("secret-pass-1")
        unpaid = buy(buyer, (w.variant, 1), pay=False)
        db.session.commit()
        with pytest.raises(DeletionRefused):
            delete_account(manager.id, "secret-pass-1")
        db.session.rollback()
        with pytest.raises(DeletionRefused) as refused:
            delete_account(buyer.id, "secret-pass-1")
        assert refused.value.open_orders == [unpaid.number]
        db.session.rollback()
        assert db.session.get(User, buyer.id).is_active
