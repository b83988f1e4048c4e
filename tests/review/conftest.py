"""Review tests: reuse the order mail fixtures (outbox, Stripe fake)."""
from tests.mail.conftest import fake_stripe, stripe_server  # noqa: F401
