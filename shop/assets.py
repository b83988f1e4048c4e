"""Versioned static files: every url_for('static', ...) carries ?v=<hash of the file's content>, and a request
whose v matches the file as it is now may be kept by browsers and proxies for a year. A changed file gets a new
address, so nobody keeps an old style sheet or script."""
import hashlib
import os
import threading

from flask import Flask, current_app, request

IMMUTABLE = "public, max-age=31536000, immutable"
_versions: dict[str, tuple[float, str]] = {}
_lock = threading.Lock()


def static_version(filename: str) -> str | None:
    """The first 12 hex digits of the file's SHA-256, recomputed when its modification time changes; None if
    there is no such file."""
    folder = current_app.static_folder or ""
    path = os.path.realpath(os.path.join(folder, filename))
    if not path.startswith(os.path.realpath(folder) + os.sep):
        return None
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return None
    with _lock:
        known = _versions.get(path)
    if known and known[0] == mtime:
        return known[1]
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    with _lock:
        _versions[path] = (mtime, digest)
    return digest


def add_static_version(endpoint: str, values: dict) -> None:
    """url_defaults: add v=<content hash> to every static URL that does not name one."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = static_version(values["filename"])
        if version:
            values["v"] = version


def long_cache_for_versions(response):
    """after_request: a static file asked for by its current version may be cached for a year."""
    if request.endpoint == "static" and response.status_code in (200, 304):
        version = request.args.get("v")
        if version and version == static_version(request.view_args.get("filename", "")):
            response.headers["Cache-Control"] = IMMUTABLE
    return response


def init_app(app: Flask) -> None:
    app.url_defaults(add_static_version)
    app.after_request(long_cache_for_versions)
