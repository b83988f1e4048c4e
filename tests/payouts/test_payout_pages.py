"""The payout screens: staff run payouts, download the bank batch and confirm the transfer; the cooperative
sees the distribution statement and records each household's handover, once. Bad input is a 400 that
changes nothing; a failed payout retried pays once."""
import csv
import io
from dataclasses import replace
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from shop.extensions import db
from shop.households.models import HouseholdAccessLog
from shop.ledger.check import check_ledger
from shop.ledger.models import LedgerTransaction
from shop.payouts import services
from shop.payouts.models import Handover, PayoutRun
from shop.payouts.services import (PayoutError, build_statement, list_waiting_handovers, mark_payout_paid,
                                   record_handover, run_payouts)
from shop.supply.services import record_supply_lot
from shop.types import today_local
from tests.coops.test_fulfilment_builders import HARVEST, CoopWorld
from tests.factories import log_in
from tests.payouts.payout_world import EN, build, payouts, settled_sale
from tests.querycount import count_queries


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _run_as_staff(app, client, world) -> int:
    log_in(client, world.staff_id)
    page = client.post("/staff/payouts/run", headers=EN, follow_redirects=True).get_data(as_text=True)
    assert "Run " in page and "1 payout(s)" in page
    with app.app_context():
        (payout,) = payouts()
        return payout.id


def test_staff_run_download_confirm_then_the_coop_hands_every_part_over(app, client, monkeypatch):
    world = build(app, monkeypatch)
    payout_id = _run_as_staff(app, client, world)
    with app.app_context():
        (payout,) = payouts()
        amount, number, run_id = payout.amount_fen, payout.number, payout.run_id
        assert (payout.status, payout.method, payout.coop_id) == ("pending", "bank", world.coop_id)

    listing = client.get("/staff/payouts", headers=EN).get_data(as_text=True)
    assert number in listing and "Being sent" in listing and f"/staff/payouts/runs/{run_id}.csv" in listing
    assert number not in client.get("/staff/payouts?status=paid").get_data(as_text=True)

    batch = client.get(f"/staff/payouts/runs/{run_id}.csv")
    assert batch.status_code == 200 and batch.headers["Cache-Control"] == "no-store"
    assert batch.headers["Content-Disposition"] == f'attachment; filename="payout-run-{run_id}.csv"'
    rows = list(csv.reader(io.StringIO(batch.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == [["payee_name", "account_no", "bank_name", "amount_yuan", "reference"],
                    ["成县核桃合作社", "6228480000000000001", "成县农商银行", f"{amount // 100}.{amount % 100:02d}", number]]

    detail = client.get(f"/staff/payouts/{payout_id}", headers=EN).get_data(as_text=True)
    assert all(name in detail for name in world.head_names) and "Mark paid" in detail
    resp = client.post(f"/staff/payouts/{payout_id}/paid", data={"reference": " BOC-2026-0042 "}, headers=EN,
                       follow_redirects=True)
    assert resp.status_code == 200 and "is marked paid" in resp.get_data(as_text=True)
    with app.app_context():
        (payout,) = payouts()
        assert (payout.status, payout.reference) == ("paid", "BOC-2026-0042")
        assert check_ledger() == []
        logged = db.session.scalars(select(HouseholdAccessLog).where(
            HouseholdAccessLog.action == "view_payout_statement")).all()
        assert logged and all(log.user_id == world.staff_id for log in logged)
        assert set(logged[0].household_ids.split(",")) == {str(i) for i in world.household_ids}
    # the paid payout's transfer is no longer in the batch
    batch = client.get(f"/staff/payouts/runs/{run_id}.csv").get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(batch)))) == 1

    waiting = client.get("/staff/payouts/waiting", headers=EN).get_data(as_text=True)
    assert all(name in waiting for name in world.head_names) and number in waiting

    log_in(client, world.manager_id)
    for page in ("/coop", "/coop/earnings"):
        assert 'href="/coop/payouts"' in client.get(page).get_data(as_text=True), page
    assert number in client.get("/coop/payouts", headers=EN).get_data(as_text=True)
    statement = client.get(f"/coop/payouts/{payout_id}", headers=EN).get_data(as_text=True)
    assert all(name in statement for name in world.head_names) and "Record handover" in statement
    today = today_local().isoformat()
    for household_id in world.household_ids:
        resp = client.post(f"/coop/payouts/{payout_id}/handovers/{household_id}",
                           data={"handed_over_on": today, "method": "cash", "note": "村委会"}, headers=EN)
        assert resp.status_code == 302, resp.get_data(as_text=True)
    again = client.post(f"/coop/payouts/{payout_id}/handovers/{world.household_ids[0]}",
                        data={"handed_over_on": today, "method": "bank"}, headers=EN)
    assert again.status_code == 400 and "already recorded" in again.get_data(as_text=True)
    statement = client.get(f"/coop/payouts/{payout_id}", headers=EN).get_data(as_text=True)
    assert "Record handover" not in statement and statement.count("Cash") >= len(world.household_ids)
    printable = client.get(f"/coop/payouts/{payout_id}?print=1", headers=EN).get_data(as_text=True)
    assert "Signature" in printable and "<form method=\"post\" action=\"/coop/payouts" not in printable
    with app.app_context():
        handovers = db.session.scalars(select(Handover)).all()
        assert sorted(h.household_id for h in handovers) == sorted(world.household_ids)
        assert all(h.method == "cash" and h.recorded_by_id == world.manager_id for h in handovers)
        assert sum(h.amount_fen for h in handovers) <= amount

    log_in(client, world.staff_id)
    assert "Every household has received" in client.get("/staff/payouts/waiting", headers=EN).get_data(as_text=True)


def test_a_run_with_nobody_owed_creates_nothing_and_says_so(app, client, monkeypatch):
    world = build(app, monkeypatch)
    monkeypatch.setitem(app.config, "PAYOUT_MINIMUM_FEN", 10**9)
    log_in(client, world.staff_id)
    page = client.post("/staff/payouts/run", headers=EN, follow_redirects=True).get_data(as_text=True)
    assert "nothing was created" in page
    with app.app_context():
        assert payouts() == [] and _count(PayoutRun) == 0


def test_marking_paid_needs_a_reference_of_1_to_80_characters(app, client, monkeypatch):
    world = build(app, monkeypatch, run=True)
    with app.app_context():
        (payout,) = payouts()
    log_in(client, world.staff_id)
    for reference, said in (("", "Enter the bank's reference"), ("   ", "Enter the bank's reference"),
                            ("x" * 81, "1 to 80 characters"), ("\x00", "")):
        resp = client.post(f"/staff/payouts/{payout.id}/paid", data={"reference": reference}, headers=EN)
        assert resp.status_code == 400 and said in resp.get_data(as_text=True), reference
    resp = client.post(f"/staff/payouts/{payout.id}/failed", data={"reason": ""}, headers=EN)
    assert resp.status_code == 400 and "Say why the transfer failed" in resp.get_data(as_text=True)
    with app.app_context():
        (payout,) = payouts()
        assert (payout.status, payout.reference) == ("pending", "")
        assert _count(LedgerTransaction, LedgerTransaction.kind == "payout_paid") == 0


def test_failed_then_retried_pays_once(app, client, monkeypatch):
    world = build(app, monkeypatch, run=True)
    with app.app_context():
        (payout,) = payouts()
    log_in(client, world.staff_id)
    base = f"/staff/payouts/{payout.id}"
    assert client.post(f"{base}/failed", data={"reason": "account closed"}).status_code == 302
    assert client.post(f"{base}/paid", data={"reference": "TOO-EARLY"}, headers=EN).status_code == 400
    assert client.post(f"{base}/failed", data={"reason": "again"}).status_code == 400
    page = client.get(base, headers=EN).get_data(as_text=True)
    assert "account closed" in page and "Retry" in page and "Cancel payout" in page
    assert client.post(f"{base}/retry").status_code == 302
    assert client.post(f"{base}/retry", headers=EN).status_code == 400  # pending again: nothing to retry
    with app.app_context():
        (again,) = payouts()
        assert (again.status, again.attempt, again.failure_reason) == ("pending", 2, "")
    assert client.post(f"{base}/paid", data={"reference": "BOC-2"}).status_code == 302
    assert client.post(f"{base}/paid", data={"reference": "BOC-3"}).status_code == 400
    assert client.post(f"{base}/cancel").status_code == 400
    with app.app_context():
        (paid,) = payouts()
        assert (paid.status, paid.reference) == ("paid", "BOC-2")
        assert _count(LedgerTransaction, LedgerTransaction.kind == "payout_paid") == 1
        assert check_ledger() == []


def test_a_cancelled_payout_is_owed_again_and_joins_the_next_run(app, client, monkeypatch):
    world = build(app, monkeypatch, run=True)
    with app.app_context():
        (payout,) = payouts()
    log_in(client, world.staff_id)
    assert client.post(f"/staff/payouts/{payout.id}/cancel").status_code == 400  # only a failed one
    client.post(f"/staff/payouts/{payout.id}/failed", data={"reason": "wrong account"})
    assert client.post(f"/staff/payouts/{payout.id}/cancel").status_code == 302
    client.post("/staff/payouts/run")
    with app.app_context():
        first, second = payouts()
        assert (first.status, second.status, second.amount_fen) == ("cancelled", "pending", first.amount_fen)
        assert check_ledger() == []


def test_bad_handover_input_is_a_400_that_records_nothing(app, client, monkeypatch):
    world = build(app, monkeypatch, run=True)
    with app.app_context():
        (payout,) = payouts()
    url = f"/coop/payouts/{payout.id}/handovers/{world.household_ids[0]}"
    log_in(client, world.manager_id)
    today = today_local()
    resp = client.post(url, data={"handed_over_on": today.isoformat(), "method": "cash"}, headers=EN)
    assert resp.status_code == 400 and "Only a payout that has arrived" in resp.get_data(as_text=True)
    log_in(client, world.staff_id)
    client.post(f"/staff/payouts/{payout.id}/paid", data={"reference": "BOC-1"})
    log_in(client, world.manager_id)
    cases = [
        ({"handed_over_on": "31/12/2025", "method": "cash"}, "year-month-day"),
        ({"handed_over_on": "", "method": "cash"}, "Enter the date"),
        ({"handed_over_on": (today + timedelta(days=2)).isoformat(), "method": "cash"}, "between the payout and today"),
        ({"handed_over_on": "2001-01-01", "method": "cash"}, "between the payout and today"),
        ({"handed_over_on": today.isoformat(), "method": "cheque"}, "Choose cash or bank"),
        ({"handed_over_on": today.isoformat(), "method": "cash", "note": "x" * 201}, "at most 200"),
        ({"handed_over_on": "99999999999999999999", "method": "cash"}, "year-month-day"),
    ]
    for data, said in cases:
        resp = client.post(url, data=data, headers=EN)
        assert resp.status_code == 400 and said in resp.get_data(as_text=True), data
    other = f"/coop/payouts/{payout.id}/handovers/{world.other_household_id}"
    resp = client.post(other, data={"handed_over_on": today.isoformat(), "method": "cash"}, headers=EN)
    assert resp.status_code == 400 and "nothing to receive" in resp.get_data(as_text=True)
    with app.app_context():
        assert _count(Handover) == 0


def test_the_waiting_list_is_one_query_however_many_payouts(app, monkeypatch):
    monkeypatch.setitem(app.config, "PAYOUT_MINIMUM_FEN", 1)
    with app.app_context():
        for households in (2, 3, 1):
            world = CoopWorld(households=households)
            record_supply_lot(world.coop, world.variant.id, 10 * households, HARVEST,
                              [(h.id, 10) for h in world.households], world.manager.id)
            settled_sale(world, quantity=households)
        run_payouts()
        for payout in payouts():
            mark_payout_paid(payout.id, f"REF-{payout.id}")
        db.session.commit()
        expected = [(p.id, row) for p in payouts() for row in build_statement(p).waiting]
        db.session.expire_all()
        with count_queries(db.engine) as statements:
            waiting = list_waiting_handovers()
            names = [payout.coop.name_zh for payout, _row in waiting]
        assert len(statements) == 1 and len(names) == 6
        assert [(p.id, row) for p, row in waiting] == expected
        assert len(list_waiting_handovers(limit=4)) == 4


def test_a_handover_recorded_twice_at_the_same_moment_is_refused_not_a_server_error(app, monkeypatch):
    world = build(app, monkeypatch, run=True)
    real = services.build_statement
    # Both taps read the statement before either wrote: neither sees the other's handover.
    monkeypatch.setattr(services, "build_statement", lambda payout: replace(
        real(payout), households=[replace(row, handover=None) for row in real(payout).households]))
    with app.app_context(), force_locale("en"):
        (payout,) = payouts()
        mark_payout_paid(payout.id, "BOC-1")
        db.session.commit()
        payout = payouts()[0]
        record_handover(payout, world.household_ids[0], today_local(), "cash", world.manager_id)
        db.session.commit()
        with pytest.raises(PayoutError, match="already recorded"):
            record_handover(payout, world.household_ids[0], today_local(), "bank", world.manager_id)
        db.session.rollback()
        assert _count(Handover) == 1
