"""Every lot, shipment and earnings route answers 404 for another cooperative's ids and for non-managers."""
import re

from sqlalchemy import func, select

from shop.extensions import db
from shop.orders.models import Shipment
from shop.supply.models import LotAdjustment, SupplyLot
from shop.supply.services import record_supply_lot
from tests.coops.test_fulfilment_builders import HARVEST, CoopWorld, place_paid_order
from tests.factories import log_in, make_user

ENDPOINTS = {"coop.lots", "coop.lot_new", "coop.lot_detail", "coop.lot_adjust", "coop.lot_label", "coop.lot_labels",
             "coop.shipments", "coop.shipment_slip", "coop.shipment_ship", "coop.earnings", "coop.earnings_export"}


def _two_coops(app):
    with app.app_context():
        mine, theirs = CoopWorld(), CoopWorld()
        record_supply_lot(mine.coop, mine.variant.id, 6, HARVEST, [(None, 6)], mine.manager.id)
        lot = record_supply_lot(theirs.coop, theirs.variant.id, 6, HARVEST,
                                [(h.id, 2) for h in theirs.households], theirs.manager.id)
        order = place_paid_order(theirs.variant, 1)
        db.session.commit()
        ids = {"lot_id": lot.id, "shipment_id": order.shipments[0].id, "variant_id": theirs.variant.id,
               "household_id": theirs.households[0].id, "table": "households",
               "number": order.number, "head_name": theirs.households[0].head_name}
        return mine.manager.id, ids


def _my_rules(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint in ENDPOINTS]
    assert {r.endpoint for r in rules} == ENDPOINTS  # a new route must be added here, and so tested
    return rules


def _methods(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _url(rule, ids):
    return re.sub(r"<(?:[^:<>]+:)?([a-z_]+)>", lambda m: str(ids[m.group(1)]), rule.rule.replace(
        "<any(products, months, households):table>", "<table>"))


def _form(ids):
    """Everything a form of ours could take, filled with the other cooperative's ids."""
    return {"variant_id": ids["variant_id"], "unit": "units", "amount": "2", "harvested_on": "2025-10-01",
            "shares-0-household": ids["household_id"], "shares-0-amount": "2", "direction": "remove", "units": "1",
            "reason": "x", "carrier": "EMS", "tracking_no": "EMS12345678"}


def test_another_cooperatives_ids_are_404_on_every_route_and_method(app, client):
    manager, ids = _two_coops(app)
    log_in(client, manager)
    walked = 0
    for rule in _my_rules(app):
        if not rule.arguments - {"table"}:
            continue
        for method in _methods(rule):
            resp = client.open(_url(rule, ids), method=method, data=_form(ids))
            assert resp.status_code == 404, (rule.rule, method, resp.status_code)
            walked += 1
    assert walked >= 7
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LotAdjustment)) == 0
        assert db.session.scalar(select(Shipment.status)) == "awaiting_fulfilment"


def test_forms_with_another_cooperatives_variant_or_household_are_404(app, client):
    manager, ids = _two_coops(app)
    log_in(client, manager)
    with app.app_context():
        my_variant = db.session.scalar(select(SupplyLot.variant_id).where(SupplyLot.id != ids["lot_id"]))
    assert client.post("/coop/lots/new", data=_form(ids)).status_code == 404
    assert client.post("/coop/lots/new", data=_form(ids) | {"variant_id": my_variant}).status_code == 404
    assert client.get(f"/coop/lots?variant={ids['variant_id']}").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SupplyLot)) == 2


def test_lists_and_exports_show_only_the_managers_cooperative(app, client):
    manager, ids = _two_coops(app)
    log_in(client, manager)
    assert ids["number"] not in client.get("/coop/shipments").get_data(as_text=True)
    for path in ("/coop/earnings", "/coop/earnings/households.csv", "/coop/lots"):
        assert ids["head_name"] not in client.get(path).get_data(as_text=True)


def test_non_managers_get_404_and_guests_are_asked_to_log_in(app, client):
    _, ids = _two_coops(app)
    with app.app_context():
        buyer = make_user().id
        db.session.commit()
    for rule in _my_rules(app):
        for method in _methods(rule):
            guest = app.test_client().open(_url(rule, ids), method=method, data=_form(ids))
            assert guest.status_code == 302 and "/account/login" in guest.headers["Location"], rule.rule
    log_in(client, buyer)
    for rule in _my_rules(app):
        for method in _methods(rule):
            resp = client.open(_url(rule, ids), method=method, data=_form(ids))
            assert resp.status_code == 404, (rule.rule, method, resp.status_code)
