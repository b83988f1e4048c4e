"""The cooperative portal's blueprint and its access rule: a manager sees only their own cooperative.
Routes live in modules named for what they do (shop/coops/views_*.py) and all use this blueprint."""
from functools import wraps

from flask import Blueprint, abort, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from sqlalchemy import func, select

from shop.coops.models import Cooperative
from shop.extensions import db

bp = Blueprint("coop", __name__, url_prefix="/coop")


def manager_required(view):
    """Allow only signed-in managers of a cooperative; others get 404 (nothing to discover)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_coop_manager:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def current_coop() -> Cooperative:
    """Return the signed-in manager's cooperative."""
    return db.session.get(Cooperative, current_user.coop_id) or abort(404)


def scoped(obj, coop_id_of) -> object:
    """Return obj if it belongs to the manager's cooperative, else 404 — never 403, so ids reveal nothing."""
    if obj is None or coop_id_of(obj) != current_user.coop_id:
        abort(404)
    return obj


MENU = (  # endpoint, label; sections register here as they are built
    ("coop.products", _l("Products")), ("coop.lots", _l("Supply lots")), ("coop.members", _l("Member households")),
    ("coop.shipments", _l("Orders to ship")), ("coop.earnings", _l("Earnings")), ("coop.payouts", _l("Payouts")),
    ("coop.profile", _l("Public page")),
)


@bp.app_context_processor
def coop_menu_processor():
    from flask import current_app

    return {"coop_menu": lambda: [(e, label) for e, label in MENU if e in current_app.view_functions]}


def load_dashboard(coop_id: int) -> dict:
    """Count what needs the manager's attention, in one query."""
    from shop.catalog.models import Product, Variant
    from shop.households.models import Household
    from shop.orders.models import SHIPPABLE_ORDER_STATUSES, Order, Shipment
    from shop.supply.models import SupplyLot

    to_ship = (select(func.count()).select_from(Shipment).join(Order, Shipment.order_id == Order.id)
               .where(Shipment.coop_id == coop_id, Shipment.status == "awaiting_fulfilment",
                      Order.status.in_(SHIPPABLE_ORDER_STATUSES)))  # as the queue (list_shipments_to_ship)
    published = select(func.count()).select_from(Product).where(Product.coop_id == coop_id,
                                                                 Product.is_published.is_(True))
    members = select(func.count()).select_from(Household).where(Household.coop_id == coop_id,
                                                                 Household.anonymised_at.is_(None))
    products = select(func.count()).select_from(Product).where(Product.coop_id == coop_id)
    lots = (select(func.count()).select_from(SupplyLot).join(Variant, SupplyLot.variant_id == Variant.id)
            .join(Product, Variant.product_id == Product.id).where(Product.coop_id == coop_id))
    free_units = (select(func.coalesce(func.sum(SupplyLot.units_remaining), 0)).select_from(SupplyLot)
                  .join(Variant, SupplyLot.variant_id == Variant.id).join(Product, Variant.product_id == Product.id)
                  .where(Product.coop_id == coop_id))
    names = ("to_ship", "published", "members", "free_units", "products", "lots")
    row = db.session.execute(select(*(q.scalar_subquery() for q in (to_ship, published, members, free_units,
                                                                    products, lots)))).one()
    return dict(zip(names, row))


def first_steps(counts: dict) -> list[tuple[str, str, str, bool]]:
    """What a new cooperative does first, in order: (endpoint, what, why, done)."""
    return [
        ("coop.members", _l("Add your member households"),
         _l("Everyone who delivers produce to the cooperative: the head of the household, the village and the "
            "registry code. Their income is tracked from this list."), counts["members"] > 0),
        ("coop.products", _l("Add a product"),
         _l("What buyers see: a name, a photo, the bag or box sizes and their prices. For example 薄皮核桃, "
            "1 kg bag, ¥68."), counts["products"] > 0),
        ("coop.lot_new", _l("Record a delivery"),
         _l("When households bring in produce, write down how much each one brought. This puts the units on "
            "sale and makes sure every sale pays the right households."), counts["lots"] > 0),
        ("coop.products", _l("Publish the product"),
         _l("Once it has a photo, a price and stock, publish it and it appears in the shop."),
         counts["published"] > 0),
    ]


@bp.get("")
@manager_required
def dashboard():
    counts = load_dashboard(current_user.coop_id)
    return render_template("coop/dashboard.html", coop=current_coop(), counts=counts, steps=first_steps(counts))
