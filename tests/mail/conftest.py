"""Order mail fixtures: the outbox, emptied around each test; an order whose goods come from households
in several villages; and the Stripe fake of tests/payments for the webhook tests."""
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from shop.checkout.services import new_checkout_token, place_order
from shop.extensions import db
from shop.households.models import Household
from shop.orders.models import Order
from tests.factories import make_address, make_cart, make_coop, make_household, make_product, make_user, make_village
from tests.payments.conftest import fake_stripe, stripe_server  # noqa: F401 - fixtures for the webhook tests



@dataclass
class Placed:
    order_id: int
    number: str
    buyer_id: int
    email: str
    household_ids: list[int]


def mails_about(outbox, number: str, subject_part: str = "") -> list:
    """The messages in the outbox about one order (its number is in every subject)."""
    return [m for m in outbox if number in m["Subject"] and subject_part in m["Subject"]]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def grown_by(households_per_coop: tuple[int, ...], villages_per_coop: int = 1, units: int = 6,
             phone: str | None = "13800001111", first_id: int | None = None) -> list:
    """One product per cooperative, its lot shared by that many households spread over that many
    villages (each household has a name, a registry code and a phone; ids from first_id if given); flush."""
    variants, next_id = [], first_id
    for count in households_per_coop:
        coop = make_coop()
        villages = [coop.village] + [make_village() for _ in range(villages_per_coop - 1)]
        households = [make_household(coop) for _ in range(count)]
        for i, hh in enumerate(households):
            hh.village_id = villages[i % len(villages)].id
            hh.phone = phone
            if next_id is not None:
                hh.id, next_id = next_id, next_id + 1
        db.session.flush()
        variants.append(make_product(coop=coop, units=units, households=households).variants[0])
    return variants


def place(variants, quantity: int = 2, locale: str = "zh", email: str | None = None) -> Placed:
    """Place an order for `quantity` of each variant through the checkout service and commit."""
    buyer = make_user(email=email)
    cart = make_cart(buyer, *[(v, quantity) for v in variants])
    order = place_order(buyer, cart, make_address(buyer), new_checkout_token(), locale)
    db.session.commit()
    household_ids = list(db.session.scalars(select(Household.id).order_by(Household.id)))
    return Placed(order.id, order.number, buyer.id, buyer.email, household_ids)


def load_order(order_id: int) -> Order:
    return db.session.scalar(select(Order).where(Order.id == order_id).execution_options(populate_existing=True))
