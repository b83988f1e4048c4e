"""Review (bad input, i18n): back-office filters and forms given values a browser would not send answer with
a message (or the page again) and change nothing; never a server error. The audit CSV's columns are told
apart in Chinese too."""
import csv
import io

from sqlalchemy import select

from shop.audit.services import record_audit
from shop.coops.models import Cooperative
from shop.extensions import db
from tests.factories import log_in, make_coop, make_user

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh"}


def _staff(app, client):
    with app.app_context():
        staff_id = make_user(is_staff=True).id
        record_audit("payout_run", "payout_run:1", "1 payout(s), 100 fen", staff_id)
        db.session.commit()
    log_in(client, staff_id)


def test_an_audit_log_kind_of_spaces_is_a_search_to_check_not_a_server_error(app, client):
    _staff(app, client)
    for kind in ("   ", "\u3000", " money"):
        page = client.get("/staff/audit", query_string={"kind": kind}, headers=EN)
        assert page.status_code == 200, kind
        assert "Please check the search." in page.get_data(as_text=True)
        assert client.get("/staff/audit.csv", query_string={"kind": kind}).status_code == 400
    assert client.get("/staff/audit", query_string={"action": "  "}, headers=EN).status_code == 200
    assert "Payouts run" in client.get("/staff/audit?kind=money", headers=EN).get_data(as_text=True)


def test_the_audit_csv_names_each_column_differently_in_chinese(app, client):
    _staff(app, client)
    for headers in (ZH, EN):
        body = client.get("/staff/audit.csv", headers=headers).get_data(as_text=True).lstrip("\ufeff")
        header = next(csv.reader(io.StringIO(body)))
        assert len(set(header)) == len(header), header


def test_payout_details_posted_without_the_stripe_field_are_saved_not_a_server_error(app, client):
    with app.app_context():
        coop_id = make_coop(payout_method="bank", bank_name="甘肃农信", bank_account_name="成县合作社",
                            bank_account_no="6222020200112233445").id
        db.session.commit()
    _staff(app, client)
    resp = client.post(f"/staff/coops/{coop_id}/payout", data={
        "payout_method": "bank", "bank_name": "甘肃银行", "bank_account_name": "成县合作社", "bank_account_no": ""})
    assert resp.status_code == 302
    with app.app_context():
        coop = db.session.get(Cooperative, coop_id)
        assert (coop.bank_name, coop.stripe_account_id, coop.bank_account_no) == ("甘肃银行", "",
                                                                                  "6222020200112233445")
    # Stripe without its account, and the bank fields left out: refused with a message, nothing changed.
    refused = client.post(f"/staff/coops/{coop_id}/payout", data={"payout_method": "stripe"}, headers=EN)
    assert refused.status_code == 400
    assert "Please enter the Stripe account" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Cooperative.payout_method).where(Cooperative.id == coop_id)) == "bank"
