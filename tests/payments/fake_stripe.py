"""A small Stripe-compatible HTTP server for tests: the real stripe client talks to it through
STRIPE_API_BASE. It keeps state, honours Idempotency-Key as Stripe documents, serves a hosted pay
page, and sends webhooks truly signed with the test secret (HMAC-SHA256, `t=...,v1=...`), which
tests can duplicate, reorder, delay or drop. It can be told to fail: timeout, 500, 429, a reset
connection, or "succeeded but the response was lost".

Only the endpoints the shop uses exist: checkout sessions (create, retrieve, expire, list) and
refunds (create, retrieve, list)."""
import hashlib
import hmac
import html
import itertools
import json
import secrets
import socket
import struct
import threading
import time
import urllib.request
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

API_VERSION = "2026-10-28.endive"
METHODS = {"card", "alipay", "wechat_pay"}


def sign(payload: bytes, secret: str | list[str], timestamp: int | None = None) -> str:
    """Return a Stripe-Signature header for the payload: one v1 signature per secret (rotation sends two)."""
    t = int(time.time()) if timestamp is None else timestamp
    signed = f"{t}.".encode() + payload
    sigs = [hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in ([secret] if isinstance(secret, str)
                                                                             else secret)]
    return ",".join([f"t={t}"] + [f"v1={sig}" for sig in sigs])


def _nest(pairs: list[tuple[str, str]]) -> dict:
    """Turn Stripe's form encoding (a[b][0][c]=v) back into nested dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def fix(node):
        if isinstance(node, dict):
            node = {k: fix(v) for k, v in node.items()}
            if node and all(k.isdigit() for k in node):
                return [node[k] for k in sorted(node, key=int)]
        return node

    return fix(root)


class StripeHTTPError(Exception):
    def __init__(self, status: int, type_: str, message: str, code: str | None = None):
        super().__init__(message)
        error = {"type": type_, "message": message} | ({"code": code} if code else {})
        self.status, self.body = status, {"error": error}


class FakeStripe:
    """State and behaviour; `start()` serves it on 127.0.0.1 and sets `url`."""

    def __init__(self, webhook_secret: str, api_key: str = "sk_test_fake"):
        self.webhook_secret = webhook_secret
        self.api_key = api_key
        self.url = ""
        self._server = None
        self.reset()

    def reset(self) -> None:
        """Forget every session, refund, event, key and failure (the server keeps running)."""
        for timer in getattr(self, "_timers", []):
            timer.cancel()
            timer.join(10)
        self.sessions: dict[str, dict] = {}
        self.line_items: dict[str, list] = {}
        self.refunds: dict[str, dict] = {}
        self.transfers: dict[str, dict] = {}
        self.connected_accounts: set[str] = {"acct_test_longnan"}  # Connect accounts that accept transfers
        self.drained_accounts: set[str] = set()  # connected accounts whose balance cannot cover a reversal
        self.transfer_reversals: dict[str, dict] = {}
        self.events: list[dict] = []
        self.outbox: list[dict] = []  # events held for the test to deliver
        self.requests: list[tuple[str, str, dict, str | None]] = []  # method, path, params, idempotency key
        self.delivery = "hold"  # "hold" (tests deliver), "sync" (at once), or seconds of delay
        self.webhook_target = None  # a URL, or a callable(payload, headers) -> status
        self.async_payments = False  # the pay page completes with payment_status "unpaid"
        self.refund_status = "succeeded"
        self.timeout_sleep = 2.5
        self.page_size_cap = 100  # lower it to make list calls page
        self._failures: list[list] = []
        self._timers: list[threading.Timer] = []
        self._idem: dict[str, tuple[tuple, int, dict]] = {}
        self._key_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._lock = threading.RLock()
        self._seq = itertools.count(1)

    # ----- running -----
    def start(self) -> "FakeStripe":
        fake = self

        class Handler(_Handler):
            stripe = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # ----- failure injection -----
    def fail(self, kind: str, path: str = "/v1/", method: str = "POST", times: int = 1) -> None:
        """Make the next `times` matching requests fail: timeout, lost, reset, 500 or 429."""
        assert kind in ("timeout", "lost", "reset", "500", "429"), kind
        with self._lock:
            self._failures.append([kind, method, path, times])

    def _failure_for(self, method: str, path: str) -> str | None:
        with self._lock:
            for failure in self._failures:
                kind, m, prefix, times = failure
                if m == method and path.startswith(prefix) and times > 0:
                    failure[3] -= 1
                    return kind
        return None

    # ----- ids, time, events -----
    def _id(self, prefix: str) -> str:
        return f"{prefix}_test_{next(self._seq):04d}{secrets.token_hex(6)}"

    def now(self) -> int:
        return int(time.time())

    def _event(self, type_: str, obj: dict) -> dict:
        event = {"id": self._id("evt"), "object": "event", "type": type_, "api_version": API_VERSION,
                 "created": self.now(), "livemode": False, "pending_webhooks": 1,
                 "data": {"object": json.loads(json.dumps(obj))}, "request": {"id": None, "idempotency_key": None}}
        with self._lock:
            self.events.append(event)
        self._dispatch(event)
        return event

    def _dispatch(self, event: dict) -> None:
        if self.delivery == "sync":
            self.deliver(event)
        elif isinstance(self.delivery, (int, float)) and not isinstance(self.delivery, bool):
            timer = threading.Timer(self.delivery, self.deliver, args=(event,))
            self._timers.append(timer)
            timer.start()
        else:
            with self._lock:
                self.outbox.append(event)

    def events_of(self, type_: str) -> list[dict]:
        return [e for e in self.events if e["type"] == type_]

    def payload(self, event: dict) -> bytes:
        return json.dumps(event, separators=(",", ":")).encode()

    def deliver(self, event: dict, times: int = 1, secret: str | list[str] | None = None,
                timestamp: int | None = None) -> list[int]:
        """Send the event, signed, to the shop `times` times; return the status codes."""
        payload = self.payload(event)
        codes = []
        for _ in range(times):
            headers = {"Content-Type": "application/json",
                       "Stripe-Signature": sign(payload, secret or self.webhook_secret, timestamp)}
            codes.append(self._post(payload, headers))
        return codes

    def _post(self, payload: bytes, headers: dict) -> int:
        target = self.webhook_target
        if callable(target):
            return target(payload, headers)
        req = urllib.request.Request(target, data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback in tests
                return resp.status
        except urllib.error.HTTPError as e:
            e.close()
            return e.code

    def wait_for_deliveries(self, timeout: float = 10) -> None:
        """Wait until every delayed delivery has been made."""
        for timer in list(self._timers):
            timer.join(timeout)

    def take_outbox(self) -> list[dict]:
        """Remove and return the held events (to deliver in any order, twice, or never)."""
        with self._lock:
            held, self.outbox = self.outbox, []
        return held

    def deliver_outbox(self, reverse: bool = False) -> list[int]:
        events = self.take_outbox()
        return [code for e in (reversed(events) if reverse else events) for code in self.deliver(e)]

    # ----- what Stripe does on its side (the hosted page, the clock, delayed methods) -----
    def _check_expiry(self, session: dict) -> None:
        if session["status"] == "open" and self.now() >= session["expires_at"]:
            session["status"] = "expired"
            self._event("checkout.session.expired", session)

    def complete(self, session_id: str, paid: bool = True, amount_total: int | None = None,
                 currency: str | None = None) -> dict:
        """Complete a session as if the buyer paid on the hosted page; return the completed event."""
        with self._lock:
            session = self.sessions[session_id]
            assert session["status"] == "open", session["status"]
            session.update(status="complete", payment_status="paid" if paid else "unpaid",
                           payment_intent=self._id("pi"))
            if amount_total is not None:
                session["amount_total"] = amount_total
            if currency is not None:
                session["currency"] = currency
            snapshot = dict(session)
        return self._event("checkout.session.completed", snapshot)

    def settle_async(self, session_id: str, succeeded: bool = True) -> dict:
        """Finish a delayed payment method: succeeded or failed."""
        with self._lock:
            session = self.sessions[session_id]
            session["payment_status"] = "paid" if succeeded else "unpaid"
            snapshot = dict(session)
        kind = "succeeded" if succeeded else "failed"
        return self._event(f"checkout.session.async_payment_{kind}", snapshot)

    def expire_now(self, session_id: str) -> dict:
        """Let a session's time run out (Stripe's side) and emit checkout.session.expired."""
        with self._lock:
            session = self.sessions[session_id]
            assert session["status"] == "open"
            session["status"] = "expired"
            snapshot = dict(session)
        return self._event("checkout.session.expired", snapshot)

    def session_for_order(self, order_id: int) -> list[dict]:
        return [s for s in self.sessions.values() if s["client_reference_id"] == str(order_id)]

    # ----- the API -----
    def handle_api(self, method: str, path: str, params: dict, key: str | None) -> tuple[int, dict]:
        parts = path.strip("/").split("/")[1:]  # drop "v1"
        if parts[:2] == ["checkout", "sessions"]:
            if len(parts) == 2:
                return (200, self._create_session(params)) if method == "POST" else (200, self._list(
                    self.sessions, params, "/v1/checkout/sessions"))
            session = self.sessions.get(parts[2])
            if session is None:
                raise StripeHTTPError(404, "invalid_request_error", f"No such checkout.session: '{parts[2]}'",
                                      "resource_missing")
            if len(parts) == 4 and parts[3] == "expire" and method == "POST":
                if session["status"] != "open":
                    raise StripeHTTPError(400, "invalid_request_error",
                                          "Only Checkout Sessions with a status of `open` can be expired.")
                session["status"] = "expired"
                self._event("checkout.session.expired", session)
                return 200, session
            self._check_expiry(session)
            return 200, session
        if parts[:1] == ["refunds"]:
            if len(parts) == 1:
                pi = params.get("payment_intent")
                return (200, self._create_refund(params)) if method == "POST" else (200, self._list(
                    {k: r for k, r in self.refunds.items() if not pi or r["payment_intent"] == pi}, params,
                    "/v1/refunds"))
            refund = self.refunds.get(parts[1])
            if refund is None:
                raise StripeHTTPError(404, "invalid_request_error", f"No such refund: '{parts[1]}'",
                                      "resource_missing")
            return 200, refund
        if parts == ["transfers"] and method == "POST":
            return 200, self._create_transfer(params)
        if parts == ["transfers"]:
            group = params.get("transfer_group")
            store = {k: t for k, t in self.transfers.items() if not group or t["transfer_group"] == group}
            return 200, self._list(store, params, "/v1/transfers")
        if len(parts) == 3 and parts[0] == "transfers" and parts[2] == "reversals" and method == "POST":
            return 200, self._create_transfer_reversal(parts[1], params)
        if len(parts) == 3 and parts[0] == "transfers" and parts[2] == "reversals":
            if parts[1] not in self.transfers:
                raise StripeHTTPError(404, "invalid_request_error", f"No such transfer: '{parts[1]}'",
                                      "resource_missing")
            store = {k: r for k, r in self.transfer_reversals.items() if r["transfer"] == parts[1]}
            return 200, self._list(store, params, f"/v1/transfers/{parts[1]}/reversals")
        raise StripeHTTPError(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path}).")

    def _list(self, store: dict, params: dict, url: str) -> dict:
        gte = int((params.get("created") or {}).get("gte", 0))
        items = sorted((o for o in store.values() if o["created"] >= gte), key=lambda o: (o["created"], o["id"]),
                       reverse=True)
        after = params.get("starting_after")
        if after:
            ids = [o["id"] for o in items]
            items = items[ids.index(after) + 1:] if after in ids else []
        limit = min(int(params.get("limit", 10)), self.page_size_cap)
        return {"object": "list", "url": url, "has_more": len(items) > limit, "data": items[:limit]}

    def _create_session(self, p: dict) -> dict:
        def bad(message, param=None):
            raise StripeHTTPError(400, "invalid_request_error", message, "parameter_invalid")

        if p.get("mode") != "payment":
            bad("mode must be payment")
        if "payment_method_types" in p:
            bad("payment_method_types is not supported in this API version; use allowed_payment_method_types")
        items = p.get("line_items") or []
        if not items or len(items) > 100:
            bad("line_items: between 1 and 100 items are required")
        total = 0
        for item in items:
            price = item.get("price_data") or {}
            if price.get("currency") != "cny" or not (price.get("product_data") or {}).get("name"):
                bad("line_items: price_data needs currency and product_data[name]")
            unit, qty = int(price.get("unit_amount", -1)), int(item.get("quantity", 0))
            if unit < 0 or qty < 1:
                bad("line_items: invalid unit_amount or quantity")
            total += unit * qty
        methods = p.get("allowed_payment_method_types") or ["card"]
        if not set(methods) <= METHODS:
            bad(f"allowed_payment_method_types: unsupported {methods}")
        if "wechat_pay" in methods and ((p.get("payment_method_options") or {}).get("wechat_pay") or {}).get(
                "client") != "web":
            bad("payment_method_options[wechat_pay][client] is required")
        now = self.now()
        expires_at = int(p.get("expires_at", now + 86400))
        if not now + 30 * 60 <= expires_at <= now + 24 * 3600:
            bad("expires_at must be between 30 minutes and 24 hours from now")
        if not p.get("success_url"):
            bad("success_url is required")
        sid = self._id("cs")
        session = {"id": sid, "object": "checkout.session", "mode": "payment", "status": "open",
                   "payment_status": "unpaid", "amount_total": total, "amount_subtotal": total,
                   "currency": p.get("currency", "cny"), "client_reference_id": p.get("client_reference_id"),
                   "metadata": p.get("metadata") or {}, "locale": p.get("locale"), "expires_at": expires_at,
                   "created": now, "url": f"{self.url}/pay/{sid}", "payment_intent": None,
                   "success_url": p["success_url"], "cancel_url": p.get("cancel_url"),
                   "allowed_payment_method_types": methods, "livemode": False}
        with self._lock:
            self.sessions[sid] = session
            self.line_items[sid] = items
        return session

    def _create_refund(self, p: dict) -> dict:
        pi = p.get("payment_intent")
        session = next((s for s in self.sessions.values() if pi and s["payment_intent"] == pi), None)
        if session is None or session["payment_status"] != "paid":
            raise StripeHTTPError(400, "invalid_request_error", f"No such payment_intent: '{pi}'", "resource_missing")
        refunded = sum(r["amount"] for r in self.refunds.values()
                       if r["payment_intent"] == pi and r["status"] != "failed")
        amount = int(p.get("amount", session["amount_total"] - refunded))
        if amount <= 0 or amount > session["amount_total"] - refunded:
            raise StripeHTTPError(400, "invalid_request_error",
                                  f"Refund amount ({amount}) is greater than unrefunded amount on charge.",
                                  "charge_already_refunded" if refunded else "amount_too_large")
        refund = {"id": self._id("re"), "object": "refund", "amount": amount, "currency": session["currency"],
                  "payment_intent": pi, "charge": "ch_" + pi[3:], "status": self.refund_status,
                  "metadata": p.get("metadata") or {}, "created": self.now(), "reason": p.get("reason")}
        with self._lock:
            self.refunds[refund["id"]] = refund
        self._event("refund.created", refund)
        charge = {"id": refund["charge"], "object": "charge", "payment_intent": pi, "amount": session["amount_total"],
                  "amount_refunded": refunded + amount, "currency": session["currency"],
                  "refunded": refunded + amount == session["amount_total"]}
        self._event("charge.refunded", charge)
        return refund

    def _create_transfer(self, p: dict) -> dict:
        """A Connect transfer to a connected account: money moves at once, or a 400 says why not."""
        amount, destination = int(p.get("amount", 0)), p.get("destination")
        if amount <= 0 or p.get("currency") != "cny":
            raise StripeHTTPError(400, "invalid_request_error", "amount and currency are required", "parameter_invalid")
        if destination not in self.connected_accounts:
            raise StripeHTTPError(400, "invalid_request_error", f"No such destination: '{destination}'",
                                  "resource_missing")
        transfer = {"id": self._id("tr"), "object": "transfer", "amount": amount, "currency": "cny",
                    "destination": destination, "transfer_group": p.get("transfer_group"),
                    "metadata": p.get("metadata") or {}, "created": self.now(), "reversed": False,
                    "amount_reversed": 0}
        with self._lock:
            self.transfers[transfer["id"]] = transfer
        return transfer

    def _create_transfer_reversal(self, transfer_id: str, p: dict) -> dict:
        """Take back part of a transfer: never more than is left of it, or a 400 says why not."""
        with self._lock:
            transfer = self.transfers.get(transfer_id)
            if transfer is None:
                raise StripeHTTPError(404, "invalid_request_error", f"No such transfer: '{transfer_id}'",
                                      "resource_missing")
            amount = int(p.get("amount", transfer["amount"] - transfer["amount_reversed"]))
            if amount <= 0 or transfer["amount_reversed"] + amount > transfer["amount"]:
                raise StripeHTTPError(400, "invalid_request_error",
                                      "Amount is greater than the amount that can be reversed", "amount_too_large")
            if transfer["destination"] in self.drained_accounts:
                raise StripeHTTPError(400, "invalid_request_error",
                                      "Insufficient funds in the connected account", "balance_insufficient")
            transfer["amount_reversed"] += amount
            transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
            reversal = {"id": self._id("trr"), "object": "transfer_reversal", "amount": amount, "currency": "cny",
                        "transfer": transfer_id, "metadata": p.get("metadata") or {}, "created": self.now()}
            self.transfer_reversals[reversal["id"]] = reversal
        return reversal

    def set_refund_status(self, refund_id: str, status: str) -> dict:
        """Move a refund on Stripe's side (e.g. pending -> succeeded) and emit refund.updated."""
        with self._lock:
            self.refunds[refund_id]["status"] = status
            snapshot = dict(self.refunds[refund_id])
        return self._event("refund.updated", snapshot)

    # ----- idempotency -----
    def idempotent(self, method: str, path: str, params: dict, key: str | None, run) -> tuple[int, dict, bool]:
        """Run a POST once per key: the same key and params replay the first answer, others are refused."""
        if method != "POST" or not key:
            return (*run(), False)
        fingerprint = (method, path, json.dumps(params, sort_keys=True))
        with self._key_locks[key]:
            if key in self._idem:
                seen, status, body = self._idem[key]
                if seen != fingerprint:
                    return 400, {"error": {"type": "idempotency_error", "message": (
                        "Keys for idempotent requests can only be used with the same parameters they were "
                        "first used with.")}}, False
                return status, body, True
            status, body = run()
            if status < 400 or status >= 500:  # Stripe saves results once the endpoint ran, 500s included
                self._idem[key] = (fingerprint, status, body)
            return status, body, False


class _Handler(BaseHTTPRequestHandler):
    stripe: FakeStripe
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def _send(self, status: int, body: bytes, ctype: str = "application/json", headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", "req_" + secrets.token_hex(6))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _params(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        query = urlsplit(self.path).query
        return _nest(parse_qsl(body or query, keep_blank_values=True))

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def _route(self, method: str):
        path = urlsplit(self.path).path
        if path.startswith("/pay/"):
            return self._pay_page(method, path)
        fake = self.stripe
        params = self._params()
        if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
            return self._send(401, json.dumps({"error": {"type": "invalid_request_error",
                                                         "message": "Invalid API Key provided"}}).encode())
        key = self.headers.get("Idempotency-Key")
        fake.requests.append((method, path, params, key))
        failure = fake._failure_for(method, path)
        if failure == "reset":
            return self._reset()
        if failure == "timeout":
            time.sleep(fake.timeout_sleep)
            return self._reset()
        if failure == "429":
            return self._send(429, json.dumps({"error": {"type": "invalid_request_error", "code": "rate_limit",
                                                         "message": "Too many requests"}}).encode())

        def run():
            if failure == "500":
                return 500, {"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}}
            try:
                return fake.handle_api(method, path, params, key)
            except StripeHTTPError as e:
                return e.status, e.body

        status, body, replayed = fake.idempotent(method, path, params, key, run)
        if failure == "lost":  # done on Stripe's side, but the answer never arrives
            return self._reset()
        self._send(status, json.dumps(body).encode(),
                   headers={"Idempotent-Replayed": "true"} if replayed else None)

    def _pay_page(self, method: str, path: str):
        fake = self.stripe
        parts = path.strip("/").split("/")
        session = fake.sessions.get(parts[1]) if len(parts) > 1 else None
        if session is None:
            return self._send(404, b"<h1>No such session</h1>", "text/html; charset=utf-8")
        fake._check_expiry(session)
        if method == "POST" and len(parts) == 3 and session["status"] == "open":
            self._params()
            if parts[2] == "pay":
                fake.complete(session["id"], paid=not fake.async_payments)
                target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
            else:
                target = session["cancel_url"]
            self.send_response(303)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        amount = session["amount_total"]
        items = "".join(f"<li>{html.escape(i['price_data']['product_data']['name'])} × {i['quantity']}</li>"
                        for i in fake.line_items[session["id"]])
        if session["status"] == "open":
            body = (f'<form method="post" action="/pay/{session["id"]}/pay"><button id="pay">Pay ¥{amount // 100}.'
                    f'{amount % 100:02d}</button></form><form method="post" action="/pay/{session["id"]}/cancel">'
                    f'<button id="cancel">Cancel</button></form>')
        else:
            body = f"<p id='state'>This session is {session['status']}.</p>"
        page = (f"<!doctype html><html lang='{session['locale']}'><meta charset='utf-8'><title>Fake Stripe Checkout"
                f"</title><h1>Fake Stripe Checkout</h1><ul>{items}</ul>{body}</html>")
        return self._send(200, page.encode(), "text/html; charset=utf-8")
