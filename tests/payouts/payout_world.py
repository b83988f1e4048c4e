"""Builders for the payout page tests (no tests here): a cooperative whose sale was delivered and settled,
so that a payout run pays it, with a staff user, a buyer and another cooperative's manager."""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select

from shop.coops.fulfilment import ship_shipment
from shop.extensions import db
from shop.orders.services import confirm_receipt
from shop.payouts.models import Payout
from shop.payouts.services import run_payouts
from shop.payouts.settlement import settle_due_shipments
from shop.supply.services import record_supply_lot
from tests.coops.test_fulfilment_builders import HARVEST, CoopWorld, place_paid_order
from tests.factories import make_user

EN = {"Accept-Language": "en"}


@dataclass
class World:
    coop_id: int
    manager_id: int
    household_ids: list[int]
    head_names: list[str]
    staff_id: int
    buyer_id: int
    other_manager_id: int
    other_household_id: int


def settled_sale(world: CoopWorld, quantity: int = 2) -> None:
    """Sell quantity units of the world's variant (its households' lot), deliver and settle the shipment."""
    order = place_paid_order(world.variant, quantity)
    shipment = order.shipments[0]
    ship_shipment(shipment, "EMS", "EMS12345678")
    confirm_receipt(order, shipment.id)
    later = datetime.now(timezone.utc) + timedelta(days=current_app.config["REFUND_WINDOW_DAYS"] + 1)
    settle_due_shipments(now=later)


def build(app, monkeypatch, households: int = 3, run: bool = False) -> World:
    """A bank-paid cooperative with a settled sale (and, with run=True, its payout already created)."""
    monkeypatch.setitem(app.config, "PAYOUT_MINIMUM_FEN", 1)
    with app.app_context():
        mine, other = CoopWorld(households=households, bank_name="成县农商银行", bank_account_name="成县核桃合作社",
                                bank_account_no="6228480000000000001"), CoopWorld(households=1)
        record_supply_lot(mine.coop, mine.variant.id, 10 * households, HARVEST,
                          [(h.id, 10) for h in mine.households], mine.manager.id)
        settled_sale(mine)
        if run:
            run_payouts()
        world = World(mine.coop.id, mine.manager.id, [h.id for h in mine.households],
                      [h.head_name for h in mine.households], make_user(is_staff=True).id, make_user().id,
                      other.manager.id, other.households[0].id)
        db.session.commit()
        return world


def payouts() -> list[Payout]:
    return db.session.scalars(select(Payout).order_by(Payout.id).execution_options(populate_existing=True)).all()
