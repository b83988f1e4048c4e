"""Review: a buyer deleting the account while an order of theirs is being placed (PostgreSQL)."""
import threading

import pytest
from sqlalchemy import select

from shop.accounts.models import Address, User
from shop.accounts.services import DeletionRefused, delete_account
from shop.cart.models import Cart
from shop.checkout.services import CheckoutError, new_checkout_token, place_order
from shop.extensions import db
from shop.orders.models import Order
from shop.orders.retention import order_is_open
from tests.factories import make_address, make_cart, make_household, make_coop, make_product, make_user

pytestmark = pytest.mark.usefixtures("needs_postgres")


def test_an_account_deleted_while_its_order_is_being_placed_keeps_no_open_order(app):
    with app.app_context():
        coop = make_coop()
        variant = make_product(coop=coop, units=5, households=[make_household(coop)]).variants[0]
        user = make_user(password="secret-pass-1")
        make_cart(user, (variant, 1))
        address = make_address(user)
        db.session.commit()
        user_id, address_id = user.id, address.id
        db.session.remove()

    placed, deleted = threading.Event(), threading.Event()
    results = {}

    def checkout():
        with app.app_context():
            try:
                buyer = db.session.get(User, user_id)
                cart = db.session.scalar(select(Cart).where(Cart.user_id == user_id))
                place_order(buyer, cart, db.session.get(Address, address_id), new_checkout_token(), "zh")
                placed.set()
                deleted.wait(3)  # the checkout request is still rendering when the deletion comes
                db.session.commit()
                results["checkout"] = "ok"
            except CheckoutError as error:
                db.session.rollback()
                results["checkout"] = str(error)
            finally:
                placed.set()
                db.session.remove()

    def deletion():
        with app.app_context():
            placed.wait(10)
            try:
                results["delete"] = delete_account(user_id, "secret-pass-1")
                db.session.commit()
            except DeletionRefused:
                db.session.rollback()
                results["delete"] = "refused"
            finally:
                deleted.set()
                db.session.remove()

    threads = [threading.Thread(target=checkout), threading.Thread(target=deletion)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    with app.app_context():
        user = db.session.get(User, user_id)
        open_orders = db.session.scalars(select(Order).where(Order.buyer_id == user_id, order_is_open())).all()
        assert not (not user.is_active_account and open_orders), (
            f"deleted account {user.email} has open orders with addresses "
            f"{[(o.number, o.recipient, o.street) for o in open_orders]} ({results})")


def test_an_order_placed_while_the_account_is_being_deleted_is_refused(app):
    """The deletion has checked for open orders and not committed yet; the checkout page, opened
    before, places the order. The order must not outlive the account (with its address, mailed to it)."""
    with app.app_context():
        coop = make_coop()
        variant = make_product(coop=coop, units=5, households=[make_household(coop)]).variants[0]
        user = make_user(password="secret-pass-1")
        make_cart(user, (variant, 1))
        address = make_address(user)
        db.session.commit()
        user_id, address_id = user.id, address.id
        db.session.remove()

    checked, done = threading.Event(), threading.Event()
    results = {}

    def deletion():
        with app.app_context():
            try:
                results["delete"] = delete_account(user_id, "secret-pass-1")
                checked.set()
                done.wait(3)
                db.session.commit()
            except DeletionRefused:
                db.session.rollback()
                results["delete"] = "refused"
            finally:
                checked.set()
                db.session.remove()

    def checkout():
        with app.app_context():
            buyer = db.session.get(User, user_id)
            cart = db.session.scalar(select(Cart).where(Cart.user_id == user_id))
            address = db.session.get(Address, address_id)
            address.recipient  # loaded by the checkout form before the deletion
            cart.items
            db.session.commit()
            checked.wait(10)
            try:
                place_order(buyer, cart, address, new_checkout_token(), "zh")
                db.session.commit()
                results["checkout"] = "ok"
            except CheckoutError as error:
                db.session.rollback()
                results["checkout"] = f"refused: {error}"
            except Exception as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                results["checkout"] = f"ERROR {type(error).__name__}: {error}"
            finally:
                done.set()
                db.session.remove()

    threads = [threading.Thread(target=deletion), threading.Thread(target=checkout)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert not results["checkout"].startswith("ERROR"), results
    with app.app_context():
        user = db.session.get(User, user_id)
        open_orders = db.session.scalars(select(Order).where(Order.buyer_id == user_id, order_is_open())).all()
        assert not (not user.is_active_account and open_orders), (
            f"deleted account {user.email} has open orders with addresses "
            f"{[(o.number, o.recipient, o.street) for o in open_orders]} ({results})")
