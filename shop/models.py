"""Import every model so that metadata (and Alembic) sees all tables."""
from shop.accounts.models import Address, User  # noqa: F401
from shop.audit.models import AuditEvent  # noqa: F401
from shop.catalog.models import Category, Product, ProductImage, Variant  # noqa: F401
from shop.coops.models import CoopImage, Cooperative  # noqa: F401
from shop.households.models import Household, HouseholdAccessLog  # noqa: F401
from shop.places.models import County, Village  # noqa: F401
from shop.supply.models import LotAdjustment, LotShare, SupplyLot  # noqa: F401
from shop.cart.models import Cart, CartItem  # noqa: F401
from shop.orders.models import Allocation, LineShare, Order, OrderLine, Shipment  # noqa: F401
from shop.payments.models import CheckoutAttempt, Payment, PaymentFlag, Refund, RefundLine, RefundShipping, StripeEvent  # noqa: F401
from shop.payouts.models import Handover, Payout, PayoutRun  # noqa: F401
from shop.ledger.models import LedgerPosting, LedgerTransaction  # noqa: F401
