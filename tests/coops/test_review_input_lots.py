"""Review (bad input): a lot's weights are plain decimal numbers. Exponents ("1e3", "1e99999999" is ten
characters and took minutes of CPU to turn into a fraction), NaN, underscores and the like are refused with
the form's message, and the page with the running total renders without an error; nothing is recorded."""
import time

import pytest
from sqlalchemy import func, select

from shop.supply.models import SupplyLot
from shop.supply.services import LotError, to_units
from tests.coops.test_fulfilment_builders import EN
from tests.coops.test_lots_views import _form, _world
from tests.factories import log_in

ODD_KG = ["1e3", "1E+2", "1e99999999", "1e1000000", "NaN", "Infinity", "1_000", "0x10", "+5", "-0", "1.2345",
          "１２"]


@pytest.mark.parametrize("text", ODD_KG)
def test_an_odd_weight_is_refused_at_once(text):
    started = time.monotonic()
    with pytest.raises(LotError):
        to_units(text, "kg", 500)
    assert time.monotonic() - started < 0.1


def test_plain_weights_still_count(ctx):
    assert [to_units(t, "kg", 500) for t in ("12", "12.5", "1,000", "0.500", ".5", "5.")] == [24, 25, 2000, 1, 1, 10]


@pytest.mark.parametrize("text", ["1e1000000", "1e99999999", "NaN"])
def test_the_lot_page_refuses_an_exponent_weight_with_a_message(app, client, text):
    manager, variant, households = _world(app)
    log_in(client, manager)
    resp = client.post("/coop/lots/new", headers=EN, data=_form(variant, text, [(households[0], text)], unit="kg"))
    assert resp.status_code == 400
    assert "Enter the weight in kilograms, for example 12.5." in resp.get_data(as_text=True)
    with client.application.app_context():
        from shop.extensions import db

        assert db.session.scalar(select(func.count()).select_from(SupplyLot)) == 0


@pytest.mark.parametrize("harvested", ["0001-01-01", "1999-12-31"])
def test_a_harvest_date_before_2000_is_refused_with_a_message(app, client, harvested):
    manager, variant, households = _world(app)
    log_in(client, manager)
    resp = client.post("/coop/lots/new", headers=EN, data=_form(variant, "3", [(households[0], "3")],
                                                                harvested=harvested))
    assert resp.status_code == 400
    assert "The harvest date must be in 2000 or later." in resp.get_data(as_text=True)
    with client.application.app_context():
        from shop.extensions import db

        assert db.session.scalar(select(func.count()).select_from(SupplyLot)) == 0
