"""Exactly one module of the shop talks to the stripe library."""
import ast
from pathlib import Path

SHOP = Path(__file__).resolve().parents[2] / "shop"


def test_only_the_gateway_imports_stripe():
    importers = set()
    for path in SHOP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(name == "stripe" or name.startswith("stripe.") for name in names):
                importers.add(path.relative_to(SHOP).as_posix())
    assert importers == {"payments/stripe_gateway.py"}
