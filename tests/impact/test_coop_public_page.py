"""The cooperative's public page: photos, villages, member counts with the "fewer than three" rule, income
delivered to its households (the staff report's figure), products; and the manager's profile editor, where a
manager reaches only their own cooperative's photos."""
import io
import os
from datetime import date

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart
from sqlalchemy import func, select

from shop.coops.models import CoopImage, Cooperative
from shop.coops.profile import MAX_COOP_PHOTOS
from shop.extensions import db
from shop.money import format_fen
from shop.reports.income import IncomeFilter, build_income_report
from tests.factories import log_in, make_coop, make_household, make_product, quick_user
from tests.querycount import count_queries
from tests.reports.income_world import IncomeWorld, add_households

EN = {"Accept-Language": "en"}
COOP_PAGE_BUDGET = 10  # as tests/catalog/test_catalog_queries.py: 5 for the catalogue part, 5 for photos, counts and income


def _upload(client, data: bytes, **fields):
    """Post a photo to the profile editor, encoded in memory (the test client would spool a large body to a
    temporary file it never closes)."""
    boundary, body = encode_multipart({"photo": FileStorage(io.BytesIO(data), "village.png", content_type="image/png"),
                                       **fields})
    return client.post("/coop/profile/photos", data=body, headers=EN,
                       content_type=f"multipart/form-data; boundary={boundary}")


def _png(size=(640, 480)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (90, 140, 60)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def world(app):
    with app.app_context():
        w = IncomeWorld()
        c1 = w.coops[0]
        facts = {"slug": c1.slug, "coop": c1.id, "names": [h.head_name for h in w.households],
                 "codes": [h.registry_code for h in w.households], "manager": w.managers[0].id,
                 "other_manager": w.managers[1].id, "other": w.coops[1].id}
        db.session.commit()
        return facts


def test_page_shows_counts_income_villages_and_no_household(app, world, client):
    page = client.get(f"/coops/{world['slug']}", headers=EN).get_data(as_text=True)
    with app.app_context():
        to_date = build_income_report(IncomeFilter(coop_id=world["coop"]), "household").total_fen
        year = date.today().year
        this_year = build_income_report(IncomeFilter(date(year, 1, 1), date(year, 12, 31), coop_id=world["coop"]),
                                        "coop").total_fen
        coop = db.session.get(Cooperative, world["coop"])
        village = coop.village.name_en
    assert to_date > 0
    assert format_fen(to_date) in page and format_fen(this_year) in page
    # Three member households (shown), one registered poor (fewer than three).
    assert "<dt>Member households</dt><dd>3</dd>" in page
    assert "<dt>of which registered poor</dt><dd>fewer than three</dd>" in page
    assert village in page
    for secret in world["names"] + world["codes"]:
        assert secret not in page


def test_suspended_pending_and_unknown_coops_have_no_page(app, client):
    with app.app_context():
        slugs = [make_coop(status=s).slug for s in ("suspended", "pending", "rejected")]
        db.session.commit()
    for slug in slugs + ["no-such-coop"]:
        assert client.get(f"/coops/{slug}").status_code == 404


def test_coop_page_costs_the_same_however_many_households_and_photos(app, world, client):
    def queries():
        client.get(f"/coops/{world['slug']}", headers=EN)
        with app.app_context():
            engine = db.engine
        with count_queries(engine) as statements:
            assert client.get(f"/coops/{world['slug']}", headers=EN).status_code == 200
        return len(statements)

    few = queries()
    with app.app_context():
        add_households(world["coop"], 10)
        coop = db.session.get(Cooperative, world["coop"])
        from shop.coops.profile import upload_coop_photo
        for _ in range(3):
            upload_coop_photo(coop, _png())
        db.session.commit()
    many = queries()
    assert few == many <= COOP_PAGE_BUDGET, (few, many)


# --- the manager's profile editor -------------------------------------------------------------------

def test_manager_edits_story_and_uploads_a_photo(app, world, client):
    log_in(client, world["manager"])
    assert client.get("/coop/profile", headers=EN).status_code == 200
    resp = client.post("/coop/profile", data={"story_zh": "我们的故事。\n第二段。", "story_en": "Our story.\nMore."},
                       headers=EN)
    assert resp.status_code == 302
    resp = _upload(client, _png(), alt_zh="村子", alt_en="The village")
    assert resp.status_code == 302
    with app.app_context():
        image = db.session.scalar(select(CoopImage).where(CoopImage.coop_id == world["coop"]))
        assert (image.alt_zh, image.alt_en) == ("村子", "The village")
        assert os.path.exists(os.path.join(app.config["UPLOAD_DIR"], image.filename))
        image_id, filename = image.id, image.filename
    page = client.get(f"/coops/{world['slug']}", headers=EN).get_data(as_text=True)
    assert filename in page and 'alt="The village"' in page and "<p>Our story.</p><p>More.</p>" in page
    resp = client.post(f"/coop/profile/photos/{image_id}", data={f"p{image_id}-alt_zh": "梯田",
                                                                  f"p{image_id}-alt_en": "Terraces"})
    assert resp.status_code == 302
    assert client.post(f"/coop/profile/photos/{image_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(CoopImage, image_id) is None
    assert not os.path.exists(os.path.join(app.config["UPLOAD_DIR"], filename))


def test_a_photo_deleted_while_another_request_edits_or_deletes_it_is_no_error(app, world, client, monkeypatch):
    """Two tabs: one deletes a photo after the other has looked it up; describing or deleting it then says so
    or does nothing, never a 500."""
    from sqlalchemy import delete

    from shop.coops import views_profile

    log_in(client, world["manager"])
    assert _upload(client, _png(), alt_en="First").status_code == 302
    found = views_profile._own_image

    def found_then_deleted_elsewhere(image_id):
        image = found(image_id)
        db.session.execute(delete(CoopImage).where(CoopImage.id == image.id)
                           .execution_options(synchronize_session=False))
        return image

    monkeypatch.setattr(views_profile, "_own_image", found_then_deleted_elsewhere)
    for action in ("", "/delete"):
        with app.app_context():
            image_id = db.session.scalar(select(CoopImage.id).where(CoopImage.coop_id == world["coop"]))
        resp = client.post(f"/coop/profile/photos/{image_id}{action}", data={f"p{image_id}-alt_en": "Second"},
                           headers=EN, follow_redirects=True)
        assert resp.status_code == 200
        if not action:
            assert "This photo has just been deleted." in resp.get_data(as_text=True)  # (rolled back: still there)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CoopImage)
                                 .where(CoopImage.coop_id == world["coop"])) == 0


@pytest.mark.parametrize("data, message", [
    (b"not a picture at all" * 10, "JPEG, PNG or WebP"),
    (b"", "Please choose a photo"),
    (b"\x89PNG" + b"\x00" * (6 * 1024 * 1024), "too large"),
], ids=["text", "empty", "too-large"])
def test_bad_uploads_are_refused_with_a_message_and_store_nothing(app, world, client, data, message):
    log_in(client, world["manager"])
    resp = _upload(client, data)
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CoopImage)) == 0


def test_a_story_too_long_is_refused(world, client):
    log_in(client, world["manager"])
    resp = client.post("/coop/profile", data={"story_zh": "长" * 4001, "story_en": ""}, headers=EN)
    assert resp.status_code == 400


def test_photos_are_limited(app, world, client):
    with app.app_context():
        from shop.coops.profile import upload_coop_photo
        coop = db.session.get(Cooperative, world["coop"])
        for _ in range(MAX_COOP_PHOTOS):
            upload_coop_photo(coop, _png((64, 48)))
        db.session.commit()
    log_in(client, world["manager"])
    resp = _upload(client, _png())
    assert resp.status_code == 400 and f"up to {MAX_COOP_PHOTOS} photos" in resp.get_data(as_text=True)


def test_another_coops_manager_cannot_touch_your_photo(app, world, client):
    with app.app_context():
        from shop.coops.profile import upload_coop_photo
        image = upload_coop_photo(db.session.get(Cooperative, world["coop"]), _png(), "原文", "Original")
        db.session.commit()
        image_id = image.id
    log_in(client, world["other_manager"])
    assert client.post(f"/coop/profile/photos/{image_id}/delete").status_code == 404
    assert client.post(f"/coop/profile/photos/{image_id}", data={f"p{image_id}-alt_en": "Hacked"}).status_code == 404
    with app.app_context():
        image = db.session.get(CoopImage, image_id)
        assert image is not None and image.alt_en == "Original" and image.coop_id == world["coop"]
    # Their own editor does not list it either.
    assert f"/coop/profile/photos/{image_id}" not in client.get("/coop/profile").get_data(as_text=True)


def test_profile_editor_is_for_managers_only(app, world, client):
    assert client.get("/coop/profile").status_code in (302, 401)
    with app.app_context():
        buyer = quick_user().id
        db.session.commit()
    log_in(client, buyer)
    assert client.get("/coop/profile").status_code == 404
    assert client.post("/coop/profile", data={"story_zh": "x"}).status_code == 404


def test_the_portal_links_to_the_profile_editor(world, client):
    log_in(client, world["manager"])
    assert 'href="/coop/profile"' in client.get("/coop").get_data(as_text=True)


PROFILE_MODULES = ("shop.coops.views_profile",)


def test_every_profile_route_with_another_coops_photo_answers_404_on_every_method(app, world, client):
    with app.app_context():
        from shop.coops.profile import upload_coop_photo
        theirs = upload_coop_photo(db.session.get(Cooperative, world["other"]), _png((64, 48)), "他们的", "Theirs")
        db.session.commit()
        image_id = theirs.id
    log_in(client, world["manager"])
    checked = 0
    for rule in app.url_map.iter_rules():
        if app.view_functions[rule.endpoint].__module__ not in PROFILE_MODULES or "image_id" not in rule.arguments:
            continue
        url = rule.build({"image_id": image_id}, append_unknown=False)[1]
        for method in ("GET", "POST"):
            answer = client.open(url, method=method, data={f"p{image_id}-alt_en": "Mine now"})
            assert answer.status_code == (404 if method in rule.methods else 405), (method, url)
            checked += 1
    assert checked == 4
    with app.app_context():
        assert db.session.get(CoopImage, image_id).alt_en == "Theirs"
