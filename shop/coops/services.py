"""The cooperative portal's catalogue side: applications, products, variants, photos and member households.

Functions flush and never commit; the view commits once, then sends mail or removes files.
"""
import io
import os
import re
import secrets
import smtplib
import unicodedata
import warnings
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from shop.accounts.models import User
from shop.accounts.services import end_sessions, get_user_by_email, make_reset_token, normalize_email
from shop.catalog.images import MAX_SIDE, save_product_image
from shop.catalog.models import Category, Product, ProductImage, Variant
from shop.coops.models import Cooperative
from shop.extensions import db
from shop.households.models import Household
from shop.mail import send_mail
from shop.web import public_url
from shop.places.models import Village
from shop.types import today_local, utcnow

PHOTO_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_PHOTO_BYTES = 5 * 1024 * 1024
# Far below Pillow's own bomb limit; config MAX_IMAGE_PIXELS overrides it.
MAX_PHOTO_PIXELS = 40_000_000
MAX_PHOTOS = 8


class PortalError(Exception):
    """A request the portal refuses, with a message for the user (already translated)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- shared look-ups --------------------------------------------------------------------------

def list_villages() -> list[Village]:
    """List villages with their county, by county then village."""
    stmt = select(Village).options(joinedload(Village.county)).order_by(Village.county_id, Village.id)
    return list(db.session.scalars(stmt))


def list_categories() -> list[Category]:
    """List product categories in display order."""
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.id)))


def _slugify(text: str, fallback: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:50].strip("-")
    return slug or fallback


def _unique_slug(model, text: str, fallback: str) -> str:
    base = _slugify(text, fallback)
    slug = base
    while db.session.scalar(select(model.id).where(model.slug == slug)) is not None:
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


def _guarded(change, error: "PortalError"):
    """Make change() and flush it inside a savepoint: a unique index that a concurrent request won
    becomes error, and the rest of the transaction stays usable."""
    try:
        with db.session.begin_nested():  # begin_nested flushes what is pending first, so change inside
            result = change()
            db.session.flush()
    except IntegrityError:
        raise error from None
    return result


# --- applications -----------------------------------------------------------------------------

def apply_as_cooperative(*, name_zh: str, name_en: str, village_id: int, contact_name: str, contact_phone: str,
                         contact_email: str, products_summary: str, registration_no: str) -> Cooperative:
    """Record an application: a pending cooperative that staff will review. A cooperative whose application was
    rejected applies again under its name (the rejection mail invites it to): the same row, pending again, with
    the new details."""
    if db.session.get(Village, village_id) is None:
        raise PortalError(_("Please choose a village from the list."), "village_id")
    taken = PortalError(_("A cooperative with this Chinese name is already registered or has applied."), "name_zh")
    existing = db.session.scalar(select(Cooperative).where(Cooperative.name_zh == name_zh))
    if existing is not None and existing.status != "rejected":
        raise taken
    if existing is not None:
        done = db.session.execute(
            update(Cooperative).where(Cooperative.id == existing.id, Cooperative.status == "rejected")
            .values(status="pending", rejection_reason="", name_en=name_en, village_id=village_id,
                    contact_name=contact_name, contact_phone=contact_phone,
                    contact_email=normalize_email(contact_email), products_summary=products_summary,
                    registration_no=registration_no, created_at=utcnow())
            .execution_options(synchronize_session=False))
        if done.rowcount != 1:  # applied again at the same moment
            raise taken
        db.session.refresh(existing)
        return existing
    coop = Cooperative(slug=_unique_slug(Cooperative, name_en, "coop"), name_zh=name_zh, name_en=name_en,
                       village_id=village_id, status="pending", contact_name=contact_name,
                       contact_phone=contact_phone, contact_email=normalize_email(contact_email),
                       products_summary=products_summary, registration_no=registration_no)
    _guarded(lambda: db.session.add(coop), taken)
    return coop


def list_applications() -> list[Cooperative]:
    """List pending applications, oldest first, with their village and county."""
    stmt = (select(Cooperative).where(Cooperative.status == "pending")
            .options(joinedload(Cooperative.village).joinedload(Village.county))
            .order_by(Cooperative.created_at, Cooperative.id))
    return list(db.session.scalars(stmt))


def get_application(coop_id: int) -> Cooperative | None:
    """Return a pending application, or None."""
    return db.session.scalar(select(Cooperative).where(Cooperative.id == coop_id, Cooperative.status == "pending"))


def approve_cooperative(coop: Cooperative) -> User:
    """Approve a pending cooperative and make its contact the manager (a new login, or the existing account,
    whose password is replaced: either way the invitation mailed to the contact sets the one that works)."""
    user = get_user_by_email(coop.contact_email)
    if user is not None and user.coop_id not in (None, coop.id):
        raise PortalError(_("The account %(email)s already manages another cooperative.", email=user.email))
    done = db.session.execute(update(Cooperative).where(Cooperative.id == coop.id, Cooperative.status == "pending")
                              .values(status="approved", approved_at=utcnow(), rejection_reason=""))
    if done.rowcount != 1:
        raise PortalError(_("This application was already decided."))
    if user is None:
        user = User(email=coop.contact_email, display_name=coop.contact_name[:60])
        db.session.add(user)
    else:
        # Registering proves nothing about the address: whoever opened this account may not be the contact.
        # The role goes to the mailbox's holder, through the invitation; the account's sessions end.
        end_sessions(user)
    user.set_password(secrets.token_urlsafe(32))  # never told to anyone: the invitation sets the real one
    user.coop_id = coop.id
    db.session.flush()
    db.session.refresh(coop)
    return user


def reject_application(coop: Cooperative, reason: str) -> None:
    """Reject a pending cooperative with the reason it will be told."""
    done = db.session.execute(update(Cooperative).where(Cooperative.id == coop.id, Cooperative.status == "pending")
                              .values(status="rejected", rejection_reason=reason[:300]))
    if done.rowcount != 1:
        raise PortalError(_("This application was already decided."))
    db.session.refresh(coop)


def _bilingual(make_text) -> str:
    """Return a mail body in Chinese, then English: we do not know the applicant's language."""
    parts = []
    for locale in ("zh", "en"):
        with force_locale(locale):
            parts.append(make_text())
    return "\n\n----------\n\n".join(parts)


def _mail_quietly(to: str, subject: str, body: str) -> bool:
    try:
        send_mail(to, subject, body)
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("Could not send the cooperative mail to %s", to)
        return False
    return True


def send_manager_invitation(coop: Cooperative, user: User) -> bool:
    """Mail the new manager a link to choose a password (after the approval is committed)."""
    link = public_url("accounts.reset_password", token=make_reset_token(user))
    login = public_url("accounts.login")
    body = _bilingual(lambda: "\n\n".join([
        _("Hello %(name)s,", name=coop.contact_name or user.email),
        _("Your cooperative %(coop)s is approved on the Longnan Village Shop. You are its manager: you can list "
          "products, record supply lots and ship orders.", coop=coop.name_zh),
        _("Open this link within one hour to choose your password:"), link,
        _("Later, log in at %(url)s. If the link has expired, use “Forgot password” there.", url=login),
    ]))
    with force_locale("zh"):
        subject = _("Your cooperative is approved")
    return _mail_quietly(user.email, subject, body)


def send_rejection(coop: Cooperative) -> bool:
    """Mail the applicant why their application was rejected."""
    body = _bilingual(lambda: "\n\n".join([
        _("Hello %(name)s,", name=coop.contact_name or coop.contact_email),
        _("We are sorry: the application of %(coop)s to sell on the Longnan Village Shop was not approved.",
          coop=coop.name_zh),
        _("Reason: %(reason)s", reason=coop.rejection_reason),
        _("You are welcome to apply again once this is resolved."),
    ]))
    with force_locale("zh"):
        subject = _("Your cooperative application")
    return _mail_quietly(coop.contact_email, subject, body)


# --- products and variants --------------------------------------------------------------------

def list_coop_products(coop_id: int) -> list[Product]:
    """List the cooperative's products, newest first, with variants, photos and category."""
    stmt = (select(Product).where(Product.coop_id == coop_id)
            .options(joinedload(Product.category), selectinload(Product.variants), selectinload(Product.images))
            .order_by(Product.created_at.desc(), Product.id.desc()))
    return list(db.session.scalars(stmt).unique())


def get_coop_product(coop_id: int, product_id: int) -> Product | None:
    """Return the product if it belongs to the cooperative, with what its page shows; else None."""
    stmt = (select(Product).where(Product.id == product_id, Product.coop_id == coop_id)
            .options(joinedload(Product.category), joinedload(Product.origin_village), joinedload(Product.coop),
                     selectinload(Product.variants), selectinload(Product.images)))
    return db.session.scalars(stmt).unique().one_or_none()


def get_coop_variant(coop_id: int, variant_id: int) -> Variant | None:
    """Return the variant if its product belongs to the cooperative, else None."""
    stmt = (select(Variant).join(Variant.product).where(Variant.id == variant_id, Product.coop_id == coop_id)
            .options(joinedload(Variant.product)))
    return db.session.scalar(stmt)


def get_coop_image(coop_id: int, image_id: int) -> ProductImage | None:
    """Return the photo if its product belongs to the cooperative, else None."""
    stmt = (select(ProductImage).join(ProductImage.product)
            .where(ProductImage.id == image_id, Product.coop_id == coop_id))
    return db.session.scalar(stmt)


def _check_product_refs(category_id: int, origin_village_id: int) -> None:
    if db.session.get(Category, category_id) is None:
        raise PortalError(_("Please choose a category from the list."), "category_id")
    if db.session.get(Village, origin_village_id) is None:
        raise PortalError(_("Please choose a village from the list."), "origin_village_id")


def create_product(coop: Cooperative, *, name_zh: str, name_en: str, description_zh: str, description_en: str,
                   category_id: int, origin_village_id: int) -> Product:
    """Add an unpublished product to the cooperative's catalogue."""
    _check_product_refs(category_id, origin_village_id)
    product = Product(coop_id=coop.id, slug=_unique_slug(Product, f"{coop.slug} {name_en}", "product"),
                      name_zh=name_zh, name_en=name_en, description_zh=description_zh,
                      description_en=description_en, category_id=category_id,
                      origin_village_id=origin_village_id, is_published=False)
    db.session.add(product)
    db.session.flush()
    return product


def update_product(product: Product, *, name_zh: str, name_en: str, description_zh: str, description_en: str,
                   category_id: int, origin_village_id: int) -> None:
    """Change a product's texts, category and origin."""
    _check_product_refs(category_id, origin_village_id)
    product.name_zh, product.name_en = name_zh, name_en
    product.description_zh, product.description_en = description_zh, description_en
    product.category_id, product.origin_village_id = category_id, origin_village_id
    db.session.flush()


def publish_product(product: Product) -> None:
    """Show the product in the shop; only an approved cooperative with an active variant may."""
    coop = db.session.get(Cooperative, product.coop_id)
    if coop is None or not coop.can_sell:
        raise PortalError(_("Your cooperative is not approved to sell, so its products cannot be published."))
    if not any(v.is_active for v in product.variants):
        raise PortalError(_("Add at least one variant with a price before publishing."))
    product.is_published = True
    db.session.flush()


def unpublish_product(product: Product) -> None:
    """Hide the product from the shop; orders already placed are not affected."""
    product.is_published = False
    db.session.flush()


def _sku_taken(sku: str, variant_id: int | None) -> bool:
    stmt = select(Variant.id).where(func.upper(Variant.sku) == sku.upper())
    if variant_id is not None:
        stmt = stmt.where(Variant.id != variant_id)
    return db.session.scalar(stmt.limit(1)) is not None


def _duplicate_sku(sku: str) -> PortalError:
    return PortalError(_("The SKU %(sku)s is already used. Each variant needs its own SKU.", sku=sku), "sku")


def add_variant(product: Product, *, sku: str, name_zh: str, name_en: str, price_fen: int, net_weight_g: int,
                is_active: bool = True) -> Variant:
    """Add a sold variant (a bag, a box) with its own price and SKU."""
    sku = sku.strip().upper()
    if _sku_taken(sku, None):
        raise _duplicate_sku(sku)
    variant = Variant(product_id=product.id, sku=sku, name_zh=name_zh, name_en=name_en, price_fen=price_fen,
                      net_weight_g=net_weight_g, is_active=is_active)
    _guarded(lambda: db.session.add(variant), _duplicate_sku(sku))
    db.session.expire(product, ["variants"])
    return variant


def update_variant(variant: Variant, *, sku: str, name_zh: str, name_en: str, price_fen: int, net_weight_g: int,
                   is_active: bool) -> None:
    """Change a variant; orders already placed keep the price they were placed at."""
    sku = sku.strip().upper()
    if _sku_taken(sku, variant.id):
        raise _duplicate_sku(sku)

    def change():
        variant.sku, variant.name_zh, variant.name_en = sku, name_zh, name_en
        variant.price_fen, variant.net_weight_g, variant.is_active = price_fen, net_weight_g, is_active

    _guarded(change, _duplicate_sku(sku))


# --- photos -----------------------------------------------------------------------------------

def max_photo_bytes() -> int:
    """Return the largest photo accepted, in bytes."""
    return min(current_app.config.get("MAX_PHOTO_BYTES", MAX_PHOTO_BYTES),
               current_app.config.get("MAX_CONTENT_LENGTH") or MAX_PHOTO_BYTES)


def _refuse_photo() -> PortalError:
    return PortalError(_("This file is not a photo we can use. Please upload a JPEG, PNG or WebP picture."),
                       "photo")


def decode_photo(data: bytes) -> Image.Image:
    """Return the fully decoded picture in data, or raise PortalError if it is not a safe JPEG, PNG or WebP."""
    limit = max_photo_bytes()
    if not data:
        raise PortalError(_("Please choose a photo to upload."), "photo")
    if len(data) > limit:
        raise PortalError(_("This photo is too large. Please upload one under %(mb)d MB.",
                            mb=max(limit // (1024 * 1024), 1)), "photo")
    max_pixels = current_app.config.get("MAX_IMAGE_PIXELS", MAX_PHOTO_PIXELS)
    too_big = PortalError(_("This picture has too many pixels. Please upload one under %(mp)d megapixels.",
                            mp=max(max_pixels // 1_000_000, 1)), "photo")
    try:
        with warnings.catch_warnings():
            # Pillow warns, then refuses, past its own MAX_IMAGE_PIXELS: both are refusals here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Image.open reads the header only: the size is known before a single pixel is decoded.
            with Image.open(io.BytesIO(data), formats=PHOTO_FORMATS) as probe:
                if probe.format not in PHOTO_FORMATS:
                    raise _refuse_photo()
                if probe.width * probe.height > max_pixels:
                    raise too_big
                probe.verify()
            image = Image.open(io.BytesIO(data), formats=PHOTO_FORMATS)  # verify() leaves the file unusable
            if image.format not in PHOTO_FORMATS or image.width * image.height > max_pixels:
                raise _refuse_photo()
            if image.format == "JPEG":
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode at 1/2, 1/4 or 1/8 scale when that is enough
            image.load()  # decode every pixel now: a truncated file fails here, not later
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_big from None
    except PortalError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError,
            MemoryError):
        raise _refuse_photo() from None
    return image


def upload_product_photo(product: Product, data: bytes, alt_zh: str = "", alt_en: str = "") -> ProductImage:
    """Check, re-encode (no metadata) and store a product photo with its thumbnail."""
    count = db.session.scalar(select(func.count()).select_from(ProductImage)
                              .where(ProductImage.product_id == product.id)) or 0
    if count >= MAX_PHOTOS:
        raise PortalError(_("A product can have up to %(n)d photos. Please delete one first.", n=MAX_PHOTOS),
                          "photo")
    image = decode_photo(data)
    last = db.session.scalar(select(func.max(ProductImage.position)).where(ProductImage.product_id == product.id))
    try:
        return save_product_image(product, image, alt_zh or product.name_zh, alt_en or product.name_en,
                                  position=(last if last is not None else -1) + 1)
    finally:
        image.close()


def delete_photo(image: ProductImage | Any) -> list[str]:
    """Delete a photo's row (a product's or a cooperative's); return its files, to remove once the deletion is
    committed. A photo that another request deleted meanwhile is no error: there is nothing left to do."""
    model = type(image)
    names = [image.filename, image.thumb_filename]
    gone = db.session.execute(delete(model).where(model.id == image.id)
                              .execution_options(synchronize_session=False)).rowcount
    db.session.expunge(image)
    return names if gone else []


def remove_photo_files(names: list[str]) -> None:
    """Remove stored photo files (after the commit that forgot them)."""
    folder = current_app.config["UPLOAD_DIR"]
    for name in names:
        try:
            os.remove(os.path.join(folder, os.path.basename(name)))
        except OSError:
            current_app.logger.warning("Could not remove photo file %s", name)


# --- member households ------------------------------------------------------------------------

def list_members(coop_id: int) -> list[Household]:
    """List the cooperative's member households with their village, oldest member first."""
    stmt = (select(Household).where(Household.coop_id == coop_id)
            .options(joinedload(Household.village)).order_by(Household.joined_on, Household.id))
    return list(db.session.scalars(stmt))


def get_member(coop_id: int, household_id: int) -> Household | None:
    """Return the household if it is a member of the cooperative, else None."""
    return db.session.scalar(select(Household).where(Household.id == household_id, Household.coop_id == coop_id))


def _duplicate_registry() -> PortalError:
    return PortalError(_("This registry code is already on file. If the household moved from another "
                         "cooperative, please ask staff."), "registry_code")


def _poor_fields(household: Household, propose_poor: bool, poor_since_year: int | None) -> None:
    """Apply the coop's proposal; a status staff confirmed is not the coop's to change."""
    if household.poor_status == "confirmed":
        return
    if propose_poor:
        if poor_since_year is None:
            raise PortalError(_("Please enter the year the household was registered as poor."), "poor_since_year")
        if household.poor_status != "proposed":  # a new proposal: staff's last decline no longer applies
            household.poor_decline_reason = None
        household.poor_status, household.poor_since_year = "proposed", poor_since_year
    else:
        household.poor_status, household.poor_since_year = "none", None


EARLIEST_JOINED = date(2000, 1, 1)


def _check_joined(joined_on: date) -> None:
    """A household joins on a real day: not in the future, not before 2000 (a slip such as 0001-01-01)."""
    if not EARLIEST_JOINED <= joined_on <= today_local():
        raise PortalError(_("Enter a date from %(start)s to today.", start=EARLIEST_JOINED.isoformat()), "joined_on")


def add_member(coop: Cooperative, *, head_name: str, village_id: int, members_count: int, registry_code: str,
               phone: str | None, joined_on: date, propose_poor: bool, poor_since_year: int | None) -> Household:
    """Add a member household; a registered-poor status is only proposed, for staff to confirm."""
    _check_joined(joined_on)
    if db.session.get(Village, village_id) is None:
        raise PortalError(_("Please choose a village from the list."), "village_id")
    if db.session.scalar(select(Household.id).where(Household.with_registry_code(registry_code))) is not None:
        raise _duplicate_registry()
    household = Household(coop_id=coop.id, head_name=head_name, village_id=village_id,
                          members_count=members_count, registry_code=registry_code, phone=phone or None,
                          joined_on=joined_on, poor_status="none")
    _poor_fields(household, propose_poor, poor_since_year)
    _guarded(lambda: db.session.add(household), _duplicate_registry())
    return household


def update_member(household: Household, *, head_name: str, village_id: int, members_count: int,
                  registry_code: str | None, phone: str | None, clear_phone: bool, joined_on: date,
                  propose_poor: bool, poor_since_year: int | None) -> None:
    """Change a member household; blank registry code or phone keeps the one on file. Refused once staff
    anonymised it (re-read under a row lock: staff may have done so since the page loaded it)."""
    db.session.scalar(select(Household).where(Household.id == household.id).with_for_update()
                      .execution_options(populate_existing=True))
    if household.is_anonymised:
        raise PortalError(_("This household left the cooperative and staff erased its details; it cannot be "
                            "changed."), "head_name")
    if joined_on != household.joined_on:  # a date on file from before this check still saves
        _check_joined(joined_on)
    if db.session.get(Village, village_id) is None:
        raise PortalError(_("Please choose a village from the list."), "village_id")
    if registry_code and db.session.scalar(select(Household.id).where(
            Household.with_registry_code(registry_code), Household.id != household.id)) is not None:
        raise _duplicate_registry()

    def change():
        household.head_name, household.village_id = head_name, village_id
        household.members_count, household.joined_on = members_count, joined_on
        if registry_code:
            household.registry_code = registry_code
        if clear_phone:
            household.phone = None
        elif phone:
            household.phone = phone
        _poor_fields(household, propose_poor, poor_since_year)

    _guarded(change, _duplicate_registry())
