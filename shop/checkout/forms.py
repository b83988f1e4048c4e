from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SubmitField
from wtforms.validators import DataRequired, Length


class CheckoutPlaceForm(FlaskForm):
    address_id = RadioField(_l("Deliver to"), coerce=int,
                            validators=[DataRequired(message=_l("Please choose a delivery address."))])
    checkout_token = HiddenField(validators=[DataRequired(), Length(min=43, max=43)])
    submit = SubmitField(_l("Place order"))
