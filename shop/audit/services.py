"""Append audit events. Called by the service that does the action, in the same transaction."""
from flask import has_request_context, request

from shop.audit.models import AuditEvent
from shop.extensions import db


def client_ip() -> str | None:
    """The client's address for the log (ProxyFix has made remote_addr the real one), or None outside a request."""
    return request.remote_addr if has_request_context() else None


def record_audit(action: str, target: str = "", detail: str = "", user_id: int | None = None) -> AuditEvent:
    """Append one audit event; the caller's transaction commits it with the action itself."""
    event = AuditEvent(user_id=user_id, action=action, target=target[:60], detail=detail[:500], ip=client_ip())
    db.session.add(event)
    db.session.flush()
    return event
