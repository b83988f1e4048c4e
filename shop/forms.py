"""Field filters and validators shared by every area's forms; each message is translated."""
from flask_babel import lazy_gettext as _l
from wtforms.validators import Length, ValidationError

from shop.accounts.services import normalize_email, normalize_mobile

MAX_DB_INT = 2**31 - 1  # ids above this cannot exist; never let them reach the database


def strip(value):
    return value.strip() if isinstance(value, str) else value


def email_filter(value):
    return normalize_email(value) if isinstance(value, str) else value


def mobile_filter(value):
    # Store the clean 11 digits; keep what was typed when it is not valid, to show it back.
    if not isinstance(value, str):
        return value
    return normalize_mobile(value) or value.strip()


def valid_mobile(form, field):
    """Refuse a number that is not a mainland China mobile number (empty is left to DataRequired)."""
    if field.data and normalize_mobile(field.data) is None:
        raise ValidationError(_l("Enter an 11-digit mainland China mobile number, for example 13912345678."))


def too_long(max_len: int) -> Length:
    return Length(max=max_len, message=_l("Please use at most %(max)d characters."))
