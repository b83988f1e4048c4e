from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp


class CheckoutPlaceForm(FlaskForm):
    address_id = RadioField(_l("Deliver to"), coerce=int,
                            validators=[DataRequired(message=_l("Please choose a delivery address."))])
    checkout_token = HiddenField(validators=[DataRequired(), Length(min=43, max=43)])
    # The total the page showed, in fen: the order is placed only for that total.
    seen_total = HiddenField(validators=[Optional(), Regexp(r"[0-9]{1,12}")])
    submit = SubmitField(_l("Place order"))
