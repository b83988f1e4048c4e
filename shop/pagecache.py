"""Whole public pages served from a cache to visitors who are not signed in (docs/PERFORMANCE.md, "Public
pages from a cache").

Which visitors: no one signed in, no remember cookie, and nothing in the session but a CSRF token, the language
switch or a guest cart's token. A guest cart does not count: no cached page shows anything of the cart (the
header has no cart count; a per-visitor part added later must go behind a placeholder like the CSRF token's).
Anything else in the session (a flash message waiting, a signed-in user) renders normally and is not stored.

Which pages: CACHED_ENDPOINTS, keyed by path, sorted query and the language the page is rendered in. Each
stored page remembers the version counters it was rendered under: "all" for pages that list every cooperative,
"coop:<id>" for the cooperatives a product, cooperative or trace page shows, and "epoch" for all of them. The
counters are bumped after a commit that changed a product, variant, photo, price, lot (stock), household,
ledger posting or cooperative (one after_flush listener below); categories and places bump "epoch". A page
whose counters moved is rendered again. Stock on a cached page may be a few seconds old; the cart and
checkout always check the database.

Per-visitor parts: a page is rendered for the cache with a placeholder where the CSRF token goes. A visitor
who sends cookies gets their own token there on the way out, `private, no-cache` without an ETag (a 304 would
keep a token that expires after WTF_CSRF_TIME_LIMIT). A visitor who sends no cookie at all gets the placeholder
taken out (tokenless forms): the one form on a cached page, add to cart, accepts a POST without a token from a
visitor who is not signed in when it comes from this shop's own page (shop.web.guest_same_origin). That copy is the same
for every such visitor: `public, max-age=30` with an ETag of the stored page, like a page without a form, and
If-None-Match answers 304. A cached page must carry no other form that posts."""
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Flask, Response, current_app, g, has_app_context, request, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter
from sqlalchemy.sql.visitors import iterate

from shop import cache
from shop.i18n import lang

CACHED_ENDPOINTS = {"main.home", "catalog.index", "catalog.product", "catalog.coops", "catalog.coop",
                    "trace.lot", "impact.page"}
LISTS_ALL = {"main.home", "catalog.index", "catalog.coops", "impact.page"}  # depend on every cooperative
VISITOR_KEYS = {"csrf_token", "lang", "cart_token", "_permanent", "_fresh"}  # session keys that allow the cache
MAX_QUERY_BYTES = 512  # longer query strings are rendered but not stored
MARKER = "page-cache-csrf-placeholder-3b9e1c"
ALL, EPOCH = "all", "epoch"


@dataclass
class Pending:
    """A request rendered for the cache: where to store it and the "all" counter seen before rendering."""
    key: str
    all_version: int
    depends: set[str] = field(default_factory=set)


@dataclass
class Served:
    """A request answered from the cache."""
    key: str


def seconds() -> int:
    return int(current_app.config.get("PAGE_CACHE_SECONDS", 0) or 0)


def depends_on_coops(*coop_ids: int | None) -> None:
    """Say which cooperatives' data a page shows, so that their changes render it again (views call this)."""
    state = g.get("page_cache")
    if isinstance(state, Pending):
        state.depends.update(f"coop:{c}" for c in coop_ids if c)


def is_cacheable_visitor() -> bool:
    """Whether this request may be answered from the cache, and its page stored (module docstring)."""
    if g.get("database_down") or request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME",
                                                                             "remember_token")):
        return False
    return not set(session.keys()) - VISITOR_KEYS


def page_key() -> str:
    # The host too: a page rendered for one host name never answers another (links in trace pages' QR codes
    # fall back to the request's host in a development shop configured without TRUSTED_HOSTS).
    return _key(lang(), request.host, request.path, sorted(request.args.items(multi=True)))


def _key(language: str, host: str, path: str, args: list[tuple[str, str]]) -> str:
    return hashlib.sha256(f"{language}|{host}|{path}|{urlencode(args)}".encode()).hexdigest()[:40]


def pack(depends: dict[str, int], content_type: str, body: bytes) -> bytes:
    head = json.dumps({"v": depends, "ct": content_type}).encode()
    return head + b"\n" + body


def unpack(data: bytes) -> tuple[dict[str, int], str, bytes]:
    head, _, body = data.partition(b"\n")
    meta = json.loads(head)
    return meta["v"], meta["ct"], body


def fresh_page(key: str, config) -> tuple[tuple[str, bytes, str] | None, int]:
    """The stored page under key if its counters are unchanged, as (content type, body, ETag), and the current
    "all" counter (0 when the page came from this worker's hot copies). Needs an app context for Redis, unless
    the page is hot. Raises CacheUnavailable."""
    page = cache.hot_get(key)
    if page is not None:
        return page, 0
    data, all_version, current = cache.get_page(key, ALL)
    if data is None:
        return None, all_version
    try:
        depends, content_type, body = unpack(data)
    except (ValueError, KeyError):
        return None, all_version  # not ours, or cut short: render it again
    if current != depends:
        return None, all_version
    page = (content_type, body, hashlib.sha256(body).hexdigest()[:32])
    if config.get("PAGE_CACHE_HOT_SECONDS"):
        cache.hot_put(key, float(config["PAGE_CACHE_HOT_SECONDS"]), page)
    return page, all_version


def serve_from_cache():
    """before_request: answer a cacheable request from the cache, or mark it to be stored once rendered."""
    if not seconds() or request.method not in ("GET", "HEAD") or request.endpoint not in CACHED_ENDPOINTS \
            or len(request.query_string) > MAX_QUERY_BYTES or not is_cacheable_visitor():
        return None
    key = page_key()
    try:
        page, all_version = fresh_page(key, current_app.config)
    except cache.CacheUnavailable:
        return None
    if page is not None:
        g.page_cache = Served(key)
        return Response(page[1], content_type=page[0])
    g.page_cache = Pending(key, all_version)
    # flask_wtf's generate_csrf() returns g.<field> when it is set: the page renders with the placeholder.
    setattr(g, current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), MARKER)
    return None


def _store(state: Pending, response: Response, body: bytes) -> None:
    # The body depends on nothing of the session but the language (in the key); Flask-Login marking a session
    # not fresh does not matter, a flash message or a user signed in during the request does.
    if response.status_code != 200 or response.mimetype != "text/html" or set(session.keys()) - VISITOR_KEYS:
        return
    depends = {EPOCH} | ({ALL} if request.endpoint in LISTS_ALL or not state.depends else state.depends)
    try:
        versions = cache.get_versions(sorted(depends | {ALL}))
        if versions.pop(ALL) != state.all_version:
            return  # something changed while the page was rendered: it may hold old data
        if ALL in depends:
            versions[ALL] = state.all_version
        cache.set_page(state.key, pack(versions, response.content_type, body), seconds(),
                       int(current_app.config.get("PAGE_CACHE_LOCAL_SECONDS", 30)))
    except cache.CacheUnavailable:
        pass


def finish(response: Response) -> Response:
    """after_request: store a page rendered for the cache, then give this visitor their own copy."""
    state = g.pop("page_cache", None)
    if state is None or response.direct_passthrough or response.mimetype != "text/html":
        return response
    body = response.get_data()
    if isinstance(state, Pending):
        _store(state, response, body)
    field_name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    g.pop(field_name, None)
    if MARKER.encode() in body and (request.cookies or session.modified):
        response.set_data(body.replace(MARKER.encode(), generate_csrf().encode()))
        response.headers["Cache-Control"] = "private, no-cache"
    elif response.status_code == 200:
        # A visitor without cookies gets the forms without a token (the one FastPath answers with); a response
        # that sets a cookie (Flask-Login marking an old session not fresh) is not for shared caches.
        response.headers["Cache-Control"] = "private, no-cache" if session.modified else \
            f"public, max-age={int(current_app.config.get('PAGE_CACHE_MAX_AGE', 30))}"
        response.set_data(body.replace(MARKER.encode(), b""))
        response.set_etag(hashlib.sha256(body).hexdigest()[:32])  # of the stored page, as FastPath gives it
        response.make_conditional(request)
        response.headers.pop("Date", None)  # make_conditional adds one; the server sends its own
    else:
        response.set_data(body.replace(MARKER.encode(), b""))
    response.vary.update(("Accept-Language", "Cookie"))
    return response


# --- Invalidation ----------------------------------------------------------------------------------------------

def _coop_queries():
    """For each table whose rows a public page shows: a query from row ids to their cooperatives' ids."""
    from shop.catalog.models import Product, ProductImage, Variant
    from shop.coops.models import CoopImage
    from shop.households.models import Household
    from shop.supply.models import LotShare, SupplyLot

    return {
        "products": lambda ids: select(Product.coop_id).where(Product.id.in_(ids)),
        "variants": lambda ids: select(Product.coop_id).join(Variant, Variant.product_id == Product.id)
        .where(Variant.id.in_(ids)),
        "supply_lots": lambda ids: select(Product.coop_id).join(Variant, Variant.product_id == Product.id)
        .join(SupplyLot, SupplyLot.variant_id == Variant.id).where(SupplyLot.id.in_(ids)),
        "lot_shares": lambda ids: select(Product.coop_id).join(Variant, Variant.product_id == Product.id)
        .join(SupplyLot, SupplyLot.variant_id == Variant.id).join(LotShare, LotShare.lot_id == SupplyLot.id)
        .where(LotShare.id.in_(ids)),
        "product_images": lambda ids: select(Product.coop_id).join(ProductImage, ProductImage.product_id == Product.id)
        .where(ProductImage.id.in_(ids)),
        "households": lambda ids: select(Household.coop_id).where(Household.id.in_(ids)),
        "coop_images": lambda ids: select(CoopImage.coop_id).where(CoopImage.id.in_(ids)),
    }


# A row's own cooperative column, or (for a deleted row, which a query can no longer find) its parent.
DIRECT_COOP = {"cooperatives": "id", "products": "coop_id", "households": "coop_id", "coop_images": "coop_id",
               "ledger_postings": "coop_id"}
PARENT = {"variants": ("products", "product_id"), "supply_lots": ("variants", "variant_id"),
          "lot_shares": ("supply_lots", "lot_id"), "product_images": ("products", "product_id")}
EVERYTHING = {"categories", "villages", "counties"}  # shown on every page: bump "epoch"


def _enabled() -> bool:
    """Whether to note changes: only with the page cache on, so that writes cost nothing more without it."""
    return has_app_context() and bool(current_app.config.get("PAGE_CACHE_SECONDS"))


def _changes(session: Session) -> dict:
    return session.info.setdefault("page_cache_changes", {"coops": set(), "rows": {}, "epoch": False})


def _note(changes: dict, table: str, row_id) -> None:
    if row_id is not None:
        changes["rows"].setdefault(table, set()).add(row_id)


def note_lot_units(session: Session, lot_id: int, coop_id: int | None) -> None:
    """A lot's free units were changed by a statement run on the session's connection, which the ORM's events do
    not see: its cooperative's pages render again after the commit (the cooperative found then, if not given)."""
    if not _enabled():
        return
    changes = _changes(session)
    if coop_id:
        changes["coops"].add(coop_id)
    else:
        _note(changes, "supply_lots", lot_id)


def _note_object(changes: dict, obj, deleted: bool) -> None:
    table = getattr(obj, "__tablename__", None)
    if table in EVERYTHING:
        changes["epoch"] = True
    elif table in DIRECT_COOP:
        coop_id = getattr(obj, DIRECT_COOP[table], None)
        if coop_id is not None:
            changes["coops"].add(coop_id)
    elif table in PARENT:
        if deleted:
            parent, column = PARENT[table]
            _note(changes, parent, getattr(obj, column, None))
        else:
            _note(changes, table, obj.id)


def _resolve(session: Session, changes: dict) -> None:
    """Turn noted row ids into cooperative ids, in one query on the flush's connection."""
    rows = {t: ids for t, ids in changes["rows"].items() if ids}
    if not rows:
        return
    queries = _coop_queries()
    parts = [queries[t](sorted(ids)) for t, ids in rows.items()]
    stmt = parts[0] if len(parts) == 1 else union_all(*parts)
    changes["coops"].update(c for c in session.connection().execute(stmt).scalars() if c is not None)
    changes["rows"] = {}


def after_flush(session: Session, flush_context) -> None:
    if not _enabled():
        return
    changes = _changes(session)
    for obj in session.new | session.dirty:
        if obj not in session.deleted and (obj in session.new or session.is_modified(obj)):
            _note_object(changes, obj, deleted=False)
    for obj in session.deleted:
        _note_object(changes, obj, deleted=True)
    _resolve(session, changes)


def _ids_in(whereclause, table, params) -> list | None:
    """The ids an UPDATE or DELETE names by `table.id == value` (a value bound in the statement, or given with
    it in params, for a statement built once), or None if it does not name them so."""
    if whereclause is None:
        return None
    for node in iterate(whereclause):
        if isinstance(node, BinaryExpression) and node.operator is operators.eq \
                and getattr(getattr(node.left, "table", None), "name", None) == table.name \
                and getattr(node.left, "name", None) == "id" \
                and isinstance(node.right, BindParameter):
            value = params.get(node.right.key, node.right.effective_value) if params else node.right.effective_value
            return [value] if value is not None else None
    return None


def do_orm_execute(state) -> None:
    """Bulk UPDATE and DELETE statements (stock reservations, status changes) skip the flush: note their rows."""
    if not (state.is_update or state.is_delete) or state.bind_mapper is None or not _enabled():
        return
    table = state.bind_mapper.local_table
    name = table.name
    if name not in DIRECT_COOP and name not in PARENT and name not in EVERYTHING:
        return
    changes = _changes(state.session)
    ids = _ids_in(getattr(state.statement, "whereclause", None), table,
                  state.parameters if isinstance(state.parameters, dict) else None)
    if name in EVERYTHING or ids is None:
        changes["epoch"] = True  # cannot tell which rows: every page renders again
    elif name == "cooperatives":
        changes["coops"].update(ids)
    else:
        for row_id in ids:
            _note(changes, name, row_id)


def before_commit(session: Session) -> None:
    """Rows noted by bulk statements since the last flush: find their cooperatives while the transaction is open
    (the commit's own flush, which follows, notes and resolves its rows in after_flush)."""
    changes = session.info.get("page_cache_changes")
    if changes and changes["rows"] and _enabled():
        _resolve(session, changes)


def after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: its changes are bumped at the real commit
    changes = session.info.pop("page_cache_changes", None)
    if not changes or not _enabled():
        return
    if changes["rows"]:
        changes["epoch"] = True  # rows noted too late to resolve (should not happen): render everything again
    names = {f"coop:{c}" for c in changes["coops"]} | ({EPOCH} if changes["epoch"] else set())
    if names:
        try:
            cache.bump_versions(names | {ALL})
        except cache.CacheUnavailable:
            pass  # logged; cached pages then live until PAGE_CACHE_SECONDS


def after_rollback(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop("page_cache_changes", None)


class FastPath:
    """WSGI middleware: answer a visitor who sends no cookie at all with a stored public page (its forms without
    a token, as finish() gives them), before Flask opens a session, picks a language or runs a before_request
    function. Anything else, a miss or a stale page goes on to the app, which renders and stores it.

    The answer is the one finish() gives a cache hit, byte for byte and header for header: the language is the
    browser's (a visitor without cookies has no switch and no account), and the security headers and the
    request id are the ones shop/security.py and shop/logs.py add.

    A page found fresh is kept in this process for PAGE_CACHE_HOT_SECONDS (1 by default) and served from there
    without asking Redis: a change made through another server shows that much later (this process's own
    changes at once). 0 asks Redis every time."""

    def __init__(self, app: Flask, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and "HTTP_COOKIE" not in environ:
            answer = self._hit(environ)
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return [body] if environ["REQUEST_METHOD"] == "GET" and body else []
        return self.wsgi_app(environ, start_response)

    def _hit(self, environ):
        from urllib.parse import parse_qsl

        from werkzeug.datastructures import LanguageAccept
        from werkzeug.http import parse_accept_header, unquote_etag
        from werkzeug.wsgi import get_host

        from shop.logs import SAFE_REQUEST_ID
        from shop.security import HEADERS

        config = self.app.config
        query = environ.get("QUERY_STRING", "")
        if not config.get("PAGE_CACHE_SECONDS") or len(query.encode()) > MAX_QUERY_BYTES:
            return None
        try:
            host = get_host(environ, config.get("TRUSTED_HOSTS"))
        except Exception:  # noqa: BLE001 - an untrusted host: the app answers it
            return None
        language = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept).best_match(
            ("zh", "en")) or "zh"
        key = _key(language, host, environ.get("PATH_INFO", "") or "/",
                   sorted(parse_qsl(query, keep_blank_values=True)))
        try:
            if (page := cache.hot_get(key)) is None:
                with self.app.app_context():
                    page, _all = fresh_page(key, config)
        except cache.CacheUnavailable:
            return None
        if page is None:
            return None
        content_type, body, etag = page
        body = body.replace(MARKER.encode(), b"")  # forms without a token (the module docstring)
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        headers = [("Content-Type", content_type),
                   ("Cache-Control", f"public, max-age={int(config.get('PAGE_CACHE_MAX_AGE', 30))}"),
                   ("ETag", f'"{etag}"'), ("Vary", "Accept-Language, Cookie"), *HEADERS.items(),
                   ("X-Request-ID", incoming if SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex)]
        if config.get("HSTS_SECONDS"):
            headers.append(("Strict-Transport-Security", f"max-age={config['HSTS_SECONDS']}; includeSubDomains"))
        wanted = environ.get("HTTP_IF_NONE_MATCH", "")
        if wanted and etag in {unquote_etag(tag.strip())[0] for tag in wanted.split(",")}:
            return "304 NOT MODIFIED", [h for h in headers if h[0] != "Content-Type"], b""
        return "200 OK", [*headers, ("Content-Length", str(len(body)))], body


def init_app(app: Flask) -> None:
    # Inside ProxyFix (shop/proxy.py wraps after this), so that the host and scheme are the client's.
    app.wsgi_app = FastPath(app, app.wsgi_app)
    app.before_request(serve_from_cache)
    app.after_request(finish)
    if not getattr(Session, "_page_cache_listening", False):
        event.listen(Session, "after_flush", after_flush)
        event.listen(Session, "do_orm_execute", do_orm_execute)
        event.listen(Session, "before_commit", before_commit)
        event.listen(Session, "after_commit", after_commit)
        event.listen(Session, "after_rollback", after_rollback)
        Session._page_cache_listening = True
