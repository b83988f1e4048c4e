"""Account forms. Every validator carries its own translated message, so no English leaks."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField, TelField
from wtforms.validators import AnyOf, DataRequired, Email, EqualTo, Length

from shop.accounts.services import LOCALES
from shop.forms import email_filter, mobile_filter, strip, too_long, valid_mobile

PASSWORD_MIN = 10
PASSWORD_MAX = 128  # scrypt on megabyte-long passwords would be a cheap way to burn our CPU
# Language names are written in their own language, so anyone can find theirs.
LANGUAGE_CHOICES = [SelectChoice("zh", "中文", {"lang": "zh-CN"}), SelectChoice("en", "English", {"lang": "en"})]


def _email_field(label):
    return EmailField(label, filters=[email_filter], render_kw={"autocomplete": "email"}, validators=[
        DataRequired(message=_l("Please enter your email.")),
        too_long(254),
        Email(message=_l("Please enter a valid email address, like name@example.com."),
              check_deliverability=False)])


def _new_password_fields(label):
    password = PasswordField(label, render_kw={"autocomplete": "new-password"}, validators=[
        DataRequired(message=_l("Please choose a password.")),
        Length(min=PASSWORD_MIN, max=PASSWORD_MAX,
               message=_l("The password needs %(min)d to %(max)d characters.")),
    ])
    repeat = PasswordField(_l("Repeat the password"), render_kw={"autocomplete": "new-password"}, validators=[
        DataRequired(message=_l("Please type the password again.")),
        EqualTo("password", message=_l("The two passwords are not the same.")),
    ])
    return password, repeat


class UserRegisterForm(FlaskForm):
    email = _email_field(_l("Email"))
    display_name = StringField(_l("Your name"), filters=[strip], render_kw={"autocomplete": "nickname"},
                               validators=[DataRequired(message=_l("Please enter a name we can greet you with.")),
                                           too_long(60)])
    password, password2 = _new_password_fields(_l("Password"))
    submit = SubmitField(_l("Create account"))


class UserLoginForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[email_filter], render_kw={"autocomplete": "username"},
                       validators=[DataRequired(message=_l("Please enter your email.")), too_long(254)])
    password = PasswordField(_l("Password"), render_kw={"autocomplete": "current-password"},
                             validators=[DataRequired(message=_l("Please enter your password.")),
                                         too_long(PASSWORD_MAX)])
    submit = SubmitField(_l("Log in"))


class PasswordForgotForm(FlaskForm):
    email = _email_field(_l("Email"))
    submit = SubmitField(_l("Send me a link"))


class PasswordResetForm(FlaskForm):
    password, password2 = _new_password_fields(_l("New password"))
    submit = SubmitField(_l("Save the new password"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), render_kw={"autocomplete": "current-password"},
                                     validators=[DataRequired(message=_l("Please enter your current password.")),
                                                 too_long(PASSWORD_MAX)])
    password, password2 = _new_password_fields(_l("New password"))
    submit = SubmitField(_l("Change password"))


class AccountDeleteForm(FlaskForm):
    """The buyer confirms with their password that the account is to go."""

    current_password = PasswordField(_l("Your password"), render_kw={"autocomplete": "current-password"},
                                     validators=[DataRequired(message=_l("Please enter your password.")),
                                                 too_long(PASSWORD_MAX)])
    submit = SubmitField(_l("Delete my account"))


class ProfileEditForm(FlaskForm):
    display_name = StringField(_l("Your name"), filters=[strip], render_kw={"autocomplete": "nickname"},
                               validators=[DataRequired(message=_l("Please enter a name we can greet you with.")),
                                           too_long(60)])
    locale = SelectField(_l("Language"), validate_choice=False, choices=LANGUAGE_CHOICES,
                         validators=[AnyOf(LOCALES, message=_l("Please choose a language from the list."))])
    submit = SubmitField(_l("Save"))


class AddressEditForm(FlaskForm):
    """A delivery address in Chinese order: province, city, district, street; then who receives it."""

    province = StringField(_l("Province"), filters=[strip], render_kw={"autocomplete": "address-level1"},
                           validators=[DataRequired(message=_l("Please enter the province.")), too_long(20)])
    city = StringField(_l("City"), filters=[strip], render_kw={"autocomplete": "address-level2"},
                       validators=[DataRequired(message=_l("Please enter the city.")), too_long(30)])
    district = StringField(_l("District or county"), filters=[strip], render_kw={"autocomplete": "address-level3"},
                           validators=[DataRequired(message=_l("Please enter the district or county.")),
                                       too_long(30)])
    street = StringField(_l("Street address"), filters=[strip], render_kw={"autocomplete": "street-address"},
                         validators=[DataRequired(message=_l("Please enter the street, building and room.")),
                                     too_long(120)])
    recipient = StringField(_l("Recipient"), filters=[strip], render_kw={"autocomplete": "name"},
                            validators=[DataRequired(message=_l("Please enter who receives the parcel.")),
                                        too_long(40)])
    mobile = TelField(_l("Mobile number"), filters=[mobile_filter],
                      render_kw={"autocomplete": "tel-national", "inputmode": "numeric"},
                      validators=[DataRequired(message=_l("Please enter the recipient's mobile number.")),
                                  too_long(30), valid_mobile])
    submit = SubmitField(_l("Save address"))

    def address_data(self) -> dict[str, str]:
        """Return the address fields, and only those, for the services."""
        return {name: self[name].data for name in ("province", "city", "district", "street", "recipient", "mobile")}


# --- back office: users, for admins ----------------------------------------------------------------

class UserSearchForm(FlaskForm):
    """Find users by part of their e-mail and a role (read from the query string, so no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("E-mail contains"), filters=[lambda v: "".join(c for c in (v or "") if c.isprintable())
                                                    .strip()[:254]], validators=[too_long(254)])
    role = SelectField(_l("Role"), default="", choices=[SelectChoice(k, v) for k, v in (
        ("", _l("All")), ("buyer", _l("Buyer")), ("coop_manager", _l("Coop manager")), ("staff", _l("Staff")),
        ("admin", _l("Admin")), ("disabled", _l("Disabled")))])


class StaffInviteForm(FlaskForm):
    email = _email_field(_l("Email"))
    display_name = StringField(_l("Name"), filters=[strip], validators=[
        DataRequired(message=_l("Please enter the name of the new staff member.")), too_long(60)])
    submit = SubmitField(_l("Invite"))


class UserRoleForm(FlaskForm):
    is_staff = BooleanField(_l("Staff"))
    is_admin = BooleanField(_l("Admin"))
    submit = SubmitField(_l("Save roles"))
