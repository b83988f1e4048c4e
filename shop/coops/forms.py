"""Cooperative portal forms. Each lists its fields, so nothing else (coop_id, status, is_published,
poor_status …) can be posted into a model; every validator carries a translated message."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, EmailField, IntegerField, SelectChoice, SelectField, StringField,
                     SubmitField, TelField, TextAreaField)
from wtforms.validators import (DataRequired, Email, InputRequired, NumberRange, Optional, Regexp,
                                ValidationError)

from shop.forms import email_filter, mobile_filter, strip, too_long, valid_mobile
from shop.i18n import l10n
from shop.money import MAX_PAYMENT_FEN, format_fen, parse_yuan
from shop.types import today_local

SKU_RE = r"^[A-Za-z0-9][A-Za-z0-9._-]{1,39}$"
REGISTRY_RE = r"^[A-Za-z0-9-]{6,30}$"
MAX_WEIGHT_G = 100_000
MAX_DESCRIPTION = 4000


def _upper(value):
    return value.strip().upper() if isinstance(value, str) else value


def _required(message):
    return DataRequired(message=message)


def _id_or_none(value):
    return None if value in ("", None) else int(value)


def _id_choice_field(label, message):
    """A select of database ids; choices are set by the view, unknown ids are refused (and a blank
    "Choose…" placeholder by InputRequired)."""
    return SelectField(label, coerce=_id_or_none, choices=[], validate_choice=True,
                       validators=[InputRequired(message=message)])


def village_choices(villages, placeholder=None) -> list[SelectChoice]:
    """Villages grouped by county, for a select; with a placeholder first, nothing is chosen until the user
    chooses."""
    first = [SelectChoice("", placeholder)] if placeholder else []
    return first + [SelectChoice(v.id, l10n(v, "name"), optgroup=l10n(v.county, "name")) for v in villages]


class _OwnMessages:
    """Replace WTForms' built-in parse messages ("Not a valid choice", "Not a valid integer value")
    of the fields named in _messages with one message of ours, in the user's language."""

    _messages: dict = {}

    def set_choices(self, **choices) -> None:
        for name, values in choices.items():
            self[name].choices = values

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for name, message in self._messages.items():
            if self[name].errors:
                self[name].errors = [message]
        return ok


class CoopApplyForm(_OwnMessages, FlaskForm):
    _messages = {"village_id": _l("Please choose a village from the list.")}

    name_zh = StringField(_l("Name in Chinese"), filters=[strip], validators=[
        _required(_l("Please enter the cooperative's Chinese name.")), too_long(80)])
    name_en = StringField(_l("Name in English"), filters=[strip], validators=[
        _required(_l("Please enter the cooperative's English name.")), too_long(120)])
    village_id = _id_choice_field(_l("County and village"), _l("Please choose a village from the list."))
    registration_no = StringField(_l("Registration number"), filters=[_upper], validators=[
        _required(_l("Please enter the registration number (unified social credit code).")),
        Regexp(r"^[0-9A-Z]{8,30}$", message=_l("The registration number has 8 to 30 letters and digits.")),
    ])
    contact_name = StringField(_l("Contact person"), filters=[strip], render_kw={"autocomplete": "name"},
                               validators=[_required(_l("Please enter the contact person's name.")),
                                           too_long(40)])
    contact_phone = TelField(_l("Contact mobile number"), filters=[mobile_filter],
                             render_kw={"autocomplete": "tel-national", "inputmode": "numeric"},
                             validators=[_required(_l("Please enter a mobile number we can call.")),
                                         too_long(20), valid_mobile])
    contact_email = EmailField(_l("Contact email"), filters=[email_filter], render_kw={"autocomplete": "email"},
                               validators=[_required(_l("Please enter an email address.")), too_long(254),
                                           Email(message=_l("Please enter a valid email address, like "
                                                            "name@example.com."), check_deliverability=False)])
    products_summary = TextAreaField(_l("What you grow and sell"), filters=[strip], validators=[
        _required(_l("Please tell us briefly what the cooperative sells.")), too_long(200)])
    submit = SubmitField(_l("Send application"))

    def data_for_service(self) -> dict:
        return {n: self[n].data for n in ("name_zh", "name_en", "village_id", "registration_no", "contact_name",
                                          "contact_phone", "contact_email", "products_summary")}


class ApplicationRejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason (sent to the applicant)"), filters=[strip], validators=[
        _required(_l("Please give the reason, so the applicant can put it right.")), too_long(300)])
    submit = SubmitField(_l("Reject application"))


class ActionForm(FlaskForm):
    """A button-only form (publish, approve, delete …): just the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class ProductEditForm(_OwnMessages, FlaskForm):
    _messages = {"category_id": _l("Please choose a category from the list."),
                  "origin_village_id": _l("Please choose a village from the list.")}

    name_zh = StringField(_l("Name in Chinese"), filters=[strip], validators=[
        _required(_l("Please enter the product's Chinese name.")), too_long(80)])
    name_en = StringField(_l("Name in English"), filters=[strip], validators=[
        _required(_l("Please enter the product's English name.")), too_long(120)])
    category_id = _id_choice_field(_l("Category"), _l("Please choose a category from the list."))
    origin_village_id = _id_choice_field(_l("Village of origin"), _l("Please choose a village from the list."))
    description_zh = TextAreaField(_l("Description in Chinese"), filters=[strip],
                                   validators=[too_long(MAX_DESCRIPTION)])
    description_en = TextAreaField(_l("Description in English"), filters=[strip],
                                   validators=[too_long(MAX_DESCRIPTION)])
    submit = SubmitField(_l("Save product"))

    def data_for_service(self) -> dict:
        # A description box left out of the post is an empty description (the column is NOT NULL).
        return {"description_zh": self.description_zh.data or "", "description_en": self.description_en.data or "",
                **{n: self[n].data for n in ("name_zh", "name_en", "category_id", "origin_village_id")}}


def _valid_price(form, field):
    try:
        fen = parse_yuan(field.data or "")
    except ValueError:
        raise ValidationError(_l("Enter the price in yuan, for example 68 or 68.50.")) from None
    if fen <= 0:
        raise ValidationError(_l("The price must be more than zero."))
    if fen > MAX_PAYMENT_FEN:  # one unit could never be paid for
        raise ValidationError(_l("The price may be at most %(max)s.", max=format_fen(MAX_PAYMENT_FEN)))


class VariantEditForm(_OwnMessages, FlaskForm):
    _messages = {"net_weight_g": _l("Enter a weight from %(min)d to %(max)d grams.", min=1, max=MAX_WEIGHT_G)}

    name_zh = StringField(_l("Variant name in Chinese"), filters=[strip],
                          render_kw={"placeholder": "1 kg 礼盒"},
                          validators=[_required(_l("Please name the variant in Chinese, for example 500 g 袋装.")),
                                      too_long(40)])
    name_en = StringField(_l("Variant name in English"), filters=[strip], render_kw={"placeholder": "1 kg box"},
                          validators=[_required(_l("Please name the variant in English, for example 500 g bag.")),
                                      too_long(60)])
    sku = StringField(_l("SKU (your stock code)"), filters=[_upper], validators=[
        _required(_l("Please enter a SKU.")),
        Regexp(SKU_RE, message=_l("A SKU has 2 to 40 letters, digits, dots, dashes or underscores."))])
    price = StringField(_l("Price (yuan)"), filters=[strip], render_kw={"inputmode": "decimal"},
                        validators=[_required(_l("Please enter the price.")), _valid_price])
    net_weight_g = IntegerField(_l("Net weight (grams)"), render_kw={"inputmode": "numeric"}, validators=[
        InputRequired(message=_l("Please enter the net weight in grams.")),
        NumberRange(min=1, max=MAX_WEIGHT_G, message=_l("Enter a weight from %(min)d to %(max)d grams."))])
    is_active = BooleanField(_l("On sale"), default=True)
    submit = SubmitField(_l("Save variant"))

    def data_for_service(self) -> dict:
        return {"sku": self.sku.data, "name_zh": self.name_zh.data, "name_en": self.name_en.data,
                "price_fen": parse_yuan(self.price.data), "net_weight_g": self.net_weight_g.data,
                "is_active": bool(self.is_active.data)}


class PhotoUploadForm(FlaskForm):
    photo = FileField(_l("Photo (JPEG, PNG or WebP)"), render_kw={"accept": "image/jpeg,image/png,image/webp"})
    alt_zh = StringField(_l("What the photo shows, in Chinese"), filters=[strip], validators=[too_long(120)])
    alt_en = StringField(_l("What the photo shows, in English"), filters=[strip], validators=[too_long(160)])
    submit = SubmitField(_l("Upload photo"))


class MemberEditForm(_OwnMessages, FlaskForm):
    """Only the fields DOMAIN.md allows: name of the head, village, size, poor flag and year, phone."""

    _messages = {"village_id": _l("Please choose a village from the list."),
                 "members_count": _l("Enter a number from %(min)d to %(max)d.", min=1, max=30),
                 "poor_since_year": _l("Enter a year from %(min)d to %(max)d.", min=2000, max=2100),
                 "joined_on": _l("Enter a date like 2024-03-01.")}

    head_name = StringField(_l("Head of household"), filters=[strip], validators=[
        _required(_l("Please enter the name of the head of household.")), too_long(40)])
    village_id = _id_choice_field(_l("Village"), _l("Please choose a village from the list."))
    members_count = IntegerField(_l("People in the household"), render_kw={"inputmode": "numeric"}, validators=[
        InputRequired(message=_l("Please enter how many people live in the household.")),
        NumberRange(min=1, max=30, message=_l("Enter a number from %(min)d to %(max)d."))])
    joined_on = DateField(_l("Member since"), default=today_local, validators=[
        InputRequired(message=_l("Please enter the date the household joined."))])
    registry_code = StringField(_l("Registry code"), filters=[_upper], validators=[
        Optional(), Regexp(REGISTRY_RE, message=_l("A registry code has 6 to 30 letters, digits or dashes."))])
    phone = TelField(_l("Mobile number (optional)"), filters=[mobile_filter],
                     render_kw={"inputmode": "numeric", "autocomplete": "off"},
                     validators=[Optional(), too_long(20), valid_mobile])
    clear_phone = BooleanField(_l("Remove the phone number on file"))
    propose_poor = BooleanField(_l("Registered poor household (建档立卡) — staff will confirm"))
    poor_since_year = IntegerField(_l("Registered in year"), render_kw={"inputmode": "numeric"}, validators=[
        Optional(), NumberRange(min=2000, max=2100, message=_l("Enter a year from %(min)d to %(max)d."))])
    submit = SubmitField(_l("Save household"))

    def __init__(self, *args, new: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.new = new

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.new and not self.registry_code.data and not self.registry_code.errors:
            # Optional() stops the chain on a blank field, so "required when new" is checked here.
            self.registry_code.errors = [_l("Please enter the household's registry code.")]
            ok = False
        return ok

    def data_for_service(self) -> dict:
        return {"head_name": self.head_name.data, "village_id": self.village_id.data,
                "members_count": self.members_count.data, "joined_on": self.joined_on.data,
                "registry_code": self.registry_code.data or None, "phone": self.phone.data or None,
                "propose_poor": bool(self.propose_poor.data), "poor_since_year": self.poor_since_year.data}


# --- the back office's cooperative page (staff) -------------------------------------------------

STRIPE_ACCOUNT_RE = r"^acct_[A-Za-z0-9]{6,35}$"
BANK_ACCOUNT_RE = r"^[0-9A-Z]{8,34}$"


def _no_spaces(value):
    """A bank account number as typed in groups ("6222 0201 …"), without the spaces and dashes."""
    return "".join(c for c in value if c not in " -\u3000").upper() if isinstance(value, str) else value


class CoopSearchForm(FlaskForm):
    """Cooperatives by status and part of a name (the query string, no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name"), filters=[lambda v: "".join(c for c in (v or "") if c.isprintable()).strip()[:80]])
    status = SelectField(_l("Status"), default="", validators=[Optional()])

    def set_choices(self, statuses) -> None:
        from shop.i18n import status_label

        self.status.choices = [SelectChoice("", _l("All"))] + [SelectChoice(s, status_label(s)) for s in statuses]


class SuspendForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the suspension"), filters=[strip], validators=[
        _required(_l("Please give the reason for the suspension.")), too_long(300)])
    submit = SubmitField(_l("Suspend"))


def _percent(form, field):
    from shop.money import parse_percent

    try:
        field.bp = parse_percent(field.data or "")
    except ValueError:
        raise ValidationError(_l("Enter a percentage from 0 to 100 with at most two decimals, for example 5 "
                                 "or 7.25.")) from None


class CoopRatesForm(FlaskForm):
    """Rates typed as percentages; the view reads them back as basis points (field.bp)."""

    commission = StringField(_l("Platform commission (%)"), filters=[strip], render_kw={"inputmode": "decimal"},
                             validators=[_required(_l("Please enter the commission rate.")), _percent])
    retention = StringField(_l("Cooperative retention (%)"), filters=[strip], render_kw={"inputmode": "decimal"},
                            validators=[_required(_l("Please enter the retention rate.")), _percent])
    submit = SubmitField(_l("Save rates"))

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.commission.bp + self.retention.bp > 10_000:
            self.retention.errors = [_l("Commission and retention together may not be more than 100%.")]
            return False
        return True


def _yuan(form, field):
    if not field.data:
        return
    try:
        field.fen = parse_yuan(field.data)
    except ValueError:
        raise ValidationError(_l("Enter an amount in yuan, for example 12.50.")) from None


# A parcel of produce never costs more to send; a fee above it is a typing slip that would stop every order.
MAX_SHIPPING_FEE_FEN = 100_000


def _shipping_fee(form, field):
    _yuan(form, field)
    if field.fen > MAX_SHIPPING_FEE_FEN:
        raise ValidationError(_l("The shipping fee may be at most %(max)s a shipment.",
                                 max=format_fen(MAX_SHIPPING_FEE_FEN)))


class CoopShippingForm(FlaskForm):
    """A flat fee per shipment, and optionally free shipping from a subtotal (blank: never free)."""

    shipping_fee = StringField(_l("Shipping fee per shipment (yuan)"), filters=[strip],
                               render_kw={"inputmode": "decimal"},
                               validators=[_required(_l("Please enter the shipping fee (0 for free).")), _shipping_fee])
    free_shipping_over = StringField(_l("Free shipping from a subtotal of (yuan, optional)"), filters=[strip],
                                     render_kw={"inputmode": "decimal"}, validators=[Optional(), _yuan])
    submit = SubmitField(_l("Save shipping rule"))

    def values(self) -> dict:
        return {"shipping_fee_fen": self.shipping_fee.fen,
                "free_shipping_over_fen": self.free_shipping_over.fen if self.free_shipping_over.data else None}


class CoopPayoutForm(FlaskForm):
    """Where payouts go. The bank account number on file is never filled in (a blank keeps it): seeing it in
    full is a logged reveal."""

    payout_method = SelectField(_l("Payout method"), validate_choice=True, choices=[
        SelectChoice("bank", _l("Bank transfer")), SelectChoice("stripe", _l("Stripe connected account"))],
        validators=[InputRequired(message=_l("Please choose a payout method."))])
    bank_name = StringField(_l("Bank"), filters=[strip], validators=[too_long(60)])
    bank_account_name = StringField(_l("Account holder"), filters=[strip], validators=[too_long(80)])
    bank_account_no = StringField(_l("Account number (blank keeps the one on file)"), filters=[_no_spaces],
                                  render_kw={"autocomplete": "off", "inputmode": "numeric"}, validators=[
        Optional(), Regexp(BANK_ACCOUNT_RE, message=_l("An account number has 8 to 34 digits or letters."))])
    stripe_account_id = StringField(_l("Stripe account"), filters=[strip], render_kw={"placeholder": "acct_…"},
                                    validators=[Optional(), Regexp(STRIPE_ACCOUNT_RE, message=_l(
                                        "A Stripe account looks like acct_ followed by letters and digits."))])
    submit = SubmitField(_l("Save payout details"))

    def values(self, coop) -> dict:
        """The new payout fields; a blank account number keeps the one on file (a field left out of the post
        is blank)."""
        return {"payout_method": self.payout_method.data, "bank_name": self.bank_name.data or "",
                "bank_account_name": self.bank_account_name.data or "",
                "bank_account_no": self.bank_account_no.data or coop.bank_account_no,
                "stripe_account_id": self.stripe_account_id.data or ""}


MAX_STORY = 4000


class CoopStoryForm(FlaskForm):
    """The story on the cooperative's public page, in both languages."""

    story_zh = TextAreaField(_l("Story in Chinese"), filters=[strip], validators=[too_long(MAX_STORY)],
                             render_kw={"rows": 8})
    story_en = TextAreaField(_l("Story in English"), filters=[strip], validators=[too_long(MAX_STORY)],
                             render_kw={"rows": 8})
    submit = SubmitField(_l("Save story"))


class CoopPhotoAltForm(FlaskForm):
    """What a photo on the public page shows (read aloud by screen readers, shown if it cannot load)."""

    alt_zh = StringField(_l("What the photo shows, in Chinese"), filters=[strip], validators=[too_long(120)])
    alt_en = StringField(_l("What the photo shows, in English"), filters=[strip], validators=[too_long(160)])
    submit = SubmitField(_l("Save description"))
