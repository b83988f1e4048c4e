"""Product photo uploads: only real JPEG, PNG or WebP pictures, decoded under a bomb guard, re-encoded
without metadata; everything else is refused with a clear message and nothing is stored."""
import io
import os
import struct
import zlib

import pytest
from flask_babel import force_locale
from PIL import ExifTags, Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from shop.catalog.models import ProductImage
from shop.coops import services as svc
from shop.extensions import db
from tests.factories import make_coop, make_product, make_user
from tests.factories import log_in as sign_in

GPS_LATITUDE = (33.0, 24.0, 12.5)  # somewhere in Longnan: must never reach a buyer


@pytest.fixture
def en(ctx):
    """A service-test session whose messages are in English (outside a request the shop speaks Chinese)."""
    with force_locale("en"):
        yield ctx


def _picture(size=(320, 240)) -> Image.Image:
    image = Image.new("RGB", size, (180, 120, 60))
    image.paste((40, 90, 30), (20, 20, size[0] // 2, size[1] // 2))
    return image


def _encode(image: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "VillagePhone"
    exif[ExifTags.Base.Model] = "X1"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (105.0, 43.0, 1.0)
    data = _encode(_picture(), "JPEG", exif=exif, quality=90)
    with Image.open(io.BytesIO(data)) as check:  # the test file really carries the location
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] == GPS_LATITUDE
    return data


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _png_bomb(side: int) -> bytes:
    """A real 1-bit PNG of side × side white pixels: tiny on disk, gigantic once decoded."""
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def _noise_png(width: int, height: int) -> bytes:
    """A real PNG that does not compress: random pixels."""
    return _encode(Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)), "PNG",
                   compress_level=0)


def _stored(app, name: str) -> str:
    return os.path.join(app.config["UPLOAD_DIR"], name)


def _count_images() -> int:
    return db.session.scalar(select(func.count()).select_from(ProductImage))


# --- service --------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_good_pictures_are_stored_as_jpeg_with_a_thumbnail(app, en, fmt):
    product = make_product(units=0)
    image = svc.upload_product_photo(product, _encode(_picture((2400, 1800)), fmt))
    with Image.open(_stored(app, image.filename)) as full, Image.open(_stored(app, image.thumb_filename)) as thumb:
        assert full.format == thumb.format == "JPEG"
        assert max(full.size) <= 1600 and max(thumb.size) <= 480
    assert (image.position, image.alt_zh) == (0, product.name_zh)


def test_stored_photo_has_no_exif_and_no_gps(app, en):
    product = make_product(units=0)
    image = svc.upload_product_photo(product, _jpeg_with_gps())
    for name in (image.filename, image.thumb_filename):
        with open(_stored(app, name), "rb") as f:
            raw = f.read()
        assert b"Exif" not in raw and b"VillagePhone" not in raw
        with Image.open(io.BytesIO(raw)) as stored:
            assert len(stored.getexif()) == 0 and "exif" not in stored.info


def test_photos_are_numbered_in_upload_order(en):
    product = make_product(units=0)
    positions = [svc.upload_product_photo(product, _encode(_picture(), "PNG")).position for _ in range(3)]
    assert positions == [0, 1, 2]


@pytest.mark.parametrize("side", [20_000, 10_000])  # past Pillow's error limit; past its warning limit
def test_a_decompression_bomb_is_refused(en, side):
    bomb = _png_bomb(side)
    assert len(bomb) < 200_000  # tiny on the wire
    product = make_product(units=0)
    with pytest.raises(svc.PortalError, match="too many pixels"):
        svc.upload_product_photo(product, bomb)
    assert _count_images() == 0


@pytest.mark.parametrize("data", [
    b"This is a text file pretending to be a photo.\n" * 20,
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(1)</script><rect width="10" height="10"/></svg>',
    b"GIF89a" + b"\x00" * 40,
], ids=["text", "svg", "fake-gif"])
def test_files_that_are_not_pictures_are_refused(en, data):
    with pytest.raises(svc.PortalError, match="JPEG, PNG or WebP"):
        svc.upload_product_photo(make_product(units=0), data)


def test_a_real_picture_in_another_format_is_refused(en):
    for fmt in ("GIF", "BMP", "TIFF"):
        with pytest.raises(svc.PortalError, match="JPEG, PNG or WebP"):
            svc.upload_product_photo(make_product(units=0), _encode(_picture(), fmt))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_truncated_picture_is_refused(en, fmt):
    data = _encode(_picture((600, 400)), fmt)
    with pytest.raises(svc.PortalError, match="JPEG, PNG or WebP"):
        svc.upload_product_photo(make_product(units=0), data[: len(data) * 2 // 3])


def test_an_oversized_picture_is_refused_with_the_limit(en):
    big = _noise_png(1500, 1300)
    assert len(big) > svc.MAX_PHOTO_BYTES
    with pytest.raises(svc.PortalError, match="too large.*5 MB"):
        svc.upload_product_photo(make_product(units=0), big)


def test_an_empty_upload_is_refused(en):
    with pytest.raises(svc.PortalError, match="choose a photo"):
        svc.upload_product_photo(make_product(units=0), b"")


def test_a_product_holds_at_most_eight_photos(en):
    product = make_product(units=0)
    for _ in range(svc.MAX_PHOTOS):
        svc.upload_product_photo(product, _encode(_picture((60, 40)), "PNG"))
    with pytest.raises(svc.PortalError, match="up to 8 photos"):
        svc.upload_product_photo(product, _encode(_picture((60, 40)), "PNG"))


# --- views ----------------------------------------------------------------------------------------

def _manager_with_product(app):
    with app.app_context():
        coop = make_coop()
        manager = make_user(coop_id=coop.id)
        product = make_product(coop=coop, units=0)
        db.session.commit()
        return manager.id, product.id


def _upload(client, product_id, data: bytes, filename="photo.jpg", content_type="image/jpeg"):
    # Encoded here, in memory: the test client would spool a large body to a temporary file it never closes.
    boundary, body = encode_multipart({"photo": FileStorage(io.BytesIO(data), filename, content_type=content_type),
                                       "alt_zh": "核桃", "alt_en": ""})
    return client.post(f"/coop/products/{product_id}/photos", data=body, headers={"Accept-Language": "en"},
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_manager_uploads_then_deletes_a_photo(app, client):
    manager_id, product_id = _manager_with_product(app)
    sign_in(client, manager_id)
    assert _upload(client, product_id, _jpeg_with_gps()).status_code == 302
    with app.app_context():
        image = db.session.scalar(select(ProductImage))
        files = [_stored(app, image.filename), _stored(app, image.thumb_filename)]
        image_id = image.id
    assert all(os.path.exists(f) for f in files)
    assert client.get(f"/coop/products/{product_id}").get_data(as_text=True).count(image.thumb_filename) == 1
    assert client.post(f"/coop/photos/{image_id}/delete").status_code == 302
    assert not any(os.path.exists(f) for f in files)
    with app.app_context():
        assert _count_images() == 0


@pytest.mark.parametrize("data, filename, content_type", [
    (b"just some text", "walnuts.jpg", "image/jpeg"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "walnuts.svg", "image/svg+xml"),
    (_png_bomb(20_000), "walnuts.png", "image/png"),
], ids=["text-as-jpg", "svg", "bomb"])
def test_refused_uploads_show_a_clear_message_and_store_nothing(app, client, data, filename, content_type):
    manager_id, product_id = _manager_with_product(app)
    sign_in(client, manager_id)
    before = set(os.listdir(app.config["UPLOAD_DIR"]))
    answer = _upload(client, product_id, data, filename, content_type)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "JPEG, PNG or WebP" in page or "too many pixels" in page
    assert set(os.listdir(app.config["UPLOAD_DIR"])) == before
    with app.app_context():
        assert _count_images() == 0


def test_upload_over_the_photo_cap_is_refused_with_a_message(app, client):
    manager_id, product_id = _manager_with_product(app)
    sign_in(client, manager_id)
    answer = _upload(client, product_id, _noise_png(1500, 1300), "big.png", "image/png")
    assert answer.status_code == 400 and "too large" in answer.get_data(as_text=True)


def test_upload_over_the_request_limit_gets_the_413_page(app, client):
    manager_id, product_id = _manager_with_product(app)
    sign_in(client, manager_id)
    answer = _upload(client, product_id, b"\xff" * (app.config["MAX_CONTENT_LENGTH"] + 1024))
    assert answer.status_code == 413
    with app.app_context():
        assert _count_images() == 0


def test_refusal_is_in_chinese_for_chinese_managers(app, client):
    manager_id, product_id = _manager_with_product(app)
    sign_in(client, manager_id)
    answer = client.post(f"/coop/products/{product_id}/photos", content_type="multipart/form-data",
                         headers={"Accept-Language": "zh-CN"},
                         data={"photo": (io.BytesIO(b"text"), "a.jpg", "image/jpeg")})
    assert answer.status_code == 400 and "JPEG、PNG 或 WebP" in answer.get_data(as_text=True)
