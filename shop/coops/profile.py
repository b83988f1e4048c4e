"""The cooperative's public profile, as its manager edits it: the story in Chinese and English, and the
photos on /coops/<slug>. Photos go through the same checks as product photos (decode_photo: type, size,
pixels) and the same re-encoding (shop.catalog.images.store_picture). Functions flush and never commit."""
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from shop.catalog.images import save_coop_image
from shop.coops.models import CoopImage, Cooperative
from shop.coops.services import PortalError, decode_photo
from shop.extensions import db

MAX_COOP_PHOTOS = 6


def list_coop_images(coop_id: int) -> list[CoopImage]:
    """The cooperative's photos in the order the public page shows them."""
    return list(db.session.scalars(select(CoopImage).where(CoopImage.coop_id == coop_id)
                                   .order_by(CoopImage.position, CoopImage.id)))


def get_own_coop_image(coop_id: int, image_id: int) -> CoopImage | None:
    """Return the photo only if it belongs to this cooperative: another cooperative's id finds nothing."""
    return db.session.scalar(select(CoopImage).where(CoopImage.id == image_id, CoopImage.coop_id == coop_id))


def update_story(coop: Cooperative, story_zh: str, story_en: str) -> None:
    """Replace the public story (plain text; paragraphs are blank-line or line separated)."""
    coop.story_zh, coop.story_en = story_zh.strip(), story_en.strip()
    db.session.flush()


def upload_coop_photo(coop: Cooperative, data: bytes, alt_zh: str = "", alt_en: str = "") -> CoopImage:
    """Check, re-encode (no location or camera data) and store a photo for the public page."""
    # Lock the cooperative so that two uploads at once cannot both pass the limit.
    db.session.execute(select(Cooperative.id).where(Cooperative.id == coop.id).with_for_update())
    count, last = db.session.execute(select(func.count(CoopImage.id), func.max(CoopImage.position))
                                     .where(CoopImage.coop_id == coop.id)).one()
    if count >= MAX_COOP_PHOTOS:
        raise PortalError(_("Your public page can have up to %(n)d photos. Please delete one first.",
                            n=MAX_COOP_PHOTOS), "photo")
    image = decode_photo(data)
    try:
        return save_coop_image(coop, image, alt_zh or coop.name_zh, alt_en or coop.name_en,
                               position=(last if last is not None else -1) + 1)
    finally:
        image.close()


def update_photo_alt(image: CoopImage, alt_zh: str, alt_en: str) -> bool:
    """Change what a photo is described as; empty falls back to the cooperative's name. False if the photo
    was deleted meanwhile (by another request)."""
    return db.session.execute(
        update(CoopImage).where(CoopImage.id == image.id)
        .values(alt_zh=(alt_zh or image.coop.name_zh)[:120], alt_en=(alt_en or image.coop.name_en)[:160])
        .execution_options(synchronize_session=False)).rowcount == 1
