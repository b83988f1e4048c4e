from sqlalchemy.exc import OperationalError

from shop.extensions import db


def test_healthz_reports_database_ok(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_database_is_down(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", broken, raising=False)
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["database"] == "unavailable"


def test_home_page_in_both_languages(client):
    zh = client.get("/", headers={"Accept-Language": "zh-CN"})
    assert zh.status_code == 200
    assert "陇南乡村好物" in zh.get_data(as_text=True)
    client.get("/lang/en?next=/")
    en = client.get("/")
    assert "Longnan Village Shop" in en.get_data(as_text=True)
    assert "陇南乡村好物" not in en.get_data(as_text=True)


def test_language_switch_refuses_open_redirect(client):
    resp = client.get("/lang/en?next=//evil.example/")
    assert resp.headers["Location"] == "/"


def test_unknown_page_is_a_friendly_404(client):
    resp = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert resp.status_code == 404
    assert "could not find" in resp.get_data(as_text=True)


def test_home_page_query_budget_is_fixed(app, client):
    from tests.factories import make_coop, make_product
    from tests.querycount import count_queries

    def queries_with(n_products: int) -> int:
        with app.app_context():
            coop = make_coop()
            for _ in range(n_products):
                make_product(coop=coop, is_featured=True)
            db.session.commit()
            engine = db.engine
        with count_queries(engine) as statements:
            assert client.get("/").status_code == 200
        return len(statements)

    assert queries_with(2) == queries_with(10) <= 6
