"""Supply lot forms. They list their fields; choices come from the manager's own cooperative."""
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (DateField, FieldList, Form, FormField, IntegerField, SelectChoice, SelectField, StringField,
                     SubmitField)
from wtforms.validators import (AnyOf, DataRequired, InputRequired, Length, NumberRange, StopValidation,
                                ValidationError)

from shop.forms import MAX_DB_INT
from shop.i18n import l10n
from shop.supply.services import MAX_LOT_UNITS, PLAIN_DECIMAL_RE

SHARE_ROWS = 5  # rows shown at first; "Add rows" (a plain submit, or the script) adds more, empty rows are ignored
ADD_ROWS = 5
MAX_SHARE_ROWS = 300
OWN_STOCK = "own"


def _id_or_none(value):
    if isinstance(value, int):
        return value if value <= MAX_DB_INT else None
    number = int(value) if isinstance(value, str) and value.isdigit() and len(value) < 12 else None
    return number if number is not None and number <= MAX_DB_INT else None


def _unit_choices():
    return [SelectChoice("units", _l("units")), SelectChoice("kg", _l("kilograms"))]


class LotShareRowForm(Form):
    """One contributor of a lot: a member household or the cooperative's own stock, and how much."""

    household = SelectField(_l("Household"), validate_choice=False)
    amount = StringField(_l("Amount"), validators=[Length(max=12, message=_l("Please use at most %(max)d characters."))])

    def validate_household(self, field):
        if field.data and field.data != OWN_STOCK and _id_or_none(field.data) is None:
            raise ValidationError(_l("Choose a household from the list."))
        if field.data and not (self.amount.data or "").strip():
            raise ValidationError(_l("Enter how much this household delivered, or leave the row empty."))
        if not field.data and (self.amount.data or "").strip():
            raise ValidationError(_l("Choose who delivered this amount, or leave the row empty."))


class LotRecordForm(FlaskForm):
    variant_id = SelectField(_l("Product"), coerce=_id_or_none, validate_choice=False,
                             validators=[InputRequired(message=_l("Choose the product that was delivered."))])
    unit = SelectField(_l("Counted in"), validate_choice=False, default="units",
                       validators=[AnyOf(("units", "kg"), message=_l("Choose units or kilograms."))])
    amount = StringField(_l("Total delivered"), validators=[
        DataRequired(message=_l("Enter how much was delivered.")),
        Length(max=12, message=_l("Please use at most %(max)d characters."))])
    harvested_on = DateField(_l("Harvested on"),
                             validators=[InputRequired(message=_l("Enter the harvest date."))])
    shares = FieldList(FormField(LotShareRowForm), min_entries=SHARE_ROWS, max_entries=MAX_SHARE_ROWS)
    add_rows = SubmitField(_l("Add %(n)d more rows", n=ADD_ROWS))
    submit = SubmitField(_l("Record lot and print label"))

    def set_choices(self, variants, households) -> None:
        """Offer only the cooperative's own variants, and its member households grouped by village."""
        self.variant_id.choices = [SelectChoice("", _l("Choose…"))] + [
            SelectChoice(v.id, f"{l10n(v.product, 'name')} · {l10n(v, 'name')} ({v.sku})") for v in variants]
        self.unit.choices = _unit_choices()
        self.people = [SelectChoice("", "—"), SelectChoice(OWN_STOCK, _l("The cooperative's own stock"))] + [
            SelectChoice(str(h.id), h.head_name, optgroup=l10n(h.village, "name"))
            for h in sorted(households, key=lambda h: (l10n(h.village, "name"), h.head_name, h.id))]
        for row in self.shares:
            row.form.household.choices = self.people

    def add_blank_rows(self, n: int = ADD_ROWS) -> None:
        """Append empty share rows (up to the maximum), keeping what was typed in the others."""
        for _i in range(min(n, MAX_SHARE_ROWS - len(self.shares))):
            self.shares.append_entry().form.household.choices = self.people

    def row_template(self) -> LotShareRowForm:
        """Return an empty row named shares-__i__-…, which the page's script copies to add rows."""
        row = LotShareRowForm(formdata=None, prefix="shares-__i__-")
        row.household.choices = self.people
        return row

    def share_entries(self) -> list[tuple[int | None, str]]:
        """Return (household id or None for the cooperative's own stock, amount) for every filled row."""
        return [(None if row.form.household.data == OWN_STOCK else _id_or_none(row.form.household.data),
                 row.form.amount.data.strip()) for row in self.shares if row.form.household.data]


class LotAdjustForm(FlaskForm):
    direction = SelectField(_l("Change"), validate_choice=False, default="remove", validators=[
        AnyOf(("remove", "add"), message=_l("Choose whether units are written off or added back."))])
    units = IntegerField(_l("Units"), validators=[
        InputRequired(message=_l("Enter a number of units.")),
        NumberRange(min=1, max=MAX_LOT_UNITS, message=_l("Enter between %(min)s and %(max)s units."))])
    reason = StringField(_l("Reason"), validators=[
        DataRequired(message=_l("Say why the stock changes, for example “spoiled in storage”.")),
        Length(max=200, message=_l("Please use at most %(max)d characters."))])
    submit = SubmitField(_l("Save correction"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.direction.choices = [SelectChoice("remove", _l("Write off free units (spoiled, lost, recount)")),
                                  SelectChoice("add", _l("Add back units written off earlier"))]

    @property
    def units_delta(self) -> int:
        return -self.units.data if self.direction.data == "remove" else self.units.data


def _typed_number(text: str | None) -> Decimal | None:
    text = (text or "").strip().replace(",", "").replace("，", "")
    if len(text) > 24 or not PLAIN_DECIMAL_RE.fullmatch(text):  # no exponents: "1e1000000" overflows a Decimal
        return None
    value = Decimal(text)
    return value if value > 0 else None


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def share_balance(form: LotRecordForm) -> dict:
    """Compare the typed shares with the typed total, in the unit typed, for the running total line.

    Returns state ("none", "match", "short" or "over") and the sum, total and difference as text."""
    typed = (_typed_number(row.form.amount.data) for row in form.shares)
    shares = sum((n for n in typed if n is not None), Decimal(0))
    total = _typed_number(form.amount.data)
    if total is None:
        return {"state": "none", "sum": _plain(shares), "total": "", "diff": ""}
    state = "match" if shares == total else "short" if shares < total else "over"
    return {"state": state, "sum": _plain(shares), "total": _plain(total), "diff": _plain(abs(total - shares))}


MAX_LABELS = 40  # five A4 sheets: enough for a lot's crates, small enough to print by mistake without waste
LABELS_PER_SHEET = 8  # two columns, four rows on A4 (static/css/print-labels.css)


class _CountField(IntegerField):
    """A whole number whose "not a number" message is ours, and the only one shown: the range is not checked
    again once the text could not be read as a number."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a whole number of labels, for example 8.")) from None

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class LabelSheetForm(FlaskForm):
    """How many copies of a lot's label to print on A4 sheets. Read from the query string (a GET form that
    changes nothing), so it carries no CSRF token."""

    class Meta:
        csrf = False

    count = _CountField(_l("Number of labels"), validators=[
        InputRequired(message=_l("Enter how many labels to print, for example 8.")),
        NumberRange(min=1, max=MAX_LABELS, message=_l("Choose between %(min)s and %(max)s labels."))])


def default_label_count(units_received: int) -> int:
    """One label per unit received (a crate, a bag), at least one and at most MAX_LABELS."""
    return max(1, min(units_received, MAX_LABELS))


def label_sheets(count: int, per_sheet: int = LABELS_PER_SHEET) -> list[int]:
    """How many labels go on each printed sheet, in order: full sheets, then the rest."""
    return [min(per_sheet, count - start) for start in range(0, count, per_sheet)]
