"""Coop portal: products, photos and member households (routes on the coop blueprint).

Every object is looked up together with the manager's cooperative id, so another cooperative's
ids answer 404 on every method."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from shop.coops import apply  # noqa: F401 - the public application form, on the same blueprint
from shop.coops import services as svc
from shop.coops.forms import (ActionForm, MemberEditForm, PhotoUploadForm, ProductEditForm, VariantEditForm,
                              village_choices)
from shop.coops.portal import bp, current_coop, manager_required
from shop.extensions import db
from shop.households.models import mask
from shop.i18n import l10n
from shop.money import fen_to_yuan_str

ID = "int(max=2147483647)"


def _own_product(product_id: int):
    return svc.get_coop_product(current_user.coop_id, product_id) or abort(404)


def _product_form(**kwargs) -> ProductEditForm:
    form = ProductEditForm(**kwargs)
    form.set_choices(category_id=[(c.id, l10n(c, "name")) for c in svc.list_categories()],
                     origin_village_id=village_choices(svc.list_villages()))
    return form


def _refused(form, error: svc.PortalError) -> None:
    """Show a service's refusal next to its field, or at the top of the page."""
    db.session.rollback()
    if error.field and error.field in form:
        form[error.field].errors = list(form[error.field].errors) + [error.message]
    else:
        flash(error.message, "error")


def _product_page(product, upload=None, status: int = 200):
    return render_template("coop/product_edit.html", product=product, form=_product_form(formdata=None, obj=product),
                           upload=upload or PhotoUploadForm(), action=ActionForm(),
                           max_mb=svc.max_photo_bytes() // (1024 * 1024), max_photos=svc.MAX_PHOTOS), status


@bp.get("/products")
@manager_required
def products():
    return render_template("coop/products.html", coop=current_coop(),
                           products=svc.list_coop_products(current_user.coop_id), action=ActionForm())


@bp.route("/products/new", methods=["GET", "POST"])
@manager_required
def product_new():
    form = _product_form()
    if form.validate_on_submit():
        try:
            product = svc.create_product(current_coop(), **form.data_for_service())
            db.session.commit()
        except svc.PortalError as error:
            _refused(form, error)
        else:
            flash(_("The product is saved. Add a variant with its price, then publish it."), "success")
            return redirect(url_for("coop.product_edit", product_id=product.id))
    return render_template("coop/product_new.html", form=form), 400 if form.errors else 200


@bp.route(f"/products/<{ID}:product_id>", methods=["GET", "POST"])
@manager_required
def product_edit(product_id: int):
    product = _own_product(product_id)
    if request.method == "GET":
        return _product_page(product)
    form = _product_form()
    if form.validate_on_submit():
        try:
            svc.update_product(product, **form.data_for_service())
            db.session.commit()
        except svc.PortalError as error:
            _refused(form, error)
        else:
            flash(_("The product is saved."), "success")
            return redirect(url_for("coop.product_edit", product_id=product.id))
    return render_template("coop/product_new.html", form=form, product=product), 400


@bp.post(f"/products/<{ID}:product_id>/publish")
@manager_required
def product_publish(product_id: int):
    product = _own_product(product_id)
    try:
        svc.publish_product(product)
        db.session.commit()
    except svc.PortalError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _product_page(_own_product(product_id), status=409)
    flash(_("The product is published and shown in the shop."), "success")
    return redirect(url_for("coop.product_edit", product_id=product_id))


@bp.post(f"/products/<{ID}:product_id>/unpublish")
@manager_required
def product_unpublish(product_id: int):
    svc.unpublish_product(_own_product(product_id))
    db.session.commit()
    flash(_("The product is hidden from the shop. Orders already placed are not affected."), "success")
    return redirect(url_for("coop.product_edit", product_id=product_id))


@bp.route(f"/products/<{ID}:product_id>/variants/new", methods=["GET", "POST"])
@manager_required
def variant_new(product_id: int):
    product = _own_product(product_id)
    form = VariantEditForm()
    if form.validate_on_submit():
        try:
            svc.add_variant(product, **form.data_for_service())
            db.session.commit()
        except svc.PortalError as error:
            _refused(form, error)
        else:
            flash(_("The variant is saved."), "success")
            return redirect(url_for("coop.product_edit", product_id=product.id))
    return render_template("coop/product_variant.html", form=form, product=product, variant=None), \
        400 if form.errors else 200


@bp.route(f"/variants/<{ID}:variant_id>", methods=["GET", "POST"])
@manager_required
def variant_edit(variant_id: int):
    variant = svc.get_coop_variant(current_user.coop_id, variant_id) or abort(404)
    form = VariantEditForm(obj=variant, data={"price": fen_to_yuan_str(variant.price_fen)})
    if form.validate_on_submit():
        try:
            svc.update_variant(variant, **form.data_for_service())
            db.session.commit()
        except svc.PortalError as error:
            _refused(form, error)
        else:
            flash(_("The variant is saved. Orders already placed keep their price."), "success")
            return redirect(url_for("coop.product_edit", product_id=variant.product_id))
    return render_template("coop/product_variant.html", form=form, product=variant.product, variant=variant), \
        400 if form.errors else 200


@bp.post(f"/products/<{ID}:product_id>/photos")
@manager_required
def photo_upload(product_id: int):
    product = _own_product(product_id)
    form = PhotoUploadForm()
    upload = request.files.get("photo")
    if form.validate_on_submit():
        try:
            data = upload.stream.read(svc.max_photo_bytes() + 1) if upload else b""
            svc.upload_product_photo(product, data, form.alt_zh.data or "", form.alt_en.data or "")
            db.session.commit()
        except svc.PortalError as error:
            _refused(form, error)
            return _product_page(_own_product(product_id), upload=form, status=400)
        flash(_("The photo is added."), "success")
        return redirect(url_for("coop.product_edit", product_id=product_id))
    return _product_page(product, upload=form, status=400)


@bp.post(f"/photos/<{ID}:image_id>/delete")
@manager_required
def photo_delete(image_id: int):
    image = svc.get_coop_image(current_user.coop_id, image_id) or abort(404)
    product_id = image.product_id
    files = svc.delete_photo(image)
    db.session.commit()
    svc.remove_photo_files(files)
    flash(_("The photo is deleted."), "success")
    return redirect(url_for("coop.product_edit", product_id=product_id))


# --- member households --------------------------------------------------------------------------

def _member_form(new: bool, **kwargs) -> MemberEditForm:
    form = MemberEditForm(new=new, **kwargs)
    form.set_choices(village_id=village_choices(svc.list_villages()))
    return form


@bp.get("/members")
@manager_required
def members():
    return render_template("coop/members.html", members=svc.list_members(current_user.coop_id), mask=mask)


@bp.route("/members/new", methods=["GET", "POST"])
@manager_required
def member_new():
    form = _member_form(new=True, data={"village_id": current_coop().village_id})
    if form.validate_on_submit():
        try:
            svc.add_member(current_coop(), **form.data_for_service())
            db.session.commit()
        except svc.PortalError as error:
            _refused(form, error)
        else:
            flash(_("The household is added."), "success")
            return redirect(url_for("coop.members"))
    return render_template("coop/members_edit.html", form=form, household=None), 400 if form.errors else 200


@bp.route(f"/members/<{ID}:household_id>", methods=["GET", "POST"])
@manager_required
def member_edit(household_id: int):
    household = svc.get_member(current_user.coop_id, household_id) or abort(404)
    if household.is_anonymised:
        flash(_("This household left the cooperative and staff erased its details; it cannot be changed."), "error")
        return redirect(url_for("coop.members"))
    # No obj=: the registry code and phone on file are never sent back to the browser.
    form = _member_form(new=False, data={
        "head_name": household.head_name, "village_id": household.village_id, "joined_on": household.joined_on,
        "members_count": household.members_count, "poor_since_year": household.poor_since_year,
        "propose_poor": household.poor_status != "none"})
    if form.validate_on_submit():
        try:
            svc.update_member(household, clear_phone=bool(form.clear_phone.data), **form.data_for_service())
            db.session.commit()
        except svc.PortalError as error:
            _refused(form, error)
        else:
            flash(_("The household is saved."), "success")
            return redirect(url_for("coop.members"))
    return render_template("coop/members_edit.html", form=form, household=household, mask=mask), \
        400 if form.errors else 200


@bp.app_template_global()
def photo_url(filename: str) -> str:
    """Address of a stored product photo."""
    return url_for("main.media", filename=filename) if "main.media" in current_app.view_functions else ""
