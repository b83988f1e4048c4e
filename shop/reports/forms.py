"""Report filters. They are read from the query string, so they carry no CSRF token."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

EARLIEST = date(2000, 1, 1)


def _id(value):
    """An id from a select box: a whole number in the database's range, or None for "all"."""
    if value in (None, "", "None"):
        return None
    number = int(value)  # a ValueError makes the field invalid
    if not 0 < number < 2**31:
        raise ValueError("not an id")
    return number


def _check_range(value: date | None) -> None:
    if value is not None and not EARLIEST <= value <= date(2100, 12, 31):
        raise ValidationError(_l("Choose dates between 2000 and 2100."))


class PeriodForm(FlaskForm):
    """A period of Shanghai dates, both ends included; either end may be left open."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])

    # Each end checks its own range: an empty end stops its validators, and a date such as 0001-01-01
    # cannot be turned into a UTC moment.
    def validate_start(self, field):
        _check_range(field.data)

    def validate_end(self, field):
        _check_range(field.data)
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("The end of the period must not be before its start."))

    def period(self) -> tuple[date | None, date | None]:
        """Return (start, end) when the filter is valid, else the whole history."""
        return (self.start.data, self.end.data) if self.validate() else (None, None)


class IncomeReportForm(PeriodForm):
    """Household income: a period, a grouping, filters and a sort order (read from the query string)."""

    group = SelectField(_l("Group by"), default="village", choices=[SelectChoice(k, v) for k, v in (
        ("household", _l("Household")), ("village", _l("Village")), ("county", _l("County")),
        ("coop", _l("Cooperative")), ("category", _l("Product category")), ("poor", _l("Registered-poor status")))],
        validators=[Optional()])
    county = SelectField(_l("County"), coerce=_id, validators=[Optional()])
    village = SelectField(_l("Village"), coerce=_id, validators=[Optional()])
    coop = SelectField(_l("Cooperative"), coerce=_id, validators=[Optional()])
    category = SelectField(_l("Product category"), coerce=_id, validators=[Optional()])
    poor = SelectField(_l("Registered poor"), default="", choices=[SelectChoice(k, v) for k, v in (
        ("", _l("All households")), ("yes", _l("Registered-poor households")), ("no", _l("Other households")))],
        validators=[Optional()])
    sort = SelectField(_l("Sort by"), default="income", choices=[SelectChoice(k, v) for k, v in (
        ("income", _l("Income, highest first")), ("name", _l("Name")), ("households", _l("Households")))],
        validators=[Optional()])

    def set_choices(self, counties, villages, coops, categories, lang: str) -> None:
        """Fill the filter lists from (id, name_zh, name_en) rows."""
        def opts(rows):
            return [SelectChoice(None, _l("All"))] + [SelectChoice(i, en if lang == "en" and en else zh)
                                                      for i, zh, en in rows]
        self.county.choices, self.village.choices = opts(counties), opts(villages)
        self.coop.choices, self.category.choices = opts(coops), opts(categories)

    def filters(self):
        """Return the IncomeFilter for valid input, else the whole history unfiltered."""
        from shop.reports.income import IncomeFilter

        if not self.validate():
            return IncomeFilter()
        poor = {"yes": True, "no": False}.get(self.poor.data or "")
        return IncomeFilter(self.start.data, self.end.data, self.county.data, self.village.data, self.coop.data,
                            self.category.data, poor)

    def described(self, group: str | None = None) -> list[tuple[str, str]]:
        """The filters the report used, in words, for the Filters sheet of an export: the defaults when the
        input is invalid (filters() then ignores it), and `group`, the grouping the report actually has."""
        valid = self.validate()
        words = []
        for f in (self.start, self.end, self.group, self.county, self.village, self.coop, self.category, self.poor):
            value = group if f is self.group and group else f.data if valid else f.default
            if isinstance(f, SelectField):
                value = next((str(c.label) for c in f.choices if c.value == value), "")
            words.append((str(f.label.text), str(value or "")))
        return words


class OrderSearchForm(PeriodForm):
    """Staff order search: an order number, a buyer's mobile or e-mail; a cooperative, a status and the
    Shanghai dates the order was placed (read from the query string)."""

    q = StringField(_l("Order number, mobile or e-mail"), filters=[lambda v: (v or "").strip()[:254]],
                    validators=[Optional(), Length(max=254)])
    coop = SelectField(_l("Cooperative"), coerce=_id, validators=[Optional()])
    status = SelectField(_l("Status"), default="", validators=[Optional()])

    def set_choices(self, coops, statuses, lang: str) -> None:
        """Fill the cooperatives from (id, name_zh, name_en) rows and the statuses from (value, label)."""
        self.coop.choices = [SelectChoice(None, _l("All"))] + [
            SelectChoice(i, en if lang == "en" and en else zh) for i, zh, en in coops]
        self.status.choices = [SelectChoice("", _l("All"))] + [SelectChoice(v, label) for v, label in statuses]

    def search(self):
        """Return the OrderSearch for valid input, else None (the page then says what is wrong)."""
        from shop.payments.backoffice import OrderSearch

        if not self.validate():
            return None
        return OrderSearch(self.q.data or "", self.coop.data, self.status.data or "", self.start.data, self.end.data)
