"""The household registry as staff see it. Every staff view and change is logged (DOMAIN.md, Privacy)."""
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from shop.audit.services import client_ip, record_audit
from shop.extensions import db
from shop.households.models import Household, HouseholdAccessLog
from shop.places.models import Village
from shop.types import utcnow


def log_household_access(user_id: int, action: str, household_ids: list[int], field: str | None = None) -> None:
    """Append who saw or changed which households (and which field, for a reveal), from where."""
    db.session.add(HouseholdAccessLog(user_id=user_id, action=action, field=field, ip=client_ip(),
                                      household_ids=",".join(str(i) for i in household_ids)[:2000]))
    db.session.flush()


def list_poor_proposals(viewer_id: int) -> list[Household]:
    """List households whose cooperative proposed registered-poor status, and log that staff saw them."""
    households = list(db.session.scalars(
        select(Household).where(Household.poor_status == "proposed").order_by(Household.id)
        .options(joinedload(Household.coop), joinedload(Household.village).joinedload(Village.county))))
    log_household_access(viewer_id, "view_poor_proposals", [h.id for h in households])
    return households


def decide_poor_status(household_id: int, confirm: bool, staff_id: int, reason: str = "") -> bool:
    """Confirm or decline (with the reason the cooperative will see) a proposed registered-poor status, once;
    return whether it changed."""
    values = ({"poor_status": "confirmed", "poor_decline_reason": None} if confirm else
              {"poor_status": "none", "poor_since_year": None, "poor_decline_reason": reason[:300]})
    changed = db.session.execute(
        update(Household).where(Household.id == household_id, Household.poor_status == "proposed").values(**values)
        .execution_options(synchronize_session=False)).rowcount == 1
    if changed:
        log_household_access(staff_id, "confirm_poor" if confirm else "decline_poor", [household_id])
        if not confirm:
            record_audit("poor_status_declined", f"household:{household_id}", reason[:300], staff_id)
    return changed


# --- the staff household pages ------------------------------------------------------------------

POOR_STATUSES = ("none", "proposed", "confirmed")
EDITABLE = ("head_name", "village_id", "members_count", "phone", "registry_code", "poor_since_year")


class HouseholdError(Exception):
    """A change refused, with the form field it concerns."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class HouseholdSearch:
    """Staff household search: part of the head's name, a full registry code, a village, a cooperative, a status."""

    name: str = ""
    registry_code: str = ""
    village_id: int | None = None
    coop_id: int | None = None
    poor_status: str = ""


def search_households(search: HouseholdSearch, page: int, per_page: int, viewer_id: int):
    """One page of households, by village then name, and log which ones staff saw (3 queries)."""
    stmt = select(Household).join(Village, Village.id == Household.village_id)
    if search.name:
        stmt = stmt.where(Household.head_name.contains(search.name, autoescape=True))
    if search.registry_code:  # the whole code only: it is stored encrypted, found by its blind index
        stmt = stmt.where(Household.with_registry_code(search.registry_code))
    for column, value in ((Household.village_id, search.village_id), (Household.coop_id, search.coop_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if search.poor_status:
        stmt = stmt.where(Household.poor_status == search.poor_status)
    stmt = (stmt.order_by(Village.name_zh, Village.id, Household.head_name, Household.id)
            .options(joinedload(Household.coop), joinedload(Household.village).joinedload(Village.county)))
    found = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    if found.items:
        log_household_access(viewer_id, "list", [h.id for h in found.items])
    return found


def get_household(household_id: int) -> Household | None:
    """The household with its cooperative, village and county (1 query)."""
    return db.session.scalar(select(Household).where(Household.id == household_id).options(
        joinedload(Household.coop), joinedload(Household.village).joinedload(Village.county)))


def reveal_field(household: Household, field: str, viewer_id: int) -> str:
    """Return the full registry code or phone number, and log who saw it from where."""
    log_household_access(viewer_id, "reveal", [household.id], field=field)
    return getattr(household, field) or ""


def edit_household(household: Household, staff_id: int, **values) -> list[str]:
    """Change the household's editable fields; log and audit the names of the changed ones (never the
    values). Return the changed names; the caller commits."""
    # Re-read under a row lock: another staff member may have anonymised it since the page loaded it.
    db.session.scalar(select(Household).where(Household.id == household.id).with_for_update()
                      .execution_options(populate_existing=True))
    if household.is_anonymised:
        raise HouseholdError(_("This household was anonymised; its details can no longer be changed."), "head_name")
    if db.session.get(Village, values["village_id"]) is None:
        raise HouseholdError(_("Please choose a village from the list."), "village_id")
    if household.poor_status != "none" and values["poor_since_year"] is None:  # the year goes with the status
        raise HouseholdError(_("Please enter the year the household was registered as poor."), "poor_since_year")
    duplicate = HouseholdError(_("This registry code is already on file for another household."), "registry_code")
    if db.session.scalar(select(Household.id).where(Household.with_registry_code(values["registry_code"]),
                                                    Household.id != household.id)) is not None:
        raise duplicate
    changed = [name for name in EDITABLE if getattr(household, name) != values[name]]
    if not changed:
        return []
    try:
        with db.session.begin_nested():  # a code taken by a concurrent request becomes the same form error
            for name in changed:
                setattr(household, name, values[name])
            db.session.flush()
    except IntegrityError:
        raise duplicate from None
    log_household_access(staff_id, "edit", [household.id])
    record_audit("household_edited", f"household:{household.id}", "fields: " + ", ".join(changed), staff_id)
    return changed


def anonymise_household(household_id: int, staff_id: int) -> Household | None:
    """Erase a departed household's identity: its head's name becomes the pseudonym, the registry code,
    phone and any decline reason are removed, a pending registered-poor proposal lapses. Lots, shares and
    ledger postings keep pointing at the same row, so every income figure and report total stays as it was.
    Return the household, or None if it was already anonymised (a double submit changes nothing). The
    caller commits."""
    # populate_existing: the view loaded the household before the lock; read it as the lock found it.
    household = db.session.scalar(select(Household).where(Household.id == household_id).with_for_update()
                                  .execution_options(populate_existing=True))
    if household is None or household.is_anonymised:
        return None
    household.head_name = household.pseudonym
    household.registry_code, household.phone, household.poor_decline_reason = "", None, None
    if household.poor_status == "proposed":
        household.poor_status, household.poor_since_year = "none", None
    household.anonymised_at = utcnow()
    # decide_poor_status copied the decline reason (free text about the family) into the audit trail.
    from shop.audit.models import AuditEvent
    db.session.execute(update(AuditEvent).where(AuditEvent.action == "poor_status_declined",
                                                AuditEvent.target == f"household:{household.id}")
                       .values(detail="").execution_options(synchronize_session=False))
    db.session.flush()
    log_household_access(staff_id, "anonymise", [household.id])
    record_audit("household_anonymised", f"household:{household.id}", "", staff_id)
    return household


def last_full_quarter(today: date) -> tuple[date, date]:
    """The quarter before the one `today` is in: (first day, last day)."""
    first_month = (today.month - 1) // 3 * 3 + 1
    end = date(today.year, first_month, 1) - timedelta(days=1)
    return date(end.year, (end.month - 1) // 3 * 3 + 1, 1), end


@dataclass
class HouseholdStatement:
    """A household's income statement for a period: lots, income by order line, payouts and handovers."""

    household: Household
    start: date
    end: date
    lots: list = field(default_factory=list)       # (trace code, product zh, product en, share units, lot units)
    lines: list = field(default_factory=list)      # HouseholdLine
    payouts: list = field(default_factory=list)    # (payout number, amount fen)
    handovers: list = field(default_factory=list)  # Handover

    @property
    def settled_fen(self) -> int:
        return sum(line.settled_fen for line in self.lines)

    @property
    def refunded_fen(self) -> int:
        return sum(line.refunded_fen for line in self.lines)

    @property
    def total_fen(self) -> int:
        return sum(line.income_fen for line in self.lines)


def build_household_statement(household: Household, start: date, end: date, viewer_id: int) -> HouseholdStatement:
    """The household's statement for a period of Shanghai dates, from the ledger; the look is logged (5 queries)."""
    from shop.catalog.models import Product, Variant
    from shop.ledger.models import LedgerPosting as P, LedgerTransaction
    from shop.orders.models import Allocation
    from shop.payouts.models import Handover, Payout
    from shop.reports.income import household_income_lines
    from shop.reports.periods import period_conditions, start_of
    from shop.supply.models import LotShare, SupplyLot

    statement = HouseholdStatement(household, start, end)
    statement.lines = household_income_lines(household.id, start, end)
    line_ids = [line.line_id for line in statement.lines if line.line_id is not None]
    received = (SupplyLot.received_at >= start_of(start)) & (SupplyLot.received_at < start_of(end + timedelta(days=1)))
    sold = SupplyLot.id.in_(select(Allocation.lot_id).where(Allocation.line_id.in_(line_ids)))
    statement.lots = db.session.execute(
        select(SupplyLot.trace_code, Product.name_zh, Product.name_en, LotShare.units, SupplyLot.units_received)
        .join(LotShare, LotShare.lot_id == SupplyLot.id).join(Variant, Variant.id == SupplyLot.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .where(LotShare.household_id == household.id, or_(received, sold) if line_ids else received)
        .order_by(SupplyLot.received_at, SupplyLot.id)).all()
    statement.payouts = [(f"PO{pid:06d}", int(fen)) for pid, fen in db.session.execute(
        select(LedgerTransaction.payout_id, func.sum(P.amount_fen))
        .join(LedgerTransaction, LedgerTransaction.id == P.txn_id)
        .where(P.household_id == household.id, P.account == "household_payable",
               P.kind.in_(("payout", "payout_cancelled")), *period_conditions(start, end))
        .group_by(LedgerTransaction.payout_id).order_by(LedgerTransaction.payout_id)) if pid is not None and fen]
    statement.handovers = list(db.session.scalars(
        select(Handover).join(Payout, Payout.id == Handover.payout_id)
        .where(Handover.household_id == household.id, Handover.handed_over_on.between(start, end))
        .order_by(Handover.handed_over_on, Handover.id)))
    log_household_access(viewer_id, "statement", [household.id])
    return statement
