"""Staff household forms: the search (query string, no CSRF), the edit form, a decline reason and a period."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectChoice, SelectField, StringField, SubmitField, TelField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from shop.coops.forms import REGISTRY_RE, _OwnMessages, _upper
from shop.forms import mobile_filter, strip, too_long, valid_mobile
from shop.reports.forms import PeriodForm, _id


def _searchable(value, max_len: int) -> str:
    """What was typed, without control characters (PostgreSQL text cannot hold NUL), trimmed and cut."""
    return "".join(c for c in (value or "") if c.isprintable()).strip()[:max_len]


class HouseholdSearchForm(FlaskForm):
    """Households by part of the head's name, a whole registry code, a village, a cooperative, a status."""

    class Meta:
        csrf = False

    name = StringField(_l("Head of household"), filters=[lambda v: _searchable(v, 40)],
                       validators=[Optional(), Length(max=40)])
    code = StringField(_l("Registry code (all of it)"), filters=[lambda v: _searchable(v, 30).upper()],
                       validators=[Optional(), Length(max=30)])
    village = SelectField(_l("Village"), coerce=_id, validators=[Optional()])
    coop = SelectField(_l("Cooperative"), coerce=_id, validators=[Optional()])
    poor = SelectField(_l("Registered-poor status"), default="", choices=[SelectChoice(k, v) for k, v in (
        ("", _l("All")), ("none", _l("Not registered poor")), ("proposed", _l("Proposed by the cooperative")),
        ("confirmed", _l("Registered poor")))], validators=[Optional()])

    def set_choices(self, villages, coops) -> None:
        """Fill the villages and cooperatives from (id, label) rows."""
        self.village.choices = [SelectChoice(None, _l("All"))] + [SelectChoice(i, label) for i, label in villages]
        self.coop.choices = [SelectChoice(None, _l("All"))] + [SelectChoice(i, label) for i, label in coops]

    def search(self):
        """Return the HouseholdSearch for valid input, else None (the page then says what is wrong)."""
        from shop.households.services import HouseholdSearch

        if not self.validate():
            return None
        return HouseholdSearch(self.name.data or "", self.code.data or "", self.village.data, self.coop.data,
                               self.poor.data or "")


class HouseholdEditForm(_OwnMessages, FlaskForm):
    """What staff may correct on a household. The registry code and phone on file are not filled in (a blank
    keeps them): seeing them in full is a logged reveal."""

    _messages = {"village_id": _l("Please choose a village from the list."),
                 "members_count": _l("Enter a number from %(min)d to %(max)d.", min=1, max=30),
                 "poor_since_year": _l("Enter a year from %(min)d to %(max)d.", min=2000, max=2100)}

    head_name = StringField(_l("Head of household"), filters=[strip], validators=[
        DataRequired(message=_l("Please enter the name of the head of household.")), too_long(40)])
    village_id = SelectField(_l("Village"), coerce=int, choices=[], validate_choice=True,
                             validators=[InputRequired(message=_l("Please choose a village from the list."))])
    members_count = IntegerField(_l("People in the household"), render_kw={"inputmode": "numeric"}, validators=[
        InputRequired(message=_l("Please enter how many people live in the household.")),
        NumberRange(min=1, max=30)])
    phone = TelField(_l("Mobile number (optional)"), filters=[mobile_filter],
                     render_kw={"inputmode": "numeric", "autocomplete": "off"},
                     validators=[Optional(), too_long(20), valid_mobile])
    registry_code = StringField(_l("Registry code"), filters=[_upper], render_kw={"autocomplete": "off"}, validators=[
        Optional(), Regexp(REGISTRY_RE, message=_l("A registry code has 6 to 30 letters, digits or dashes."))])
    poor_since_year = IntegerField(_l("Registered in year"), render_kw={"inputmode": "numeric"}, validators=[
        Optional(), NumberRange(min=2000, max=2100)])
    submit = SubmitField(_l("Save household"))

    def data_for_service(self, household) -> dict:
        """The new values; a blank registry code or phone keeps the one on file (never sent to the browser)."""
        return {"head_name": self.head_name.data, "village_id": self.village_id.data,
                "members_count": self.members_count.data, "phone": self.phone.data or household.phone,
                "registry_code": self.registry_code.data or household.registry_code,
                "poor_since_year": self.poor_since_year.data}


class DeclineForm(FlaskForm):
    """Why staff decline a registered-poor proposal; the cooperative sees it."""

    reason = StringField(_l("Reason for declining"), filters=[strip], validators=[
        DataRequired(message=_l("Please say why the proposal is declined.")), too_long(300)])


class AnonymiseForm(FlaskForm):
    """Staff confirm, knowingly, that a household's identity is erased for good."""

    confirm = BooleanField(_l("I understand: the name, registry code and phone are erased for good and cannot "
                              "be brought back. Its income stays in every figure under its number."),
                           validators=[DataRequired(message=_l("Please tick the box to confirm."))])


class StatementPeriodForm(PeriodForm):
    """The period of a household statement: ?from=YYYY-MM-DD&to=YYYY-MM-DD, both ends included."""

    start = DateField(_l("From"), name="from", validators=[Optional()])
    end = DateField(_l("To"), name="to", validators=[Optional()])
