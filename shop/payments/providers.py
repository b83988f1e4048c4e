"""Payment providers behind one small interface: Stripe Checkout when both Stripe keys are set,
otherwise the demo provider, which marks orders paid through the same service Stripe uses."""
from dataclasses import dataclass

from flask import current_app, url_for

from shop.orders.models import Order
from shop.payments.services import mark_paid


@dataclass(frozen=True)
class DemoProvider:
    """A demonstration: no money moves. Active only when Stripe is not configured."""

    name: str = "demo"
    is_demo: bool = True

    def start(self, order: Order) -> str:
        """Return where the buyer goes to pay."""
        return url_for("payments.demo", number=order.number)

    def complete_demo(self, order: Order) -> bool:
        """Mark the order paid as if the money had arrived."""
        return mark_paid(order, self.name, f"demo_{order.number}", order.total_fen, order.currency)


@dataclass(frozen=True)
class StripeProvider:
    """Stripe Checkout: the buyer pays on Stripe's page; webhooks and the return page record it."""

    name: str = "stripe"
    is_demo: bool = False

    def start(self, order: Order) -> str:
        """Return the URL of an open Checkout Session (commits; raises PaymentUnavailable)."""
        from shop.payments.stripe_checkout import start_stripe_checkout

        return start_stripe_checkout(order)


def stripe_enabled() -> bool:
    """Return True when both STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are set."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY") and current_app.config.get("STRIPE_WEBHOOK_SECRET"))


def get_provider():
    """Return the active provider: Stripe once both keys are set, the demo one until then."""
    return StripeProvider() if stripe_enabled() else DemoProvider()
