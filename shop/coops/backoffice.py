"""The back office's side of a cooperative: the list staff search, and the changes they make to one
(suspend, reinstate, rates, shipping rule, payout destination) and the logged reveal of its bank account.

Approval is the applications' own (shop.coops.services.approve_cooperative). Every change appends an audit
event in the caller's transaction; functions flush and never commit.
"""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import joinedload

from shop.audit.models import AuditEvent
from shop.audit.services import record_audit
from shop.catalog.models import Product
from shop.coops.models import COOP_STATUSES, Cooperative
from shop.coops.services import PortalError
from shop.extensions import db
from shop.households.models import Household, mask
from shop.money import BP_WHOLE, bp_percent, fen_to_yuan_str
from shop.places.models import Village

PAYOUT_FIELDS = ("payout_method", "bank_name", "bank_account_name", "bank_account_no", "stripe_account_id")


@dataclass(frozen=True)
class CoopSearch:
    name: str = ""
    status: str = ""


@dataclass(frozen=True)
class CoopCounts:
    households: int = 0
    products: int = 0
    published: int = 0


def _target(coop: Cooperative) -> str:
    return f"coop:{coop.id}"


def search_coops(search: CoopSearch, page: int, per_page: int):
    """One page of cooperatives, by name, with their village and county (2 queries)."""
    stmt = select(Cooperative)
    if search.name:
        stmt = stmt.where(or_(Cooperative.name_zh.contains(search.name, autoescape=True),
                              func.lower(Cooperative.name_en).contains(search.name.lower(), autoescape=True)))
    if search.status in COOP_STATUSES:
        stmt = stmt.where(Cooperative.status == search.status)
    stmt = (stmt.order_by(Cooperative.name_zh, Cooperative.id)
            .options(joinedload(Cooperative.village).joinedload(Village.county)))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def coop_counts(coop_ids: list[int]) -> dict[int, CoopCounts]:
    """Member households and products (all, and published) of each cooperative (2 queries)."""
    if not coop_ids:
        return {}
    households = dict(db.session.execute(select(Household.coop_id, func.count()).where(
        Household.coop_id.in_(coop_ids)).group_by(Household.coop_id)).all())
    products = {cid: (n, published or 0) for cid, n, published in db.session.execute(
        select(Product.coop_id, func.count(), func.sum(case((Product.is_published.is_(True), 1), else_=0)))
        .where(Product.coop_id.in_(coop_ids)).group_by(Product.coop_id))}
    return {cid: CoopCounts(households.get(cid, 0), *products.get(cid, (0, 0))) for cid in coop_ids}


def get_coop(coop_id: int) -> Cooperative | None:
    """The cooperative with its village and county (1 query)."""
    return db.session.scalar(select(Cooperative).where(Cooperative.id == coop_id)
                             .options(joinedload(Cooperative.village).joinedload(Village.county)))


def suspension_reason(coop: Cooperative) -> str:
    """Why a suspended cooperative was suspended: the reason of its latest suspension in the audit log."""
    if coop.status != "suspended":
        return ""
    return db.session.scalar(
        select(AuditEvent.detail).where(AuditEvent.action == "coop_suspended", AuditEvent.target == _target(coop))
        .order_by(AuditEvent.id.desc()).limit(1)) or ""


def _move(coop: Cooperative, old: str, new: str, message: str) -> None:
    """Change the status only if it is still `old` (a concurrent decision wins once)."""
    done = db.session.execute(update(Cooperative).where(Cooperative.id == coop.id, Cooperative.status == old)
                              .values(status=new).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise PortalError(message)
    db.session.refresh(coop)


def suspend(coop: Cooperative, reason: str, staff_id: int) -> bool:
    """Stop an approved cooperative selling (its products leave the catalogue and checkout refuses them)."""
    _move(coop, "approved", "suspended", _("Only an approved cooperative can be suspended."))
    record_audit("coop_suspended", _target(coop), reason[:300], staff_id)
    return True


def reinstate(coop: Cooperative, staff_id: int) -> bool:
    """Let a suspended cooperative sell again."""
    _move(coop, "suspended", "approved", _("Only a suspended cooperative can be reinstated."))
    record_audit("coop_reinstated", _target(coop), coop.name_zh, staff_id)
    return True


def _replace(coop: Cooperative, values: dict, action: str, describe, staff_id: int) -> list[str]:
    """Set the fields that differ on the row re-read FOR UPDATE (PostgreSQL: old → new in the audit is what was
    really replaced), and audit describe(old, new) of them. Return the changed field names."""
    coop = db.session.scalar(select(Cooperative).where(Cooperative.id == coop.id).with_for_update()
                             .execution_options(populate_existing=True))
    changed = [name for name, value in values.items() if getattr(coop, name) != value]
    if not changed:
        return []
    old = {name: getattr(coop, name) for name in changed}
    for name in changed:
        setattr(coop, name, values[name])
    db.session.flush()
    record_audit(action, _target(coop), describe(old | {n: v for n, v in values.items() if n not in old}, values),
                 staff_id)
    return changed


def set_rates(coop: Cooperative, commission_bp: int, retention_bp: int, staff_id: int) -> bool:
    """Change the commission and retention rates for orders placed from now on (placed orders keep the
    split frozen on their lines). Return whether anything changed."""
    if not (0 <= commission_bp <= BP_WHOLE and 0 <= retention_bp <= BP_WHOLE):
        raise PortalError(_("Enter a percentage from 0 to 100 with at most two decimals, for example 5 or 7.25."),
                          "commission")
    if commission_bp + retention_bp > BP_WHOLE:
        raise PortalError(_("Commission and retention together may not be more than 100%."), "retention")
    return bool(_replace(coop, {"commission_bp": commission_bp, "retention_bp": retention_bp},
                         "coop_rates_changed", lambda old, new: ", ".join(
                             f"{label} {bp_percent(old[name])} → {bp_percent(new[name])}"
                             for label, name in (("commission", "commission_bp"), ("retention", "retention_bp"))),
                         staff_id))


def _yuan_or_never(fen: int | None) -> str:
    return "never" if fen is None else fen_to_yuan_str(fen)


def set_shipping(coop: Cooperative, shipping_fee_fen: int, free_shipping_over_fen: int | None,
                 staff_id: int) -> bool:
    """Change the shipping fee rule for orders placed from now on. Return whether anything changed."""
    if shipping_fee_fen < 0 or (free_shipping_over_fen is not None and free_shipping_over_fen < 0):
        raise PortalError(_("Enter an amount in yuan, for example 12.50."), "shipping_fee")
    return bool(_replace(coop, {"shipping_fee_fen": shipping_fee_fen, "free_shipping_over_fen": free_shipping_over_fen},
                         "coop_shipping_changed", lambda old, new: (
                             f"fee {fen_to_yuan_str(old['shipping_fee_fen'])} → "
                             f"{fen_to_yuan_str(new['shipping_fee_fen'])}, free over "
                             f"{_yuan_or_never(old['free_shipping_over_fen'])} → "
                             f"{_yuan_or_never(new['free_shipping_over_fen'])}"), staff_id))


def _shown(name: str, value: str) -> str:
    """A payout field as the audit log keeps it: the account number masked."""
    return (mask(value, 4) if name == "bank_account_no" else value) or "—"


def set_payout(coop: Cooperative, staff_id: int, **values) -> list[str]:
    """Change where payouts go (payouts made from now on); the chosen method needs its details. Audit old →
    new of each changed field, the account number masked. Return the changed field names."""
    if values["payout_method"] == "bank":
        for name, message in (("bank_name", _("Please enter the bank for a bank transfer.")),
                              ("bank_account_name", _("Please enter the account holder for a bank transfer.")),
                              ("bank_account_no", _("Please enter the account number for a bank transfer."))):
            if not values[name]:
                raise PortalError(message, name)
    elif values["payout_method"] == "stripe":
        if not values["stripe_account_id"]:
            raise PortalError(_("Please enter the Stripe account for Stripe payouts."), "stripe_account_id")
    else:
        raise PortalError(_("Please choose a payout method."), "payout_method")
    return _replace(coop, {name: values[name] for name in PAYOUT_FIELDS}, "coop_payout_changed",
                    lambda old, new: "; ".join(f"{name} {_shown(name, old[name])} → {_shown(name, new[name])}"
                                               for name in PAYOUT_FIELDS if old[name] != new[name]), staff_id)


def reveal_bank_account(coop: Cooperative, staff_id: int) -> str:
    """Return the full bank account number, and log who saw it from where."""
    record_audit("coop_bank_revealed", _target(coop), "bank_account_no", staff_id)
    return coop.bank_account_no or ""
