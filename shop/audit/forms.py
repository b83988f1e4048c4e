"""The audit log's filters. They are read from the query string, so they carry no CSRF token."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from shop.reports.forms import PeriodForm


class AuditLogForm(PeriodForm):
    """Which log, which action, part of the user's e-mail, and the Shanghai dates (both ends included)."""

    kind = SelectField(_l("Log"), default="", choices=[SelectChoice(k, v) for k, v in (
        ("", _l("All")), ("money", _l("Money and administration")), ("household", _l("Household data")))])
    # No Optional(): it would clear the "not a valid choice" of a value such as "   ", and "" is a choice anyway.
    action = SelectField(_l("Action"), default="")
    user = StringField(_l("User e-mail"), filters=[lambda v: "".join(c for c in (v or "") if c.isprintable())
                                                   .strip()[:254]], validators=[Optional(), Length(max=254)])

    def set_choices(self, actions: list[str], label) -> None:
        """Offer every action, by its label."""
        self.action.choices = [SelectChoice("", _l("All"))] + sorted(
            (SelectChoice(a, label(a)) for a in actions), key=lambda c: str(c.label))

    def search(self):
        """Return the LogSearch for valid input, else None (the page then says what is wrong)."""
        from shop.audit.services import LogSearch

        if not self.validate():
            return None
        return LogSearch(self.kind.data or "", self.action.data or "", self.user.data or "", self.start.data,
                         self.end.data)
