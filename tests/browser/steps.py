"""Steps that several browser journeys share."""
import re

from playwright.sync_api import Page, expect


def sign_in(page: Page, email: str, password: str) -> None:
    """Log in through the login page and wait until it is left."""
    page.goto("/account/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    expect(page).not_to_have_url(re.compile(r"/account/login"))
