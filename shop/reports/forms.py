"""Report filters. They are read from the query string, so they carry no CSRF token."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import Optional, ValidationError

EARLIEST = date(2000, 1, 1)


class PeriodForm(FlaskForm):
    """A period of Shanghai dates, both ends included; either end may be left open."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])

    def validate_end(self, field):
        for value in (self.start.data, field.data):
            if value is not None and not EARLIEST <= value <= date(2100, 12, 31):
                raise ValidationError(_l("Choose dates between 2000 and 2100."))
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("The end of the period must not be before its start."))

    def period(self) -> tuple[date | None, date | None]:
        """Return (start, end) when the filter is valid, else the whole history."""
        return (self.start.data, self.end.data) if self.validate() else (None, None)
