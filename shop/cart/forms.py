from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SubmitField
from wtforms.validators import InputRequired, NumberRange

from shop.cart.models import MAX_QUANTITY
from shop.forms import MAX_DB_INT

QUANTITY_MESSAGE = _l("Please choose a quantity from 1 to %(max)d.", max=MAX_QUANTITY)


class CartAddForm(FlaskForm):
    variant_id = IntegerField(validators=[InputRequired(message=_l("Please choose a product.")),
                                          NumberRange(min=1, max=MAX_DB_INT, message=_l("Please choose a product."))])
    quantity = IntegerField(_l("Quantity"), default=1, validators=[
        InputRequired(message=QUANTITY_MESSAGE), NumberRange(min=1, max=MAX_QUANTITY, message=QUANTITY_MESSAGE)])
    submit = SubmitField(_l("Add to cart"))


class CartQuantityForm(FlaskForm):
    quantity = IntegerField(_l("Quantity"), validators=[
        InputRequired(message=QUANTITY_MESSAGE), NumberRange(min=0, max=MAX_QUANTITY, message=QUANTITY_MESSAGE)])
