"""What the home page shows."""
from shop.catalog.services import list_approved_coops, list_categories, list_featured_cards


def load_home() -> dict:
    """Load categories, featured products and cooperatives for the home page."""
    return {"categories": list_categories(), "featured": list_featured_cards(),
            "coops": list_approved_coops()}
