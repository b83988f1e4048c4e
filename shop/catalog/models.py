from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from shop.extensions import db
from shop.types import UTCDateTime, utcnow


class Category(db.Model):
    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(default=0)


class Product(db.Model):
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    origin_village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    is_published: Mapped[bool] = mapped_column(Boolean, default=False)
    is_featured: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    coop = relationship("Cooperative")
    category = relationship("Category")
    origin_village = relationship("Village")
    variants: Mapped[list["Variant"]] = relationship(back_populates="product", order_by="Variant.price_fen")
    images: Mapped[list["ProductImage"]] = relationship(back_populates="product", order_by="ProductImage.position")


class Variant(db.Model):
    """What is sold: a bag or box of a product, with its own price."""

    __tablename__ = "variants"
    __table_args__ = (
        CheckConstraint("price_fen > 0", name="price_positive"),
        CheckConstraint("net_weight_g > 0", name="weight_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(60))
    price_fen: Mapped[int]
    net_weight_g: Mapped[int]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    product: Mapped[Product] = relationship(back_populates="variants")


class StoredPicture:
    """The columns of a photo re-encoded under UPLOAD_DIR with its thumbnail (shop/catalog/images.py), for a
    product's photos and a cooperative's alike."""

    @declared_attr.directive
    def __table_args__(cls):  # a constraint of each table's own
        return (CheckConstraint("width > 0 AND height > 0", name="size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(80), unique=True)
    thumb_filename: Mapped[str] = mapped_column(String(80), unique=True)
    width: Mapped[int]
    height: Mapped[int]
    alt_zh: Mapped[str] = mapped_column(String(120), default="")
    alt_en: Mapped[str] = mapped_column(String(160), default="")
    position: Mapped[int] = mapped_column(default=0)


class ProductImage(StoredPicture, db.Model):
    """A product's photo."""

    __tablename__ = "product_images"
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)

    product: Mapped[Product] = relationship(back_populates="images")
