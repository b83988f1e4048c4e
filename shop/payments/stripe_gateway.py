"""The one module that talks to Stripe. Everything it returns is plain dicts; every failure is a
GatewayError that says whether repeating the same request (same idempotency key) can help."""
import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import requests
import stripe
from flask import current_app


class GatewayError(Exception):
    """Stripe did not do what was asked, or we cannot tell whether it did."""

    def __init__(self, message: str, retry_same: bool, server_error: bool = False, replayed: bool = False):
        super().__init__(message)
        # True when Stripe may not have seen or finished the request (timeout, reset, 429, 409):
        # repeating it with the same key is safe and returns what was done, if anything was.
        self.retry_same = retry_same
        # A 5xx: Stripe may or may not have done it, and repeating the key replays the same error.
        self.server_error = server_error
        self.replayed = replayed  # Stripe replayed the answer it saved for this key


# Stripe keeps an idempotency key for at least 24 hours. A refund or payout sent again after KEY_KEPT (well inside
# that, so that a clock or a queue running late cannot cross it) is looked up at Stripe before it is made again.
KEY_KEPT = timedelta(hours=1)
TOLERANCE_SECONDS = 300  # a webhook signed further in the past or the future is refused


class BadSignature(Exception):
    """The webhook payload is not signed with our secret, is stale, or is not an event."""


def _client(session: requests.Session, retries: int) -> stripe.StripeClient:
    config = current_app.config
    total = config["STRIPE_TIMEOUT_SECONDS"]
    http = stripe.RequestsClient(timeout=(min(3, total), total), session=session)  # (connect, read)
    bases = {"api": config["STRIPE_API_BASE"]} if config.get("STRIPE_API_BASE") else None
    return stripe.StripeClient(config["STRIPE_SECRET_KEY"], base_addresses=bases, http_client=http,
                               max_network_retries=retries)


def _call(method, *args, idempotency_key: str | None = None, **params) -> dict:
    session = requests.Session()
    client = _client(session, retries=0)  # our own retries reuse the idempotency key
    options = {"idempotency_key": idempotency_key} if idempotency_key else None
    try:
        result = method(client)(*args, params=params or None, options=options)
        return result if isinstance(result, (dict, list)) else result.to_dict()
    except (stripe.APIConnectionError, stripe.RateLimitError) as e:
        raise GatewayError(str(e), retry_same=True) from e
    except stripe.StripeError as e:
        replayed = str((e.headers or {}).get("idempotent-replayed", "")).lower() == "true"
        raise GatewayError(str(e), retry_same=e.http_status == 409, server_error=(e.http_status or 0) >= 500,
                           replayed=replayed) from e
    finally:
        session.close()


def create_checkout_session(params: dict, idempotency_key: str) -> dict:
    """Create a Checkout Session; the same key with the same params returns the same session."""
    return _call(lambda c: c.v1.checkout.sessions.create, idempotency_key=idempotency_key, **params)


def retrieve_checkout_session(session_id: str) -> dict:
    """Return Stripe's current view of a Checkout Session."""
    return _call(lambda c: c.v1.checkout.sessions.retrieve, session_id)


def expire_checkout_session(session_id: str) -> dict:
    """Expire an open Checkout Session so that it can no longer be paid."""
    return _call(lambda c: c.v1.checkout.sessions.expire, session_id)


def create_refund(params: dict, idempotency_key: str) -> dict:
    """Refund (part of) a PaymentIntent; the same key with the same params returns the same refund."""
    return _call(lambda c: c.v1.refunds.create, idempotency_key=idempotency_key, **params)


def retrieve_refund(refund_id: str) -> dict:
    """Return Stripe's current view of a refund."""
    return _call(lambda c: c.v1.refunds.retrieve, refund_id)


def _find(method, *args, match, **params) -> dict | None:
    """Return the first listed object that matches, asking for the next page while there is one."""
    while True:
        page = _call(method, *args, limit=100, **params)
        items = page.get("data") or []
        found = next((item for item in items if match(item)), None)
        if found is not None or not page.get("has_more") or not items:
            return found
        params["starting_after"] = items[-1]["id"]


def find_refund(payment_intent: str, refund_id: int) -> dict | None:
    """Return the Stripe refund of this payment made for our refund row (metadata refund_id), or None."""
    return _find(lambda c: c.v1.refunds.list, payment_intent=payment_intent,
                 match=lambda r: r.get("payment_intent") == payment_intent
                 and (r.get("metadata") or {}).get("refund_id") == str(refund_id))


def create_transfer(params: dict, idempotency_key: str) -> dict:
    """Send money to a connected account (Stripe Connect); the same key and params return the same transfer."""
    return _call(lambda c: c.v1.transfers.create, idempotency_key=idempotency_key, **params)


def create_transfer_reversal(transfer_id: str, params: dict, idempotency_key: str) -> dict:
    """Take back part of a Connect transfer; the same key and params return the same reversal."""
    return _call(lambda c: c.v1.transfers.reversals.create, transfer_id, idempotency_key=idempotency_key, **params)


def find_transfer(payout_id: int) -> dict | None:
    """Return the Connect transfer made for this payout (any try: transfer group and metadata), or None."""
    return _find(lambda c: c.v1.transfers.list, transfer_group=f"payout-{payout_id}",
                 match=lambda t: t.get("transfer_group") == f"payout-{payout_id}"
                 and (t.get("metadata") or {}).get("payout_id") == str(payout_id))


def find_transfer_reversal(transfer_id: str, payout_id: int) -> dict | None:
    """Return the reversal of this transfer made for this payout (metadata payout_id), or None."""
    return _find(lambda c: c.v1.transfers.reversals.list, transfer_id,
                 match=lambda r: (r.get("metadata") or {}).get("payout_id") == str(payout_id))


def _list(service, since: datetime) -> Iterator[dict]:
    session = requests.Session()
    client = _client(session, retries=2)  # listing is read-only: the SDK may retry
    try:
        page = service(client).list(params={"created": {"gte": int(since.timestamp())}, "limit": 100})
        for item in page.auto_paging_iter():
            yield item.to_dict()
    except stripe.StripeError as e:
        raise GatewayError(str(e), retry_same=True) from e
    finally:
        session.close()


def list_checkout_sessions(since: datetime) -> Iterator[dict]:
    """Yield every Checkout Session created since the given time."""
    return _list(lambda c: c.v1.checkout.sessions, since)


def list_refunds(since: datetime) -> Iterator[dict]:
    """Yield every refund created since the given time."""
    return _list(lambda c: c.v1.refunds, since)


def _timestamp(signature_header: str) -> int | None:
    stamps = [part[2:] for part in signature_header.split(",") if part.strip().startswith("t=")]
    return int(stamps[0]) if stamps and stamps[0].strip().isdecimal() and len(stamps[0]) < 20 else None


def verify_event(payload: bytes, signature_header: str | None) -> dict:
    """Return the event if the raw payload is signed with one of our webhook secrets, within five minutes
    of now either way, and is a JSON object; else BadSignature."""
    if not signature_header:
        raise BadSignature("missing Stripe-Signature header")
    stamp = _timestamp(signature_header)
    if stamp is not None and stamp > time.time() + TOLERANCE_SECONDS:  # the library checks the past only
        raise BadSignature("timestamp too far in the future")
    secrets = [s.strip() for s in current_app.config["STRIPE_WEBHOOK_SECRET"].split(",") if s.strip()]
    for secret in secrets:  # more than one while the endpoint secret is being rolled
        try:
            stripe.WebhookSignature.verify_header(payload, signature_header, secret, TOLERANCE_SECONDS)
        except stripe.SignatureVerificationError:
            continue
        except ValueError as e:  # not text: nothing we act on
            raise BadSignature(f"unreadable payload: {e}") from e
        try:
            event = json.loads(payload)
        except (ValueError, RecursionError) as e:  # signed, but not JSON: still nothing we act on
            raise BadSignature(f"unreadable payload: {e}") from e
        if not isinstance(event, dict):
            raise BadSignature("not an event")
        return event
    raise BadSignature("no valid signature for our secret")
