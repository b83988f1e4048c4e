"""Review: what is left of a buyer after the account is deleted."""
from sqlalchemy import select

from shop.accounts.services import change_roles, delete_account
from shop.audit.models import AuditEvent
from shop.extensions import db
from tests.factories import make_user


def test_a_deleted_accounts_email_is_not_left_in_the_audit_trail(ctx):
    """An admin once made the buyer staff and back (or invited them as staff): the audit details name the
    e-mail. After the account is deleted at the buyer's request, nothing may still name it."""
    admin = make_user(is_admin=True, is_staff=True)
    buyer = make_user(email="li.na@example.test")
    change_roles(buyer, True, False, admin.id)
    change_roles(buyer, False, False, admin.id)
    buyer.set_password("secret-pass-1")  # being made staff gave the login a new password (the invitation sets it)
    db.session.commit()
    assert delete_account(buyer.id, "secret-pass-1")
    db.session.commit()
    details = db.session.scalars(select(AuditEvent.detail)).all()
    assert details and not [d for d in details if "li.na@example.test" in d]
