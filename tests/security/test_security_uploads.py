"""Photos over MAX_IMAGE_PIXELS are refused from their header, before decoding; big JPEGs decode at a reduced
scale (draft), never at full size."""
import io

import pytest
from flask_babel import force_locale
from PIL import Image, ImageFile
from werkzeug.datastructures import FileStorage

from shop.coops import services as svc
from shop.extensions import db
from tests.factories import log_in, make_coop, make_product, make_user


def _png_7000_square() -> bytes:
    """49 million pixels in a few kilobytes: a 1-bit PNG, optimized."""
    buf = io.BytesIO()
    Image.new("1", (7000, 7000)).save(buf, "PNG", optimize=True)
    return buf.getvalue()


def test_a_49_megapixel_png_is_refused_with_a_clear_message(app, client):
    data = _png_7000_square()
    assert len(data) < 100_000
    with app.app_context():
        coop = make_coop()
        product_id, user_id = make_product(coop=coop, units=0).id, make_user(coop_id=coop.id).id
        db.session.commit()
    log_in(client, user_id)
    resp = client.post(f"/coop/products/{product_id}/photos", headers={"Accept-Language": "en"},
                       data={"photo": FileStorage(io.BytesIO(data), "walnuts.png", content_type="image/png")})
    assert resp.status_code == 400
    assert "too many pixels. Please upload one under 40 megapixels." in resp.get_data(as_text=True)


def test_the_pixel_limit_comes_from_the_config_and_is_checked_before_decoding(app, ctx, monkeypatch):
    buf = io.BytesIO()
    Image.new("RGB", (1001, 1000)).save(buf, "PNG")
    monkeypatch.setitem(app.config, "MAX_IMAGE_PIXELS", 1_000_000)
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("decoded a picture over the limit"))
    with force_locale("en"), pytest.raises(svc.PortalError, match="under 1 megapixels"):
        svc.decode_photo(buf.getvalue())


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(ctx):
    buf = io.BytesIO()
    Image.new("RGB", (6400, 4800), (120, 90, 40)).save(buf, "JPEG", quality=70)
    image = svc.decode_photo(buf.getvalue())
    assert image.size == (3200, 2400)  # 1/2 scale: still more than the 1600 px kept
    image.close()
