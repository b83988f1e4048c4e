"""The page cache switched on (it is off in TestConfig, because tables are emptied between tests behind the
ORM's back), a world of two cooperatives, and a Redis server when one is installed."""
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from shop import cache
from shop.extensions import db
from shop.supply.models import SupplyLot
from tests.conftest import free_port
from tests.factories import make_category, make_coop, make_household, make_product


@dataclass
class World:
    coop_a: int
    coop_b: int
    coop_a_slug: str
    coop_b_slug: str
    product_a: str
    product_b: str
    variant_a: int
    variant_b: int
    trace_a: str
    trace_b: str
    households_a: list[int]


@pytest.fixture
def page_cache(app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 300)
    cache.clear_local()
    yield
    cache.clear_local()


@pytest.fixture
def world(app) -> World:
    """Two approved cooperatives with three households and one product each, in different categories (so
    neither product page shows the other as related)."""
    with app.app_context():
        coops = [make_coop(), make_coop()]
        households = [[make_household(c) for _ in range(3)] for c in coops]
        products = [make_product(coop=c, category=make_category(), units=9, households=h, name_en=f"Walnut {i}",
                                 price_fen=6800 + i)
                    for i, (c, h) in enumerate(zip(coops, households))]
        w = World(coops[0].id, coops[1].id, coops[0].slug, coops[1].slug, products[0].slug, products[1].slug,
                  products[0].variants[0].id, products[1].variants[0].id, "", "", [h.id for h in households[0]])
        codes = dict(db.session.execute(select(SupplyLot.variant_id, SupplyLot.trace_code)).all())
        w.trace_a, w.trace_b = codes[w.variant_a], codes[w.variant_b]
        db.session.commit()
    return w


@pytest.fixture
def dead_redis_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"  # nobody listens
