"""The public impact page /impact and the same figures as JSON, /impact.json. Open to everyone; the
figures hold counts and place names only (shop/impact/services.py), never a household."""
from flask import Blueprint, jsonify, render_template
from flask_babel import gettext as _

from shop.i18n import lang
from shop.impact.services import impact_figures
from shop.money import format_fen
from shop.reports.charts import bar_chart, hbar_chart

bp = Blueprint("impact", __name__)


def pick(row: dict, field: str) -> str:
    """row["<field>_en"] or row["<field>_zh"] for the current language, falling back to Chinese; the pooled
    rows' names in the current language."""
    if field == "name" and row.get("other"):
        return _("Other villages") if "county_zh" in row else _("Other counties")
    return row.get(f"{field}_{lang()}") or row.get(f"{field}_zh") or ""


def households_text(row: dict, prefix: str = "households") -> str:
    """A published household count as words: "12 households", or "fewer than three"."""
    if row.get(f"{prefix}_fewer_than_three"):
        return _("fewer than three households")
    return _("%(num)d households", num=row[prefix])


def impact_charts(figures: dict) -> dict:
    """The page's charts, drawn from the figures (no query)."""
    return {
        "years": bar_chart(_("Income delivered to households by year"), [_("All households"), _("Registered poor")],
                           [(str(y["year"]), [y["income_fen"], y["registered_poor_income_fen"]])
                            for y in figures["years"]], format_fen),
        "months": bar_chart(_("The last twelve months"), [_("All households"), _("Registered poor")],
                            [(m["month"], [m["income_fen"], m["registered_poor_income_fen"]])
                             for m in figures["months"]], format_fen),
        "counties": hbar_chart(_("By county"), [(pick(c, "name"), c["income_fen"], households_text(c))
                                                for c in figures["counties"]], format_fen),
        "villages": hbar_chart(_("By village"), [(pick(v, "name"), v["income_fen"], pick(v, "county"))
                                                 for v in figures["villages"]], format_fen),
        "products": hbar_chart(_("Products that delivered the most household income"),
                               [(pick(p, "name"), p["income_fen"], pick(p, "coop"))
                                for p in figures["top_products"]], format_fen),
    }


@bp.get("/impact")
def page():
    figures = impact_figures()
    return render_template("impact/impact.html", figures=figures, charts=impact_charts(figures),
                           households_text=households_text, pick=pick)


@bp.get("/impact.json")
def as_json():
    return jsonify(impact_figures())
