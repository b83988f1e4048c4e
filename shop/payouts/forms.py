"""Payout forms (staff: paid, failed; coop: handover) and the words shown for payout states.
Each form lists its fields; every validator carries a translated message, and WTForms' own parse
messages ("Not a valid date value") are replaced by ours."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length

from shop.payouts.models import HANDOVER_METHODS
from shop.types import today_local

STATUS_LABELS = {"pending": _l("Being sent"), "paid": _l("Paid out"), "failed": _l("Failed"),
                 "cancelled": _l("Cancelled")}
METHOD_LABELS = {"bank": _l("Bank transfer"), "stripe": _l("Stripe")}
HANDOVER_LABELS = {"cash": _l("Cash"), "bank": _l("Bank transfer")}
LABELS = {"status_labels": STATUS_LABELS, "method_labels": METHOD_LABELS, "handover_labels": HANDOVER_LABELS}


def clean(value):
    """Strip spaces and drop NUL and other control characters (PostgreSQL refuses NUL in text)."""
    return "".join(ch for ch in value if ch >= " ").strip() if isinstance(value, str) else value


class PayoutPaidForm(FlaskForm):
    """Staff confirm that a bank transfer arrived, with the bank's reference."""

    reference = StringField(_l("Bank reference"), filters=[clean], validators=[
        DataRequired(message=_l("Enter the bank's reference for this transfer.")),
        Length(min=1, max=80, message=_l("A bank reference has 1 to 80 characters."))])


class PayoutFailForm(FlaskForm):
    """Staff record that a transfer did not arrive, and why."""

    reason = StringField(_l("Why it failed"), filters=[clean], validators=[
        DataRequired(message=_l("Say why the transfer failed, for example “account closed”.")),
        Length(max=300, message=_l("Please use at most %(max)d characters."))])


class HandoverRecordForm(FlaskForm):
    """The cooperative records that a household received its part of a payout."""

    handed_over_on = DateField(_l("Handed over on"), default=today_local, validators=[
        InputRequired(message=_l("Enter the date the household received the money."))])
    method = SelectField(_l("How"), default="cash", validate_choice=False, validators=[
        AnyOf(HANDOVER_METHODS, message=_l("Choose cash or bank transfer."))])
    note = StringField(_l("Note (optional)"), filters=[clean], validators=[
        Length(max=200, message=_l("Please use at most %(max)d characters."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.method.choices = [SelectChoice(k, HANDOVER_LABELS[k]) for k in HANDOVER_METHODS]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        day = self.handed_over_on
        if day.process_errors and day.raw_data and day.raw_data[0]:  # typed, but not a date
            day.errors = [_l("Enter the date as year-month-day, for example 2026-03-01.")]
        return ok
