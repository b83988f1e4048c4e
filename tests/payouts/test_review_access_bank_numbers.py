"""A cooperative's bank account number is shown in full only as a logged reveal (docs/DOMAIN.md, Privacy):
the payout page shows it masked like the cooperative's page does, and downloading a run's bank file, which
must hold the numbers in full for the bank, is in the audit log with who and which run."""
from sqlalchemy import select

from shop.audit.models import AuditEvent
from shop.extensions import db
from tests.factories import log_in
from tests.payouts.payout_world import EN, build, payouts

ACCOUNT = "6228480000000000001"


def test_the_payout_page_masks_the_account_number(app, client, monkeypatch):
    world = build(app, monkeypatch, run=True)
    with app.app_context():
        (payout,) = payouts()
        payout_id = payout.id
    log_in(client, world.staff_id)
    page = client.get(f"/staff/payouts/{payout_id}", headers=EN).get_data(as_text=True)
    assert ACCOUNT not in page
    assert ACCOUNT[-4:] in page and "成县农商银行" in page


def test_downloading_the_bank_file_is_audited(app, client, monkeypatch):
    world = build(app, monkeypatch, run=True)
    with app.app_context():
        (payout,) = payouts()
        run_id = payout.run_id
    log_in(client, world.staff_id)
    batch = client.get(f"/staff/payouts/runs/{run_id}.csv")
    assert batch.status_code == 200 and ACCOUNT in batch.get_data(as_text=True)
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "payout_run_exported")).all()
        assert [(e.user_id, e.target) for e in events] == [(world.staff_id, f"run:{run_id}")]
    log = client.get("/staff/audit", headers=EN).get_data(as_text=True)
    assert "Downloaded a payout run&#39;s bank file" in log or "Downloaded a payout run's bank file" in log
