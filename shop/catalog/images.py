"""Product and cooperative pictures: re-encoded JPEGs without metadata, with a thumbnail, under UPLOAD_DIR."""
import os
import uuid
from typing import Callable, TypeVar

from flask import current_app
from PIL import Image, ImageOps

from shop.catalog.models import Product, ProductImage
from shop.coops.models import CoopImage, Cooperative
from shop.extensions import db

T = TypeVar("T")

MAX_SIDE = 1600
THUMB_BOX = (480, 480)
JPEG_QUALITY = 85


def _flatten(image: Image.Image) -> Image.Image:
    """Return an RGB copy, with any transparency laid over white."""
    has_alpha = image.mode in ("RGBA", "LA", "RGBa", "La", "PA") or (
        image.mode == "P" and "transparency" in image.info)
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _clean_copy(image: Image.Image) -> Image.Image:
    """Return a fresh RGB image built from the pixels only, so no metadata survives."""
    upright = ImageOps.exif_transpose(image) or image
    rgb = _flatten(upright)
    rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return Image.frombytes("RGB", rgb.size, rgb.tobytes())


def _remove_quietly(paths: list[str]) -> None:
    """Delete files written before a failure."""
    for path in paths:
        try:
            os.remove(path)
        except OSError:
            pass


def store_picture(image: Image.Image, make_row: Callable[[str, str, int, int], T]) -> T:
    """Write a clean re-encoded copy of a picture and its thumbnail under UPLOAD_DIR, then add the row that
    make_row(filename, thumb_filename, width, height) builds to the session and flush it. Product and
    cooperative photos both come through here, so both lose their metadata the same way; if anything fails
    the files written so far are removed."""
    upload_dir = current_app.config["UPLOAD_DIR"]
    os.makedirs(upload_dir, exist_ok=True)
    full = _clean_copy(image)
    thumb = full.copy()
    thumb.thumbnail(THUMB_BOX, Image.Resampling.LANCZOS)

    stem = uuid.uuid4().hex
    filename, thumb_filename = f"{stem}.jpg", f"{stem}_t.jpg"
    written: list[str] = []
    try:
        for picture, name in ((full, filename), (thumb, thumb_filename)):
            path = os.path.join(upload_dir, name)
            written.append(path)
            picture.save(path, "JPEG", quality=JPEG_QUALITY, optimize=True)
        row = make_row(filename, thumb_filename, full.width, full.height)
        db.session.add(row)
        db.session.flush()
    except BaseException:
        _remove_quietly(written)
        raise
    return row


def save_product_image(product: Product, image: Image.Image, alt_zh: str = "", alt_en: str = "",
                       position: int = 0) -> ProductImage:
    """Store a picture and its thumbnail for a product and add its row to the session."""
    return store_picture(image, lambda filename, thumb, width, height: ProductImage(
        product=product, filename=filename, thumb_filename=thumb, width=width, height=height,
        alt_zh=alt_zh[:120], alt_en=alt_en[:160], position=position))


def save_coop_image(coop: Cooperative, image: Image.Image, alt_zh: str = "", alt_en: str = "",
                    position: int = 0) -> CoopImage:
    """Store a picture and its thumbnail for a cooperative's public page and add its row to the session."""
    return store_picture(image, lambda filename, thumb, width, height: CoopImage(
        coop=coop, filename=filename, thumb_filename=thumb, width=width, height=height,
        alt_zh=alt_zh[:120], alt_en=alt_en[:160], position=position))
