"""Append audit events (called by the service that does the action, in the same transaction), and read
them back for staff, merged with the household access log."""
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import NamedTuple

from flask import has_request_context, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal_column, select, union_all

from shop.audit.models import AuditEvent
from shop.extensions import db
from shop.spreadsheet import spreadsheet_safe
from shop.types import SHOP_TZ


def client_ip() -> str | None:
    """The client's address for the log (ProxyFix has made remote_addr the real one), or None outside a request."""
    return request.remote_addr if has_request_context() else None


def record_audit(action: str, target: str = "", detail: str = "", user_id: int | None = None) -> AuditEvent:
    """Append one audit event; the caller's transaction commits it with the action itself."""
    event = AuditEvent(user_id=user_id, action=action, target=target[:60], detail=detail[:500], ip=client_ip())
    db.session.add(event)
    db.session.flush()
    return event


# --- reading the log ---------------------------------------------------------------------------

ACTION_LABELS = {
    # money and administration (audit_events)
    "refund_requested": _l("Refund requested"), "refund_retried": _l("Refund retried"),
    "flag_refunded": _l("Flagged payment refunded"), "flag_resolved": _l("Flagged payment closed"),
    "payout_run": _l("Payouts run"), "payout_paid": _l("Payout marked paid"),
    "payout_failed": _l("Payout marked failed"), "payout_retried": _l("Payout retried"),
    "payout_cancelled": _l("Payout cancelled"), "payout_sent": _l("Payout sent to Stripe"),
    "handover_recorded": _l("Handover recorded"), "coop_approved": _l("Cooperative approved"),
    "coop_rejected": _l("Cooperative rejected"), "coop_rates_changed": _l("Cooperative rates changed"),
    "coop_suspended": _l("Cooperative suspended"), "coop_reinstated": _l("Cooperative reinstated"),
    "coop_shipping_changed": _l("Cooperative shipping rule changed"),
    "coop_payout_changed": _l("Cooperative payout details changed"),
    "coop_bank_revealed": _l("Revealed a cooperative's bank account"),
    "payout_run_exported": _l("Downloaded a payout run's bank file"),
    "user_invited": _l("Staff member invited"), "user_role_changed": _l("Role changed"),
    "user_disabled": _l("Login disabled"), "user_enabled": _l("Login enabled"), "user_made_admin": _l("Made admin from the command line"),
    "household_edited": _l("Household edited"), "poor_status_declined": _l("Registered-poor proposal declined"),
    "household_anonymised": _l("Household anonymised"), "account_deleted": _l("Buyer deleted their account"),
    # household data (household_access_log)
    "view_poor_proposals": _l("Viewed registered-poor proposals"), "confirm_poor": _l("Confirmed registered-poor"),
    "decline_poor": _l("Declined registered-poor"), "view_order_split": _l("Viewed an order's households"),
    "view_waiting_handovers": _l("Viewed households waiting"), "view_payout_statement": _l("Viewed a payout statement"),
    "income_report": _l("Viewed the income report by household"),
    "income_export_csv": _l("Exported income by household (CSV)"),
    "income_export_xlsx": _l("Exported income by household (Excel)"),
    "list": _l("Listed households"), "view": _l("Viewed a household"), "reveal": _l("Revealed a household field"),
    "edit": _l("Edited a household"), "anonymise": _l("Anonymised a household"), "statement": _l("Viewed a household statement"),
}
KINDS = ("money", "household")  # audit_events, household_access_log
EXPORT_LIMIT = 100_000


def action_label(action: str) -> str:
    """The action's name in the current language, or the raw action when it has none."""
    return str(ACTION_LABELS.get(action, action))


@dataclass(frozen=True)
class LogSearch:
    """Which log rows staff look for: a kind ("" for both), an action, part of the user's e-mail, and
    the Shanghai dates, both ends included."""

    kind: str = ""
    action: str = ""
    email: str = ""
    start: date | None = None
    end: date | None = None


class LogRow(NamedTuple):
    kind: str  # "money" or "household"
    id: int
    created_at: datetime
    email: str | None  # None: cron or the webhook
    action: str
    target: str
    detail: str
    ip: str | None


@dataclass(frozen=True)
class LogPage:
    items: list[LogRow]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _merged(search: LogSearch):
    """Both logs as one subquery of (kind, id, created_at, user_id, action, target, detail, ip), filtered."""
    from shop.accounts.models import User
    from shop.households.models import HouseholdAccessLog as H
    from shop.reports.periods import start_of

    sides = []
    for kind, model, target, detail in (("money", AuditEvent, AuditEvent.target, AuditEvent.detail),
                                        ("household", H, H.household_ids, H.field)):
        if search.kind and search.kind != kind:
            continue
        stmt = select(literal_column(f"'{kind}'").label("kind"), model.id.label("id"),
                      model.created_at.label("created_at"), model.user_id.label("user_id"),
                      model.action.label("action"), target.label("target"),
                      func.coalesce(detail, "").label("detail"), model.ip.label("ip"))
        if search.action:
            stmt = stmt.where(model.action == search.action)
        if search.email:
            stmt = stmt.where(model.user_id.in_(select(User.id).where(
                User.email.contains(search.email.strip().lower(), autoescape=True))))
        if search.start:
            stmt = stmt.where(model.created_at >= start_of(search.start))
        if search.end:
            stmt = stmt.where(model.created_at < start_of(search.end + timedelta(days=1)))
        sides.append(stmt)
    return union_all(*sides).subquery("log")


def _rows(log, limit: int, offset: int = 0) -> list[LogRow]:
    from shop.accounts.models import User

    stmt = (select(log.c.kind, log.c.id, log.c.created_at, User.email, log.c.action, log.c.target, log.c.detail,
                   log.c.ip).outerjoin(User, User.id == log.c.user_id)
            .order_by(log.c.created_at.desc(), log.c.kind, log.c.id.desc()).limit(limit).offset(offset))
    return [LogRow(kind, id_, _aware(at), email, action, f"household:{target}" if kind == "household" else target,
                   detail or "", ip) for kind, id_, at, email, action, target, detail, ip in db.session.execute(stmt)]


def _aware(value):
    """A union's column loses the UTCDateTime type on SQLite: read a naive value as UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def list_log(search: LogSearch, page: int, per_page: int) -> LogPage:
    """Page through both logs merged, newest first (2 queries)."""
    log = _merged(search)
    total = db.session.scalar(select(func.count()).select_from(log)) or 0
    page = min(page, max(1, -(-total // per_page)))  # past the end: the last page
    return LogPage(_rows(log, per_page, (page - 1) * per_page), page, per_page, total)


def logged_actions() -> list[str]:
    """Every action either log holds or names, sorted (1 query)."""
    from shop.households.models import HouseholdAccessLog as H

    found = db.session.scalars(union_all(select(AuditEvent.action).distinct(), select(H.action).distinct())).all()
    return sorted(set(found) | set(ACTION_LABELS))


def log_csv(search: LogSearch) -> str:
    """The filtered log as CSV with a BOM (for Excel), newest first, Shanghai times; cells formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("When (Shanghai)"), _("Who"), _("What"), _("Action code"), _("Target"), _("Detail"),
                     _("Client address")])
    for row in _rows(_merged(search), EXPORT_LIMIT):
        when = row.created_at.astimezone(SHOP_TZ).strftime("%Y-%m-%d %H:%M:%S")
        writer.writerow([when] + [spreadsheet_safe(v) for v in (row.email or _("system"), action_label(row.action),
                                                                row.action, row.target, row.detail, row.ip or "")])
    return "\ufeff" + out.getvalue()
