"""Set-up helpers for the account tests: real users in the database, and logging in through the form."""
from shop.extensions import db
from tests.factories import make_user

PASSWORD = "correct-horse-42"


def create_user(app, email: str = "buyer@example.test", password: str = PASSWORD, display_name: str = "Test",
                **kw) -> int:
    """Create and commit a user; return its id (never hold the app context around requests)."""
    with app.app_context():
        user = make_user(email=email, password=password, **kw)
        user.display_name = display_name
        db.session.commit()
        return user.id


def log_in(client, email: str = "buyer@example.test", password: str = PASSWORD, **kw):
    return client.post("/account/login", data={"email": email, "password": password}, **kw)
