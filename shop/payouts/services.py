"""Payouts: one per cooperative whose settled, unpaid balance reaches PAYOUT_MINIMUM_FEN, covering
exactly the payable postings it pays (the ledger moves them to money in transit in the same
transaction). Bank transfers are confirmed by staff with the bank's reference; Stripe Connect
transfers are sent after commit with an idempotency key per try. Every transition is a conditional
UPDATE, so a payout is paid once however often a run, a retry or a click repeats."""
import csv
import io
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, selectinload

from shop.audit.services import record_audit
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.households.models import Household
from shop.households.services import log_household_access
from shop.ledger.models import PAYABLE, LedgerPosting, LedgerTransaction
from shop.ledger.services import payable_balances, post_payout, post_payout_cancelled, post_payout_paid
from shop.money import fen_to_yuan_str
from shop.payouts.models import HANDOVER_METHODS, Handover, Payout, PayoutRun
from shop.spreadsheet import spreadsheet_safe
from shop.types import SHOP_TZ, today_local, utcnow




class PayoutError(Exception):
    """The payout action cannot be done; the message is for the user. The caller rolls back."""


def _payee(coop: Cooperative) -> dict:
    stripe = coop.payout_method == "stripe" and bool(coop.stripe_account_id)
    return {"method": "stripe" if stripe else "bank", "payee_name": coop.bank_account_name or coop.name_zh,
            "bank_name": coop.bank_name, "bank_account_no": coop.bank_account_no,
            "stripe_account_id": coop.stripe_account_id if stripe else ""}


def run_payouts(staff_id: int | None = None) -> PayoutRun | None:
    """Create a payout for every cooperative owed at least PAYOUT_MINIMUM_FEN, and a reversal of an earlier
    Stripe transfer for every Stripe cooperative that owes the platform after refunds; flush. None if
    nothing is due. Sending is separate (send_pending_stripe_payouts), so a run holds no lock while Stripe
    answers."""
    minimum = max(1, current_app.config["PAYOUT_MINIMUM_FEN"])
    coop_ids = db.session.scalars(select(LedgerPosting.coop_id).where(LedgerPosting.account.in_(PAYABLE))
                                  .distinct().order_by(LedgerPosting.coop_id)).all()
    run, made = None, []
    for coop_id in coop_ids:
        # One payout run at a time per cooperative: the second waits here, then sees the first's postings.
        coop = db.session.scalar(select(Cooperative).where(Cooperative.id == coop_id).with_for_update())
        balances = payable_balances(coop_id)
        total = sum(owed for _, _, owed in balances)
        payee = _payee(coop)
        if total >= minimum:
            values = {"kind": "transfer", "amount_fen": total}
        elif total < 0 and payee["method"] == "stripe" and (transfer := _reversible_transfer(coop_id, -total)):
            values = {"kind": "reversal", "amount_fen": -total, "reverses_id": transfer.id}
        else:
            continue  # below the minimum, or owed back by a bank cooperative: the next payouts deduct it
        if run is None:
            run = PayoutRun(created_by_id=staff_id)
            db.session.add(run)
            db.session.flush()
        payout = Payout(run_id=run.id, coop_id=coop_id, **values, **payee)
        db.session.add(payout)
        db.session.flush()
        made.append(payout.signed_fen)
        post_payout(payout.id, coop_id, balances)
    if run is not None:
        record_audit("payout_run", f"payout_run:{run.id}", f"{len(made)} payout(s), {sum(made)} fen", staff_id)
    return run


def _reversible_transfer(coop_id: int, fen: int) -> Payout | None:
    """The cooperative's newest paid Stripe transfer with at least fen not yet reversed (or being reversed)."""
    reversal = aliased(Payout)
    taken_back = (select(func.coalesce(func.sum(reversal.amount_fen), 0))
                  .where(reversal.reverses_id == Payout.id, reversal.status != "cancelled").scalar_subquery())
    return db.session.scalar(select(Payout).where(
        Payout.coop_id == coop_id, Payout.kind == "transfer", Payout.method == "stripe", Payout.status == "paid",
        Payout.reference != "", Payout.amount_fen - taken_back >= fen).order_by(Payout.id.desc()).limit(1))


def _move(payout_id: int, from_status: str, **values) -> bool:
    return db.session.execute(update(Payout).where(Payout.id == payout_id, Payout.status == from_status)
                              .values(**values).execution_options(synchronize_session=False)).rowcount == 1


def mark_payout_paid(payout_id: int, reference: str) -> bool:
    """Record that a pending payout reached the cooperative, with the bank's or Stripe's reference, once."""
    if not _move(payout_id, "pending", status="paid", reference=reference[:80], paid_at=utcnow()):
        return False
    payout = db.session.get(Payout, payout_id, populate_existing=True)
    post_payout_paid(payout.id, payout.coop_id, payout.signed_fen)
    return True


def mark_payout_failed(payout_id: int, reason: str) -> bool:
    """Record that a pending payout did not arrive; its money stays set aside until retried or cancelled."""
    return _move(payout_id, "pending", status="failed", failure_reason=reason[:300], failed_at=utcnow())


def retry_payout(payout_id: int) -> bool:
    """Send a failed payout again (a new try, with the cooperative's current payee details), once. A reversal
    keeps its payee: it can only take money back from its Stripe transfer, never become a bank payment."""
    payout = db.session.get(Payout, payout_id)
    if payout is None:
        return False
    payee = {} if payout.kind == "reversal" else _payee(db.session.get(Cooperative, payout.coop_id))
    return _move(payout_id, "failed", status="pending", attempt=payout.attempt + 1, failure_reason="", failed_at=None,
                 **payee)


def cancel_payout(payout_id: int) -> bool:
    """Give up a failed payout: what it covered is owed again and joins the next run, once."""
    if not _move(payout_id, "failed", status="cancelled"):
        return False
    post_payout_cancelled(payout_id)
    return True


def send_stripe_payout(payout: Payout, user_id: int | None = None) -> str:
    """Send a pending Stripe payout as a Connect transfer (or a reversal of one) and record the answer,
    audited as sent by user_id (None for cron); commits (nothing locked)."""
    from shop.payments import stripe_gateway as gateway

    if payout.method != "stripe" or payout.status != "pending":
        return payout.status
    payout_id, key, metadata = payout.id, payout.idempotency_key, {"payout_id": str(payout.id)}
    fen = payout.signed_fen
    if payout.kind == "reversal":
        transfer_id = payout.reverses.reference
        call = (gateway.create_transfer_reversal, transfer_id, {"amount": payout.amount_fen, "metadata": metadata}, key)
        find = (gateway.find_transfer_reversal, transfer_id, payout_id)
    else:
        call = (gateway.create_transfer, {"amount": payout.amount_fen, "currency": "cny",
                                          "destination": payout.stripe_account_id,
                                          "transfer_group": f"payout-{payout_id}", "metadata": metadata}, key)
        find = (gateway.find_transfer, payout_id)
    key_may_be_gone = payout.created_at < utcnow() - gateway.KEY_KEPT
    db.session.commit()
    if key_may_be_gone:  # sent again later (a retry, the cron): the old key may no longer find what it made
        try:
            answer = find[0](*find[1:])
        except gateway.GatewayError:
            return "pending"
        if answer is not None:
            return _record_sent(payout_id, answer["id"], fen, user_id)
    try:
        answer = call[0](*call[1:])
    except gateway.GatewayError as error:
        if error.retry_same:
            return "pending"  # unknown: the same key next time returns the transfer if it was made
        answer = None
        if error.server_error:  # a 5xx may have moved the money, and the same key only replays it: look it up
            try:
                answer = find[0](*find[1:])
            except gateway.GatewayError:
                return "pending"
            if answer is None and not error.replayed:
                return "pending"  # look again on the next send
        if answer is None:
            if mark_payout_failed(payout_id, str(error)):
                record_audit("payout_sent", f"payout:{payout_id}", f"{fen} fen, failed: {error}", user_id)
            db.session.commit()
            return "failed"
    return _record_sent(payout_id, answer["id"], fen, user_id)


def _record_sent(payout_id: int, reference: str, fen: int, user_id: int | None) -> str:
    """Record that Stripe made the transfer (or reversal) of a payout, once, audited; commits."""
    if mark_payout_paid(payout_id, reference):
        record_audit("payout_sent", f"payout:{payout_id}", f"{fen} fen, paid: {reference}", user_id)
    db.session.commit()
    return "paid"


def send_pending_stripe_payouts(limit: int | None = None, user_id: int | None = None) -> dict[str, int]:
    """Send (or finish sending, after a crash or a timeout) pending Stripe payouts, oldest first, at most
    limit of them (user_id: who clicked, None for cron); commits. Returns how many ended in each status."""
    stmt = select(Payout.id).where(Payout.status == "pending", Payout.method == "stripe").order_by(Payout.id)
    ids = db.session.scalars(stmt.limit(limit) if limit else stmt).all()
    counts: dict[str, int] = {}
    for payout_id in ids:
        status = send_stripe_payout(db.session.get(Payout, payout_id), user_id)
        counts[status] = counts.get(status, 0) + 1
    return counts


def stripe_payouts_waiting() -> int:
    """How many Stripe payouts wait to be sent."""
    return db.session.scalar(select(func.count(Payout.id)).where(Payout.status == "pending",
                                                                 Payout.method == "stripe"))


def get_payout(payout_id: int, coop_id: int | None = None) -> Payout | None:
    """Return a payout (only the cooperative's own when coop_id is given), or None."""
    payout = db.session.get(Payout, payout_id)
    return payout if payout is not None and (coop_id is None or payout.coop_id == coop_id) else None


def list_payouts(coop_id: int | None = None, status: str | None = None, page: int = 1, per_page: int = 50):
    """Page through payouts with their cooperative, newest first: one cooperative's, or everybody's; optionally
    in one status (2 queries)."""
    stmt = select(Payout).options(joinedload(Payout.coop)).order_by(Payout.id.desc())
    if coop_id is not None:
        stmt = stmt.where(Payout.coop_id == coop_id)
    if status:
        stmt = stmt.where(Payout.status == status)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


@dataclass(frozen=True)
class StatementRow:
    """One household's part of a payout, and whether the cooperative handed it over."""

    household_id: int
    head_name: str
    village_zh: str
    village_en: str
    amount_fen: int
    handover: Handover | None


@dataclass(frozen=True)
class Statement:
    """How a payout divides: each household's part, the cooperative's retention and shipping fees."""

    payout: Payout
    households: list[StatementRow]
    retention_fen: int
    shipping_fen: int

    @property
    def households_fen(self) -> int:
        return sum(row.amount_fen for row in self.households)

    @property
    def waiting(self) -> list[StatementRow]:
        return [row for row in self.households if row.amount_fen > 0 and row.handover is None]


def build_statement(payout: Payout) -> Statement:
    """Return the distribution statement of a payout, from its ledger postings (3 queries)."""
    from shop.places.models import Village

    rows = db.session.execute(
        select(LedgerPosting.account, LedgerPosting.household_id, func.sum(LedgerPosting.amount_fen))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerPosting.txn_id)
        .where(LedgerTransaction.key == f"payout:{payout.id}", LedgerPosting.account.in_(PAYABLE))
        .group_by(LedgerPosting.account, LedgerPosting.household_id)).all()
    parts = {(account, hh): int(total) for account, hh, total in rows}
    names = {hid: (name, vzh, ven) for hid, name, vzh, ven in db.session.execute(
        select(Household.id, Household.head_name, Village.name_zh, Village.name_en)
        .join(Village, Village.id == Household.village_id)
        .where(Household.id.in_([hh for (_a, hh) in parts if hh is not None])))}
    handovers = {h.household_id: h for h in db.session.scalars(select(Handover).where(Handover.payout_id == payout.id))}
    households = sorted((StatementRow(hh, *names[hh], fen, handovers.get(hh)) for (account, hh), fen in parts.items()
                         if account == "household_payable"), key=lambda r: (-r.amount_fen, r.household_id))
    return Statement(payout, households, parts.get(("retention_payable", None), 0),
                     parts.get(("shipping_payable", None), 0))


def record_handover(payout: Payout, household_id: int, handed_over_on: date, method: str, user_id: int,
                    note: str = "") -> Handover:
    """Record that the cooperative handed a household its part of a paid payout; flush. Once per household."""
    if payout.status != "paid":
        raise PayoutError(_("Only a payout that has arrived can be handed on."))
    if method not in HANDOVER_METHODS:
        raise PayoutError(_("Choose cash or bank transfer."))
    arrived = (payout.paid_at or payout.created_at).astimezone(SHOP_TZ).date()
    if handed_over_on > today_local() or handed_over_on < arrived:
        raise PayoutError(_("The date must be between the payout and today."))
    row = next((r for r in build_statement(payout).households if r.household_id == household_id), None)
    if row is None or row.amount_fen <= 0:
        raise PayoutError(_("This household has nothing to receive from this payout."))
    if row.handover is not None:
        raise PayoutError(_("This handover was already recorded."))
    handover = Handover(payout_id=payout.id, household_id=household_id, amount_fen=row.amount_fen,
                        handed_over_on=handed_over_on, method=method, note=note[:200], recorded_by_id=user_id)
    db.session.add(handover)
    try:
        db.session.flush()
    except IntegrityError:  # the same handover, recorded at the same moment (a double tap): the caller rolls back
        raise PayoutError(_("This handover was already recorded.")) from None
    record_audit("handover_recorded", f"handover:{handover.id}", f"payout {payout.number}, household {household_id}, "
                 f"{row.amount_fen} fen, {method}, {handed_over_on.isoformat()}", user_id)
    return handover


def list_waiting_handovers(limit: int = 500) -> list[tuple[Payout, StatementRow]]:
    """Return, for staff, each household still waiting for its part of a paid payout, oldest payout first,
    with the payout's cooperative loaded (1 query, however many payouts)."""
    from shop.places.models import Village

    parts = (select(LedgerTransaction.payout_id, LedgerPosting.household_id,
                    func.sum(LedgerPosting.amount_fen).label("fen"))
             .join(LedgerPosting, LedgerPosting.txn_id == LedgerTransaction.id)
             .join(Payout, Payout.id == LedgerTransaction.payout_id)
             .where(LedgerTransaction.kind == "payout", Payout.status == "paid",
                    LedgerPosting.account == "household_payable")
             .group_by(LedgerTransaction.payout_id, LedgerPosting.household_id).subquery())
    rows = db.session.execute(
        select(Payout, parts.c.household_id, Household.head_name, Village.name_zh, Village.name_en, parts.c.fen)
        .join(parts, parts.c.payout_id == Payout.id)
        .join(Household, Household.id == parts.c.household_id).join(Village, Village.id == Household.village_id)
        .outerjoin(Handover, (Handover.payout_id == Payout.id) & (Handover.household_id == parts.c.household_id))
        .where(parts.c.fen > 0, Handover.id.is_(None))
        .order_by(Payout.paid_at, Payout.id, parts.c.fen.desc(), parts.c.household_id).limit(limit)
        .options(joinedload(Payout.coop))).all()
    return [(payout, StatementRow(hh, name, vzh, ven, int(fen), None)) for payout, hh, name, vzh, ven, fen in rows]


def staff_waiting_handovers(viewer_id: int, limit: int = 500) -> list[tuple[Payout, StatementRow]]:
    """list_waiting_handovers, for a staff page: the look at the households is logged (DOMAIN.md, Privacy)."""
    waiting = list_waiting_handovers(limit)
    if waiting:
        log_household_access(viewer_id, "view_waiting_handovers", sorted({row.household_id for _p, row in waiting}))
    return waiting


def staff_statement(payout_id: int, viewer_id: int) -> Statement | None:
    """Return a payout's statement, its cooperative loaded, for a staff page, and log the look at the
    households; None if there is no such payout (5 queries)."""
    payout = db.session.scalar(select(Payout).where(Payout.id == payout_id).options(joinedload(Payout.coop)))
    if payout is None:
        return None
    statement = build_statement(payout)
    if statement.households:
        log_household_access(viewer_id, "view_payout_statement", [row.household_id for row in statement.households])
    return statement


@dataclass(frozen=True)
class RunSummary:
    """One payout run with its count, total, and how many bank transfers its batch CSV still holds."""

    run: PayoutRun
    payouts: int
    total_fen: int
    bank_to_send: int


def list_runs(limit: int = 10) -> list[RunSummary]:
    """Return the latest payout runs, newest first, with their figures (1 query)."""
    to_send = func.sum(case(((Payout.method == "bank") & (Payout.status == "pending"), 1), else_=0))
    rows = db.session.execute(
        select(PayoutRun, func.count(Payout.id), func.coalesce(func.sum(Payout.signed_fen), 0),
               func.coalesce(to_send, 0))
        .outerjoin(Payout, Payout.run_id == PayoutRun.id).group_by(PayoutRun.id)
        .order_by(PayoutRun.id.desc()).limit(limit)).all()
    return [RunSummary(run, int(count), int(total), int(send)) for run, count, total, send in rows]


def get_run(run_id: int) -> PayoutRun | None:
    """Return a payout run with its payouts, or None (2 queries)."""
    return db.session.scalar(select(PayoutRun).where(PayoutRun.id == run_id)
                             .options(selectinload(PayoutRun.payouts)))


def bank_batch_csv(run: PayoutRun) -> str:
    """Return the run's bank transfers as CSV a bank can import: payee, account, bank, yuan, reference."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["payee_name", "account_no", "bank_name", "amount_yuan", "reference"])
    for payout in run.payouts:
        if payout.method == "bank" and payout.status == "pending":
            writer.writerow([spreadsheet_safe(payout.payee_name), spreadsheet_safe(payout.bank_account_no),
                             spreadsheet_safe(payout.bank_name),
                             fen_to_yuan_str(payout.amount_fen), payout.transfer_reference])
    return "\ufeff" + out.getvalue()
