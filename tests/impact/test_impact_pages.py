"""/impact and /impact.json: the same figures, shown without any household's identity, documented key by
key in docs/IMPACT_JSON.md, cached for IMPACT_CACHE_SECONDS (Redis or in-process) and within a fixed query
budget."""
import html
import json
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.households.models import Household
from shop import cache
from shop.impact.services import CACHE_KEY, compute_impact
from shop.money import format_fen
from tests.conftest import free_port
from tests.querycount import count_queries, page_queries
from tests.reports.income_world import IncomeWorld, add_households

EN = {"Accept-Language": "en"}
DOC = Path(__file__).resolve().parents[2] / "docs" / "IMPACT_JSON.md"
IMPACT_BUDGET = 6  # county, village and poor reports, months, village → county, top products


@pytest.fixture
def world(app):
    with app.app_context():
        w = IncomeWorld()
        secrets = [(h.id, h.head_name, h.registry_code, h.phone) for h in db.session.scalars(select(Household))]
        coop_ids = [c.id for c in w.coops]
        db.session.commit()
        return {"households": secrets, "coops": coop_ids}


@pytest.fixture
def cache_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPACT_CACHE_SECONDS", 300)
    cache.clear_local()
    yield
    cache.clear_local()


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_page_shows_the_json_figures(world, client):
    data = client.get("/impact.json").get_json()
    page = _text(client.get("/impact", headers=EN).get_data(as_text=True))
    assert format_fen(data["total"]["income_fen"]) in page
    assert format_fen(data["total"]["registered_poor_income_fen"]) in page
    assert f"Households reached {data['total']['households']}" in page
    for year in data["years"]:
        assert f"{year['year']} {format_fen(year['income_fen'])} {format_fen(year['registered_poor_income_fen'])}" \
            in page
    for row in data["counties"]:
        assert f"{row['name_en']} {row['households']} households {format_fen(row['income_fen'])}" in page
    for row in data["villages"]:
        name = "Other villages" if row["other"] else row["name_en"]
        assert f"{name} {row['county_en']} {format_fen(row['income_fen'])}" in page
    for row in data["top_products"]:
        assert f"{row['name_en']} {row['coop_en']} {format_fen(row['income_fen'])}" in page
    assert "Other villages" in page  # the world's village of two households is pooled
    # The JSON is the service's figures, bar the moment they were computed.
    with client.application.app_context():
        fresh = compute_impact()
    assert {k: v for k, v in data.items() if k != "generated_at"} == \
        {k: v for k, v in fresh.items() if k != "generated_at"}


def test_json_types_dates_and_version(world, client):
    resp = client.get("/impact.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    data = resp.get_json()
    assert data["schema_version"] == 1 and data["currency"] == "CNY"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", data["generated_at"])
    assert re.fullmatch(r"\d{4}-\d\d-01", data["since"])
    assert all(re.fullmatch(r"\d{4}-\d\d", m["month"]) for m in data["months"])

    def fen_are_ints(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                fen_are_ints(v, k)
        elif isinstance(value, list):
            for v in value:
                fen_are_ints(v, key)
        elif key.endswith("_fen"):
            assert isinstance(value, int) and not isinstance(value, bool), (key, value)

    fen_are_ints(data)


def _keys(value, found: set) -> set:
    if isinstance(value, dict):
        for k, v in value.items():
            found.add(k)
            _keys(v, found)
    elif isinstance(value, list):
        for v in value:
            _keys(v, found)
    return found


def test_the_schema_doc_names_every_key(world, client):
    keys = _keys(client.get("/impact.json").get_json(), set())
    doc = DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_]+)`", doc))
    assert keys - documented == set()
    assert {"total", "villages", "households_fewer_than_three", "top_products", "schema_version"} <= keys


def test_no_household_identity_in_page_or_json(world, client):
    outputs = [client.get("/impact.json").get_data(as_text=True)]
    outputs += [client.get("/impact", headers=lang).get_data(as_text=True) for lang in (EN, {})]
    data = json.loads(outputs[0])
    for hh_id, name, code, phone in world["households"]:
        for out in outputs:
            assert name not in out and code not in out
            assert not phone or phone not in out
    # No key names a household, and no row is about one.
    assert not {"household_id", "household", "head_name", "registry_code", "phone"} & _keys(data, set())


def test_cache_serves_the_second_request_without_queries_and_expires(app, world, client, cache_on, monkeypatch):
    with app.app_context():
        engine = db.engine
    with count_queries(engine) as first:
        assert client.get("/impact.json").status_code == 200
    assert len(first) >= IMPACT_BUDGET - 1
    with count_queries(engine) as second:
        cached = client.get("/impact.json").get_json()
        assert client.get("/impact", headers=EN).status_code == 200
    assert second == []
    # New income does not show until the cache expires …
    with app.app_context():
        add_households(world["coops"][0], 3)
        db.session.commit()
    assert client.get("/impact.json").get_json() == cached
    later = time.monotonic() + 301
    monkeypatch.setattr(cache, "monotonic", lambda: later)
    with count_queries(engine) as third:
        fresh = client.get("/impact.json").get_json()
    assert third and fresh["total"]["income_fen"] > cached["total"]["income_fen"]


def test_cache_off_computes_every_time(app, world, client, monkeypatch):
    monkeypatch.setitem(app.config, "IMPACT_CACHE_SECONDS", 0)
    with app.app_context():
        engine = db.engine
    client.get("/impact.json")
    with count_queries(engine) as statements:
        client.get("/impact.json")
    assert statements



def test_with_redis_the_figures_are_shared_through_it(app, world, client, cache_on, monkeypatch, redis_url):
    import redis

    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    with app.app_context():
        engine = db.engine
    first = client.get("/impact.json").get_json()
    stored = redis.Redis.from_url(redis_url)
    assert json.loads(stored.get(CACHE_KEY)) == first
    assert 0 < stored.ttl(CACHE_KEY) <= 300
    cache.clear_local()  # nothing kept in this process: the copy comes from Redis
    with count_queries(engine) as statements:
        assert client.get("/impact.json").get_json() == first
    assert statements == []


def test_redis_down_computes_directly(app, world, client, cache_on, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nobody listens
    resp = client.get("/impact.json")
    assert resp.status_code == 200
    with app.app_context():
        assert resp.get_json()["total"] == compute_impact()["total"]
    assert client.get("/impact", headers=EN).status_code == 200


def _queries(app, client, url: str) -> int:
    return page_queries(app, client, url, EN)


def test_impact_pages_cost_the_same_however_many_households(app, world, client):
    few = [_queries(app, client, url) for url in ("/impact", "/impact.json")]
    with app.app_context():
        for coop_id in world["coops"]:
            add_households(coop_id, 12)
        db.session.commit()
    many = [_queries(app, client, url) for url in ("/impact", "/impact.json")]
    assert few == many and max(many) <= IMPACT_BUDGET, many
