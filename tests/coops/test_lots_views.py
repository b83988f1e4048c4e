"""Recording and correcting lots through the pages."""
import re

from sqlalchemy import func, select

from shop.catalog.models import Variant
from shop.extensions import db
from shop.supply.models import LotAdjustment, SupplyLot
from shop.supply.services import record_supply_lot
from tests.coops.test_fulfilment_builders import EN, HARVEST, CoopWorld
from tests.factories import log_in
from tests.querycount import count_queries


def _world(app, households=3):
    with app.app_context():
        world = CoopWorld(households=households)
        db.session.commit()
        return world.manager.id, world.variant.id, [h.id for h in world.households]


def _form(variant_id, amount, rows, unit="units", harvested="2025-10-01"):
    data = {"variant_id": variant_id, "unit": unit, "amount": amount, "harvested_on": harvested}
    for i, (household, share) in enumerate(rows):
        data[f"shares-{i}-household"] = household
        data[f"shares-{i}-amount"] = share
    return data


def test_manager_records_a_lot_from_three_households_and_sees_its_label(app, client):
    manager, variant, households = _world(app)
    log_in(client, manager)
    page = client.get("/coop/lots/new", headers=EN).get_data(as_text=True)
    assert page.count('name="shares-') == 12 and "own stock" in page  # 5 rows and the script's template row
    resp = client.post("/coop/lots/new", data=_form(variant, "12", [(households[0], "5"), (households[1], "4"),
                                                                   (households[2], "2"), ("own", "1"), ("", "")]))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/label")
    label = client.get(resp.headers["Location"], headers=EN).get_data(as_text=True)
    with app.app_context():
        lot = db.session.scalar(select(SupplyLot))
        assert lot.units_received == 12 and len(lot.shares) == 4
        assert lot.trace_code in label and "2025-10-01" in label
    lots = client.get("/coop/lots", headers=EN).get_data(as_text=True)
    assert lot.trace_code in lots


def test_shares_that_do_not_add_up_are_refused_with_a_message(app, client):
    manager, variant, households = _world(app)
    log_in(client, manager)
    resp = client.post("/coop/lots/new", headers=EN, data=_form(variant, "10", [(households[0], "4")]))
    assert resp.status_code == 400 and "must add up exactly" in resp.get_data(as_text=True)
    resp = client.post("/coop/lots/new", headers=EN, data=_form(variant, "1.3", [(households[0], "1.3")], unit="kg"))
    assert "not a whole number of 1000 g units" in resp.get_data(as_text=True)
    resp = client.post("/coop/lots/new", headers=EN, data=_form(variant, "3", [(households[0], "")]))
    assert "Enter how much this household delivered" in resp.get_data(as_text=True)
    resp = client.post("/coop/lots/new", headers=EN, data=_form(variant, "3", [(households[0], "3")],
                                                                harvested="2999-01-01"))
    assert "cannot be in the future" in resp.get_data(as_text=True)
    resp = client.post("/coop/lots/new", headers={"Accept-Language": "zh"},
                       data=_form(variant, "10", [(households[0], "4")]))
    assert "必须" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SupplyLot)) == 0


def test_extra_fields_are_ignored(app, client):
    manager, variant, households = _world(app)
    log_in(client, manager)
    data = _form(variant, "3", [("own", "3")]) | {"units_remaining": "999", "trace_code": "MINE", "recorded_by_id": 1}
    assert client.post("/coop/lots/new", data=data).status_code == 302
    with app.app_context():
        lot = db.session.scalar(select(SupplyLot))
        assert (lot.units_remaining, lot.recorded_by_id) == (3, manager) and lot.trace_code != "MINE"


def test_correcting_a_lot_appends_history_and_refuses_too_much(app, client):
    manager, variant, households = _world(app)
    with app.app_context():
        world_coop = db.session.get(Variant, variant).product.coop
        lot = record_supply_lot(world_coop, variant, 5, HARVEST, [(None, 5)], manager)
        db.session.commit()
        lot_id = lot.id
    log_in(client, manager)
    ok = client.post(f"/coop/lots/{lot_id}/adjust", data={"direction": "remove", "units": "2", "reason": "spoiled"})
    assert ok.status_code == 302
    too_much = client.post(f"/coop/lots/{lot_id}/adjust", headers=EN,
                           data={"direction": "remove", "units": "4", "reason": "spoiled"})
    assert too_much.status_code == 400 and "Only 3 units" in too_much.get_data(as_text=True)
    back = client.post(f"/coop/lots/{lot_id}/adjust", headers=EN,
                       data={"direction": "add", "units": "3", "reason": "recount"})
    assert back.status_code == 400 and "At most 2 units" in back.get_data(as_text=True)
    page = client.get(f"/coop/lots/{lot_id}", headers=EN).get_data(as_text=True)
    assert "spoiled" in page and "-2" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LotAdjustment)) == 1
        assert db.session.get(SupplyLot, lot_id).units_remaining == 3


def test_lot_list_needs_a_fixed_number_of_queries(app, client):
    manager, variant, households = _world(app)
    log_in(client, manager)

    def queries():
        with app.app_context():
            with count_queries(db.engine) as statements:
                assert client.get("/coop/lots").status_code == 200
            return len(statements)

    with app.app_context():
        coop = db.session.get(Variant, variant).product.coop
        record_supply_lot(coop, variant, 3, HARVEST, [(households[0], 3)], manager)
        db.session.commit()
    one = queries()
    with app.app_context():
        coop = db.session.get(Variant, variant).product.coop
        for _ in range(5):
            record_supply_lot(coop, variant, 3, HARVEST, [(households[1], 3)], manager)
        db.session.commit()
    assert queries() == one


def test_add_rows_without_javascript_keeps_what_was_typed_and_shows_the_running_total(app, client):
    manager, variant, households = _world(app, households=7)
    log_in(client, manager)
    rows = [(h, "2") for h in households[:5]]
    resp = client.post("/coop/lots/new", headers=EN, data=_form(variant, "16", rows) | {"add_rows": "1"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "error" not in page.split("<form", 1)[1].split("data-share-template")[0]
    assert page.count('name="shares-') == 22  # 10 rows, and the template row
    for i, household in enumerate(households[:5]):
        assert f'<option selected value="{household}">' in page.split(f'name="shares-{i}-household"')[1].split("</select>")[0]
    assert "add up to 10 of 16: 6 missing" in page
    rows += [(households[5], "3"), (households[6], "3")]
    resp = client.post("/coop/lots/new", data=_form(variant, "16", rows))
    assert resp.status_code == 302
    with app.app_context():
        assert sum(s.units for s in db.session.scalar(select(SupplyLot)).shares) == 16


def test_a_mismatch_is_refused_with_the_running_total_and_nothing_recorded(app, client):
    manager, variant, households = _world(app)
    log_in(client, manager)
    resp = client.post("/coop/lots/new", headers=EN, data=_form(variant, "12.5", [(households[0], "13")], unit="kg"))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "add up to 13 of 12.5: 0.5 too many" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SupplyLot)) == 0


def test_the_form_remembers_the_last_variant_and_harvest_date_and_names_products_in_english(app, client):
    manager, variant, households = _world(app)
    with app.app_context():
        v = db.session.get(Variant, variant)
        en_name, zh_name = v.product.name_en, v.product.name_zh
    log_in(client, manager)
    page = client.get("/coop/lots/new", headers=EN).get_data(as_text=True)
    assert en_name in page and zh_name not in page.split('name="variant_id"')[1].split("</select>")[0]
    assert "<optgroup" in page  # members grouped by village
    client.post("/coop/lots/new", data=_form(variant, "3", [("own", "3")], unit="kg", harvested="2025-09-23"))
    page = client.get("/coop/lots/new", headers=EN).get_data(as_text=True)
    assert f'<option selected value="{variant}">' in page and 'value="2025-09-23"' in page
    assert '<option selected value="kg">' in page


def test_lot_dates_are_shown_in_one_format_per_language(app, client):
    manager, variant, households = _world(app)
    log_in(client, manager)
    client.post("/coop/lots/new", data=_form(variant, "3", [("own", "3")], harvested="2025-09-23"))
    english = client.get("/coop/lots", headers=EN).get_data(as_text=True)
    chinese = client.get("/coop/lots", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert re.search(r"Harvested Sep 23, 2025, received [A-Z][a-z]{2} \d{1,2}, 20\d\d, \d{1,2}:\d\d\s?[AP]M", english)
    assert re.search(r"2025年9月23日.*20\d\d年\d{1,2}月\d{1,2}日 \d{1,2}:\d\d", chinese)
    assert "2025-09-23" not in english + chinese
