"""Several copies of a lot's label on A4 sheets: how many, bad counts, access and query budget."""
import re

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.supply.forms import MAX_LABELS, default_label_count, label_sheets
from shop.supply.models import SupplyLot
from shop.supply.services import record_supply_lot
from tests.coops.test_fulfilment_builders import EN, HARVEST, CoopWorld
from tests.factories import log_in
from tests.querycount import count_queries

ZH = {"Accept-Language": "zh"}


def _lot(app, units: int, world: CoopWorld | None = None):
    """A lot of `units` units from the first household and the coop's own stock; return (manager id, lot id)."""
    with app.app_context():
        world = world or CoopWorld()
        lot = record_supply_lot(world.coop, world.variant.id, units, HARVEST,
                                [(world.households[0].id, 1), (None, units - 1)], world.manager.id)
        db.session.commit()
        return world.manager.id, lot.id


def _labels(html: str) -> int:
    return html.count('<article class="lot-label">')


def _sheets(html: str) -> list[int]:
    """The number of labels on each sheet of the page."""
    return [_labels(part) for part in html.split('<section class="label-sheet"')[1:]]


def test_default_is_one_label_per_unit_received_capped_at_forty(app, client):
    manager, lot_id = _lot(app, 12)
    log_in(client, manager)
    page = client.get(f"/coop/lots/{lot_id}/labels", headers=EN)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert _sheets(html) == [8, 4]
    assert 'value="12"' in html and "print-labels.css" in html
    with app.app_context():
        code = db.session.get(SupplyLot, lot_id).trace_code
    assert html.count(code) >= 12 and html.count("<svg") == 12
    _, big_lot = _lot(app, 100)
    with app.app_context():
        other = db.session.get(SupplyLot, big_lot)
    # the second lot belongs to another coop: the first manager may not see it
    assert client.get(f"/coop/lots/{big_lot}/labels").status_code == 404
    assert default_label_count(100) == MAX_LABELS and default_label_count(0) == 1 and other.units_received == 100


def test_chosen_count_fills_whole_sheets_then_the_rest(app, client):
    manager, lot_id = _lot(app, 5)
    log_in(client, manager)
    for count, sheets in ((1, [1]), (8, [8]), (9, [8, 1]), (40, [8, 8, 8, 8, 8])):
        html = client.get(f"/coop/lots/{lot_id}/labels?count={count}", headers=EN).get_data(as_text=True)
        assert _sheets(html) == sheets, count
        assert sheets == label_sheets(count)
    html = client.get(f"/coop/lots/{lot_id}/labels?count=9", headers=EN).get_data(as_text=True)
    assert "9 labels · 2 A4 sheets" in html
    html = client.get(f"/coop/lots/{lot_id}/labels?count=1", headers=EN).get_data(as_text=True)
    assert "1 label · 1 A4 sheet<" in html


@pytest.mark.parametrize("bad", ["0", "41", "-3", "abc", "", "1e9", "99999999999999999999", "3.5"])
def test_bad_counts_get_a_clear_message_not_an_error(app, client, bad):
    manager, lot_id = _lot(app, 5)
    log_in(client, manager)
    resp = client.get(f"/coop/lots/{lot_id}/labels?count={bad}", headers=EN)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert _labels(html) == 0
    messages = re.findall(r'<p class="error"[^>]*>([^<]*)</p>', html)
    assert len(messages) == 1, messages  # one clear message, not wtforms' own and then ours
    assert re.fullmatch(r"Choose between 1 and 40 labels\.|Enter (how many labels to print|a whole number of "
                        r"labels), for example 8\.", messages[0])
    zh = client.get(f"/coop/lots/{lot_id}/labels?count={bad}", headers=ZH)
    assert zh.status_code == 400 and _labels(zh.get_data(as_text=True)) == 0


def test_another_cooperatives_manager_gets_404(app, client):
    _, lot_id = _lot(app, 6)
    other_manager, _ = _lot(app, 6)
    log_in(client, other_manager)
    assert client.get(f"/coop/lots/{lot_id}/labels").status_code == 404
    assert client.get(f"/coop/lots/{lot_id}/labels?count=3").status_code == 404
    assert client.get(f"/coop/lots/{lot_id}/label").status_code == 404


def test_the_lot_page_and_the_single_label_link_to_the_sheets(app, client):
    manager, lot_id = _lot(app, 6)
    log_in(client, manager)
    for path in (f"/coop/lots/{lot_id}", f"/coop/lots/{lot_id}/label"):
        assert f'href="/coop/lots/{lot_id}/labels"' in client.get(path, headers=EN).get_data(as_text=True), path


def test_query_count_does_not_grow_with_the_number_of_labels(app, client):
    manager, lot_id = _lot(app, 6)
    log_in(client, manager)

    def queries(count: int) -> int:
        with app.app_context():
            with count_queries(db.engine) as statements:
                resp = client.get(f"/coop/lots/{lot_id}/labels?count={count}")
                assert resp.status_code == 200 and _labels(resp.get_data(as_text=True)) == count
            return len(statements)

    one = queries(1)
    assert queries(40) == one
    assert one <= 6


def test_the_labels_show_no_household(app, client):
    """A label goes on a crate that buyers see: no household name on it."""
    with app.app_context():
        world = CoopWorld()
        head = world.households[0].head_name
        lot = record_supply_lot(world.coop, world.variant.id, 4, HARVEST, [(world.households[0].id, 4)],
                                world.manager.id)
        db.session.commit()
        manager, lot_id = world.manager.id, lot.id
    log_in(client, manager)
    html = client.get(f"/coop/lots/{lot_id}/labels", headers=EN).get_data(as_text=True)
    assert _labels(html) == 4 and head not in html
