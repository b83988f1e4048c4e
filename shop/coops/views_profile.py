"""Coop portal: the cooperative's public page — story and photos (routes on the coop blueprint).

Every photo is looked up together with the manager's cooperative id, so another cooperative's photo ids
answer 404 on every method."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from shop.coops import profile as svc
from shop.coops.forms import ActionForm, CoopPhotoAltForm, CoopStoryForm, PhotoUploadForm
from shop.coops.portal import bp, current_coop, manager_required
from shop.coops.services import PortalError, delete_photo, max_photo_bytes, remove_photo_files
from shop.extensions import db

ID = "int(max=2147483647)"


def _own_image(image_id: int):
    return svc.get_own_coop_image(current_user.coop_id, image_id) or abort(404)


def _page(story=None, upload=None, status: int = 200):
    coop = current_coop()
    images = svc.list_coop_images(coop.id)
    alt_forms = {img.id: CoopPhotoAltForm(formdata=None, prefix=f"p{img.id}", obj=img) for img in images}
    return render_template("coop/profile.html", coop=coop, images=images, alt_forms=alt_forms,
                           story=story or CoopStoryForm(formdata=None, obj=coop), upload=upload or PhotoUploadForm(),
                           action=ActionForm(), max_mb=max_photo_bytes() // (1024 * 1024),
                           max_photos=svc.MAX_COOP_PHOTOS), status


@bp.get("/profile")
@manager_required
def profile():
    return _page()


@bp.post("/profile")
@manager_required
def profile_story():
    form = CoopStoryForm()
    if not form.validate_on_submit():
        return _page(story=form, status=400)
    svc.update_story(current_coop(), form.story_zh.data or "", form.story_en.data or "")
    db.session.commit()
    flash(_("Your story is saved."), "success")
    return redirect(url_for("coop.profile"))


@bp.post("/profile/photos")
@manager_required
def profile_photo_upload():
    form = PhotoUploadForm()
    if form.validate_on_submit():
        upload = request.files.get("photo")
        try:
            data = upload.stream.read(max_photo_bytes() + 1) if upload else b""
            svc.upload_coop_photo(current_coop(), data, form.alt_zh.data or "", form.alt_en.data or "")
            db.session.commit()
        except PortalError as error:
            db.session.rollback()
            form.photo.errors = list(form.photo.errors) + [error.message]
            return _page(upload=form, status=400)
        flash(_("The photo is added."), "success")
        return redirect(url_for("coop.profile") + "#photos")
    return _page(upload=form, status=400)


@bp.post(f"/profile/photos/<{ID}:image_id>")
@manager_required
def profile_photo_alt(image_id: int):
    image = _own_image(image_id)
    form = CoopPhotoAltForm(prefix=f"p{image.id}")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return _page(status=400)
    if not svc.update_photo_alt(image, form.alt_zh.data or "", form.alt_en.data or ""):
        db.session.rollback()
        flash(_("This photo has just been deleted."), "error")
        return redirect(url_for("coop.profile") + "#photos")
    db.session.commit()
    flash(_("The photo's description is saved."), "success")
    return redirect(url_for("coop.profile") + "#photos")


@bp.post(f"/profile/photos/<{ID}:image_id>/delete")
@manager_required
def profile_photo_delete(image_id: int):
    image = _own_image(image_id)  # the CSRF token is checked for every POST (CSRFProtect)
    files = delete_photo(image)
    db.session.commit()
    remove_photo_files(files)
    flash(_("The photo is deleted."), "success")
    return redirect(url_for("coop.profile") + "#photos")
