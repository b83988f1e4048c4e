"""Buyer accounts: registration, sign-in checks, password resets, profile and saved addresses.

Functions flush and never commit; the view commits once, then sends mail.
"""
import re
import secrets
import smtplib
import unicodedata
from functools import cache

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from shop.accounts.models import Address, User
from shop.extensions import db
from shop.mail import send_mail
from shop.web import public_url

MAX_ADDRESSES = 10
RESET_MAX_AGE_S = 3600
RESET_SALT = "password-reset"
LOCALES = ("zh", "en")
# Mainland China mobile numbers: 11 digits, 1 then 3-9.
MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")


class EmailTaken(Exception):
    """An account with this email already exists."""


class AddressLimitReached(Exception):
    """The user already has MAX_ADDRESSES saved addresses."""


def normalize_email(email: str) -> str:
    """Return the email as stored: trimmed and lower-cased."""
    return (email or "").strip().lower()


def normalize_mobile(raw: str | None) -> str | None:
    """Return the 11-digit mobile number in raw, or None if it is not a mainland mobile number."""
    # NFKC turns full-width digits and dashes typed with a Chinese IME into ASCII.
    text = unicodedata.normalize("NFKC", raw or "")
    digits = re.sub(r"[\s\-‐‑–—()]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits if MOBILE_RE.fullmatch(digits) else None


# --- users -------------------------------------------------------------------------------------

def get_user_by_email(email: str) -> User | None:
    """Return the user with this email, compared case-insensitively, or None."""
    return db.session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def register_user(email: str, display_name: str, password: str, locale: str | None = None) -> User:
    """Create a buyer account; raise EmailTaken if the email is in use."""
    email = normalize_email(email)
    if get_user_by_email(email) is not None:
        raise EmailTaken(email)
    user = User(email=email, display_name=display_name.strip(), locale=locale if locale in LOCALES else None)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()  # the unique constraint on email still guards a concurrent registration
    return user


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not-a-real-password", method="scrypt")


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with this email and password, or None."""
    user = get_user_by_email(email)
    if user is None:
        # Spend the same time as a real check so response times do not reveal accounts.
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


def update_profile(user: User, display_name: str, locale: str) -> None:
    """Save the display name and preferred language."""
    user.display_name = display_name.strip()
    user.locale = locale if locale in LOCALES else None
    db.session.flush()


def change_password(user: User, current_password: str, new_password: str) -> bool:
    """Set a new password if current_password is right, ending every session; return whether it was changed."""
    if not user.check_password(current_password):
        return False
    user.set_password(new_password)
    end_sessions(user)
    return True


def end_sessions(user: User) -> None:
    """End every session of this user, on every device, even a copied cookie: raise the session version."""
    user.session_version = User.session_version + 1
    db.session.flush()
    db.session.refresh(user, ["session_version"])


# --- password reset ----------------------------------------------------------------------------

class DeletionRefused(Exception):
    """The account cannot be deleted yet; `open_orders` are the order numbers still in progress."""

    def __init__(self, message: str, open_orders: list[str] | None = None):
        super().__init__(message)
        self.message, self.open_orders = message, open_orders or []


def delete_account(user_id: int, password: str) -> bool:
    """Delete a buyer's account at their request, keeping the orders the money rules need (DOMAIN.md, Privacy).

    The e-mail becomes deleted-<id>@invalid, the name, language and password go, saved addresses and the cart
    are deleted, every order's shipping address is removed and every session ends. Orders, lines, payments,
    refunds and ledger postings stay, tied to the now nameless account, so no total changes. Refused while an
    order is still open (its delivery, refund or payment needs the address and the account) and for staff and
    cooperative accounts, which an administrator closes. Return False for a wrong password; the caller commits."""
    from shop.audit.services import record_audit
    from shop.cart.models import Cart, CartItem
    from shop.orders.models import Order
    from shop.orders.retention import order_is_open, purge_order_address
    from shop.orders.services import expire_if_due
    from shop.types import utcnow

    user = db.session.scalar(select(User).where(User.id == user_id).with_for_update()  # one deletion at a time
                             .execution_options(populate_existing=True))  # as the lock found it, not as loaded
    if user is None or not user.check_password(password):
        return False
    if user.can_staff or user.is_coop_manager:
        raise DeletionRefused(_("Staff and cooperative accounts are closed by an administrator. Please ask one."))
    # The orders are locked too, so an order being paid or shipped right now waits for this check.
    orders = db.session.scalars(select(Order).where(Order.buyer_id == user.id).order_by(Order.id)
                                .with_for_update()).all()
    now = utcnow()
    for order in orders:  # an unpaid order whose time ran out is over, even if the expiry job has not run yet
        expire_if_due(order, now)
    still_open = db.session.scalars(select(Order.number).where(Order.buyer_id == user.id, order_is_open())
                                    .order_by(Order.id)).all()
    if still_open:
        raise DeletionRefused(_("Some of your orders are still in progress. Once they are delivered and settled "
                                "(or cancelled), you can delete your account."), list(still_open))
    for order in orders:
        if order.address_purged_at is None:
            purge_order_address(order)
    user.addresses.clear()
    carts = select(Cart.id).where(Cart.user_id == user.id).scalar_subquery()
    db.session.execute(delete(CartItem).where(CartItem.cart_id.in_(carts)))
    db.session.execute(delete(Cart).where(Cart.user_id == user.id))
    # Audit details written by admins name the e-mail (an invitation, a role change): the target says who.
    from shop.audit.models import AuditEvent
    db.session.execute(update(AuditEvent).where(AuditEvent.detail.contains(user.email, autoescape=True))
                       .values(detail=func.replace(AuditEvent.detail, user.email, f"user:{user.id}"))
                       .execution_options(synchronize_session=False))
    user.email, user.display_name, user.locale = f"deleted-{user.id}@invalid", "", None
    user.set_password(secrets.token_urlsafe(32))  # no one knows it: the account cannot be signed in again
    user.is_active_account = False
    end_sessions(user)
    record_audit("account_deleted", f"user:{user.id}", f"{len(orders)} orders kept without address", user.id)
    return True


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def make_reset_token(user: User) -> str:
    """Return a token that resets this user's password within the hour, until the password changes."""
    return _serializer().dumps({"uid": user.id, "pw": user.password_fingerprint})


def get_user_for_reset_token(token: str, max_age_s: int = RESET_MAX_AGE_S) -> User | None:
    """Return the user a reset token is for, or None if it is invalid, expired or already used."""
    try:
        data = _serializer().loads(token, max_age=max_age_s)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        return None
    user = db.session.get(User, data["uid"])
    if user is None or not user.is_active or data.get("pw") != user.password_fingerprint:
        return None
    return user


def set_new_password(user: User, new_password: str) -> None:
    """Set a new password; this also voids every reset link sent before and ends every session."""
    user.set_password(new_password)
    end_sessions(user)


def request_password_reset(email: str) -> None:
    """Mail a reset link, in the current language, if an active account has this email; else do nothing."""
    user = get_user_by_email(email)
    if user is None or not user.is_active:
        return
    link = public_url("accounts.reset_password", token=make_reset_token(user))
    body = "\n\n".join([
        _("Hello %(name)s,", name=user.display_name or user.email),
        _("Someone, hopefully you, asked to reset the password of your account at the Longnan Village Shop. "
          "Open this link within one hour to choose a new password:"),
        link,
        _("If you did not ask for this, ignore this email: your password stays the same."),
    ])
    try:
        send_mail(user.email, _("Reset your password"), body)
    except (OSError, smtplib.SMTPException):
        # The answer to the visitor must not depend on whether a mail went out.
        current_app.logger.exception("Could not send the password reset mail for user %s", user.id)


# --- users, for admins ---------------------------------------------------------------------------

USER_ROLES = ("buyer", "coop_manager", "staff", "admin", "disabled")


class RoleError(Exception):
    """The change would lock the shop out or is not allowed; the message is for the admin. The caller rolls back."""


def list_users(email: str, role: str, page: int, per_page: int):
    """Page through users whose e-mail contains `email`, in one role ("" for all), newest first (2 queries)."""
    stmt = select(User).order_by(User.id.desc())
    if email.strip():
        stmt = stmt.where(User.email.contains(normalize_email(email), autoescape=True))
    if role == "disabled":
        stmt = stmt.where(User.is_active_account.is_(False))
    elif role:
        stmt = stmt.where(User.is_active_account.is_(True))
        stmt = stmt.where({"buyer": ~User.is_staff & ~User.is_admin & User.coop_id.is_(None),
                           "coop_manager": User.coop_id.is_not(None), "staff": User.is_staff,
                           "admin": User.is_admin}[role])
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def invite_staff(email: str, display_name: str, admin_id: int) -> User:
    """Create a staff login with a password nobody knows (the invitation sets the real one), audited;
    raise EmailTaken if the e-mail is in use. The view sends the invitation after commit."""
    from shop.audit.services import record_audit

    email = normalize_email(email)
    if get_user_by_email(email) is not None:
        raise EmailTaken(email)
    user = User(email=email, display_name=display_name.strip()[:60], is_staff=True)
    user.set_password(secrets.token_urlsafe(32))
    db.session.add(user)
    db.session.flush()
    record_audit("user_invited", f"user:{user.id}", f"{email} as staff", admin_id)
    return user


def make_admin(email: str, display_name: str = "") -> tuple[User, bool]:
    """Give the login with this e-mail the staff and admin roles, enabled, creating it with a password nobody
    knows if there is none (the caller hands out a reset link); audited. Return the user and whether it is new.
    This is how a new installation gets its first admin (`flask users make-admin`)."""
    from shop.audit.services import record_audit

    email = normalize_email(email)
    user = get_user_by_email(email)
    created = user is None
    if created:
        user = User(email=email, display_name=display_name.strip()[:60])
        user.set_password(secrets.token_urlsafe(32))
        db.session.add(user)
    user.is_staff = user.is_admin = user.is_active_account = True
    db.session.flush()
    record_audit("user_made_admin", f"user:{user.id}", f"{email} from the command line")
    return user, created


def send_staff_invitation(user: User) -> bool:
    """Mail a new staff member a link to choose a password: a password-reset link, in Chinese then English."""
    from flask_babel import force_locale

    link = public_url("accounts.reset_password", token=make_reset_token(user))
    login = public_url("accounts.login")
    parts = []
    for locale in LOCALES:
        with force_locale(locale):
            parts.append("\n\n".join([
                _("Hello %(name)s,", name=user.display_name or user.email),
                _("You are invited to the back office of the Longnan Village Shop."),
                _("Open this link within one hour to choose your password:"), link,
                _("Later, log in at %(url)s. If the link has expired, use “Forgot password” there.", url=login)]))
    with force_locale("zh"):
        subject = _("Your back-office account")
    try:
        send_mail(user.email, subject, "\n\n----------\n\n".join(parts))
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("Could not send the staff invitation to user %s", user.id)
        return False
    return True


def _other_active_admins(user_id: int) -> int:
    """How many active admins there are besides this user (their rows locked, so two demotions cannot race)."""
    ids = db.session.scalars(select(User.id).where(User.is_admin.is_(True), User.is_active_account.is_(True),
                                                   User.id != user_id).with_for_update()).all()
    return len(ids)


def change_roles(user: User, is_staff: bool, is_admin: bool, admin_id: int) -> bool:
    """Set a user's staff and admin roles, audited; return whether anything changed. An admin cannot drop
    their own admin role, and the last active admin keeps it (RoleError). An account entering the back office
    gets a new password nobody knows and its sessions end: the caller mails the invitation."""
    from shop.audit.services import record_audit

    if user.is_admin and not is_admin:
        if user.id == admin_id:
            raise RoleError(_("You cannot remove your own admin role."))
        if user.is_active and not _other_active_admins(user.id):
            raise RoleError(_("This is the last active admin: make someone else admin first."))
    old = (user.is_staff, user.is_admin)
    if old == (is_staff, is_admin):
        return False
    user.is_staff, user.is_admin = is_staff, is_admin
    if not any(old) and (is_staff or is_admin):
        # Registering proves no address, so whoever opened this account may not be the colleague it names: the
        # back office goes to the mailbox's holder, through the invitation the view mails (send_staff_invitation).
        user.set_password(secrets.token_urlsafe(32))
        end_sessions(user)
    db.session.flush()
    record_audit("user_role_changed", f"user:{user.id}", f"{user.email}: staff {_yes(old[0])}→{_yes(is_staff)}, "
                 f"admin {_yes(old[1])}→{_yes(is_admin)}", admin_id)
    return True


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def set_login_enabled(user: User, enabled: bool, admin_id: int) -> bool:
    """Disable a login (ending every session it has) or enable it again, audited; return whether it changed.
    An admin cannot disable themselves, nor the last active admin (RoleError)."""
    from shop.audit.services import record_audit

    if user.is_active == enabled:
        return False
    if not enabled:
        if user.id == admin_id:
            raise RoleError(_("You cannot disable your own login."))
        if user.is_admin and not _other_active_admins(user.id):
            raise RoleError(_("This is the last active admin: make someone else admin first."))
    user.is_active_account = enabled
    if not enabled:
        end_sessions(user)
    db.session.flush()
    record_audit("user_enabled" if enabled else "user_disabled", f"user:{user.id}", user.email, admin_id)
    return True


# --- addresses ---------------------------------------------------------------------------------

def list_addresses(user_id: int) -> list[Address]:
    """Return the user's saved addresses, oldest first."""
    return list(db.session.scalars(select(Address).where(Address.user_id == user_id).order_by(Address.id)))


def get_address(user_id: int, address_id: int) -> Address | None:
    """Return the address if it exists and belongs to the user, else None."""
    return db.session.scalar(select(Address).where(Address.id == address_id, Address.user_id == user_id))


def count_addresses(user_id: int) -> int:
    """Return how many addresses the user has saved."""
    return db.session.scalar(select(func.count()).select_from(Address).where(Address.user_id == user_id)) or 0


def add_address(user_id: int, *, recipient: str, mobile: str, province: str, city: str, district: str,
                street: str) -> Address:
    """Save a new address for the user; raise AddressLimitReached past MAX_ADDRESSES."""
    # Lock the user row so two concurrent adds cannot both pass the limit (a no-op on SQLite).
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())
    if count_addresses(user_id) >= MAX_ADDRESSES:
        raise AddressLimitReached(user_id)
    address = Address(user_id=user_id, recipient=recipient, mobile=_checked_mobile(mobile), province=province,
                      city=city, district=district, street=street)
    db.session.add(address)
    db.session.flush()
    return address


def update_address(address: Address, *, recipient: str, mobile: str, province: str, city: str, district: str,
                   street: str) -> None:
    """Change a saved address."""
    address.recipient, address.mobile = recipient, _checked_mobile(mobile)
    address.province, address.city, address.district, address.street = province, city, district, street
    db.session.flush()


def delete_address(address: Address) -> None:
    """Delete a saved address (orders keep their own copy)."""
    db.session.delete(address)
    db.session.flush()


def _checked_mobile(mobile: str) -> str:
    normalized = normalize_mobile(mobile)
    if normalized is None:
        raise ValueError("not a mainland China mobile number")
    return normalized
