from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.extensions import db


class County(db.Model):
    __tablename__ = "counties"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(60))

    villages: Mapped[list["Village"]] = relationship(back_populates="county", order_by="Village.id")


class Village(db.Model):
    __tablename__ = "villages"
    __table_args__ = (UniqueConstraint("county_id", "name_zh"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(80))
    # Low valleys grow walnuts and pepper; high cold villages grow herbs.
    altitude_m: Mapped[int | None]

    county: Mapped[County] = relationship(back_populates="villages")
