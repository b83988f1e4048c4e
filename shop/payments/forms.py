"""Back-office payment forms. Each lists its fields; every validator carries a translated message."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, HiddenField, IntegerField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from shop.money import parse_yuan

def _clean(value):
    """Strip spaces and drop NUL and other control characters (PostgreSQL refuses NUL in text)."""
    return "".join(ch for ch in value if ch >= " ").strip() if isinstance(value, str) else value


REFUND_MODES = (("whole", _l("The whole order (what is left)")), ("lines", _l("Chosen items")),
                ("amount", _l("An amount")))


class RefundCreateForm(FlaskForm):
    """Refund an order: everything, some items (one quantity box per order line), or an amount."""

    mode = RadioField(_l("What to refund"), choices=[SelectChoice(k, v) for k, v in REFUND_MODES], default="whole",
                      validators=[InputRequired(message=_l("Choose what to refund."))])
    quantities = FieldList(IntegerField(_l("Units"), validators=[
        Optional(), NumberRange(min=0, max=9999, message=_l("Enter a number of units from 0 to 9999."))]))
    amount = StringField(_l("Amount (yuan)"), filters=[_clean], validators=[Optional(), Length(max=20, message=_l(
        "Enter an amount in yuan, for example 12.50."))])
    restock = BooleanField(_l("Put the refunded units back on sale"))
    reason = StringField(_l("Reason (for the records)"), filters=[_clean], validators=[Length(max=200, message=_l(
        "Please use at most %(max)d characters."))])
    token = HiddenField(filters=[_clean], validators=[
        DataRequired(message=_l("The form expired. Please reload the page.")),
        Length(min=20, max=64, message=_l("The form expired. Please reload the page."))])

    def validate_amount(self, field):
        if self.mode.data != "amount":
            return
        try:
            field.parsed_fen = parse_yuan(field.data or "")
        except ValueError:
            raise ValidationError(_l("Enter an amount in yuan, for example 12.50.")) from None


class FlagResolveForm(FlaskForm):
    """Close a flagged payment with a note saying what was done."""

    note = StringField(_l("What was done"), filters=[_clean], validators=[
        DataRequired(message=_l("Say what was done about this payment.")),
        Length(max=300, message=_l("Please use at most %(max)d characters."))])
