"""The buyer catalogue: products, one product, cooperatives. Works without JavaScript."""
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from shop.catalog.forms import ProductFilterForm
from shop.catalog.services import (get_coop_profile, get_product_page, list_coop_summaries, load_filter_choices,
                                   search_products)
from shop.pagecache import depends_on_coops
from shop.trace.services import find_trace_code

bp = Blueprint("catalog", __name__)


@bp.get("/products")
def index():
    # A trace code typed or scanned into the search box goes straight to its batch; anything else is a search.
    code = find_trace_code(request.args.get("q"))
    if code is not None:
        return redirect(url_for("trace.lot", code=code))
    form = ProductFilterForm(request.args, load_filter_choices())
    query = form.to_query()
    results = search_products(query, current_app.config["PER_PAGE"])
    return render_template("catalog/index.html", form=form, query=query, results=results)


@bp.get("/products/<slug>")
def product(slug: str):
    page = get_product_page(slug)
    if page is None:
        abort(404)
    depends_on_coops(*page.coop_ids)
    return render_template("catalog/product.html", product=page)


@bp.get("/coops")
def coops():
    return render_template("catalog/coops.html", coops=list_coop_summaries())


@bp.get("/coops/<slug>")
def coop(slug: str):
    profile = get_coop_profile(slug)
    if profile is None:
        abort(404)
    depends_on_coops(profile.coop_id)
    return render_template("catalog/coop.html", coop=profile)
