"""Command-line entry points; each calls the same services the pages use."""
import click
from flask import Flask
from flask.cli import AppGroup

from shop.extensions import db


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--history-months", type=click.IntRange(1, 12), default=12, show_default=True,
                  help="Months of orders, payouts and handovers to make up before today.")
    def seed_demo_command(history_months):
        """Load the Longnan demo data (does nothing if it is already loaded)."""
        from shop.seed import DEMO_LOGINS, seed_demo

        created = seed_demo(history_months)
        db.session.commit()
        click.echo("Demo data loaded." if created else "Demo data already present; nothing changed.")
        click.echo("Demo logins (email / password):")
        for role, email, password in DEMO_LOGINS:
            click.echo(f"  {role:<13} {email} / {password}")

    orders_cli = AppGroup("orders", help="Order lifecycle jobs (run them from cron).")

    @orders_cli.command("expire")
    def expire_command():
        """Cancel unpaid orders whose payment time ran out and release their units."""
        from shop.orders.services import expire_due_orders

        count = expire_due_orders()
        db.session.commit()
        click.echo(f"Expired {count} unpaid order(s).")

    @orders_cli.command("auto-deliver")
    def auto_deliver_command():
        """Mark shipments delivered AUTO_DELIVER_DAYS after shipping and complete their orders."""
        from shop.coops.fulfilment import auto_deliver_shipments

        count = auto_deliver_shipments()
        db.session.commit()
        click.echo(f"Marked {count} shipment(s) delivered.")

    @orders_cli.command("settle")
    def settle_command():
        """Settle shipments delivered more than REFUND_WINDOW_DAYS ago: their money becomes payable."""
        from shop.payouts.settlement import settle_due_shipments

        count = settle_due_shipments()
        db.session.commit()
        click.echo(f"Settled {count} shipment(s).")

    @orders_cli.command("purge-addresses")
    @click.option("--dry-run", is_flag=True, help="Only count the orders whose address is due to go.")
    def purge_addresses_command(dry_run):
        """Remove the shipping address of finished orders placed more than ADDRESS_RETENTION_DAYS ago."""
        from shop.orders.retention import purge_old_addresses

        count = purge_old_addresses(dry_run)
        db.session.commit()
        click.echo(f"{count} order address(es) {'due to be removed' if dry_run else 'removed'}.")

    @orders_cli.command("purge-carts")
    def purge_carts_command():
        """Delete guest carts nobody has touched for 30 days."""
        from shop.cart.services import purge_guest_carts

        count = purge_guest_carts()
        db.session.commit()
        click.echo(f"Deleted {count} abandoned guest cart(s).")

    app.cli.add_command(orders_cli)

    keys_cli = AppGroup("keys", help="The key that encrypts household and bank data at rest.")

    @keys_cli.command("rotate")
    def rotate_command():
        """Re-encrypt every value under DATA_KEY (old keys in DATA_KEYS_OLD) and recompute blind indexes."""
        from shop.crypto import rotate_data_key

        counts = rotate_data_key()
        db.session.commit()
        for column, count in counts.items():
            click.echo(f"{column}: re-encrypted {count} value(s)")
        click.echo("Every value is now under the current DATA_KEY; DATA_KEYS_OLD can be emptied.")

    app.cli.add_command(keys_cli)

    users_cli = AppGroup("users", help="Logins that the back office cannot make: the first admin.")

    @users_cli.command("make-admin")
    @click.argument("email")
    @click.option("--name", default="", help="The name shown in the back office, for a new login.")
    def make_admin_command(email, name):
        """Make EMAIL an admin (creating the login if there is none) and print a link to set its password."""
        from email_validator import EmailNotValidError, validate_email

        from shop.accounts.services import make_admin, make_reset_token
        from shop.web import public_url

        email = email.strip()
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError as error:
            raise click.BadParameter(str(error), param_hint="EMAIL") from None
        user, created = make_admin(email, name)
        db.session.commit()
        click.echo(f"{user.email} is {'a new' if created else 'now an'} admin.")
        click.echo("Open this link within one hour to choose the password (later, use Forgot password):")
        click.echo(public_url("accounts.reset_password", token=make_reset_token(user)))

    app.cli.add_command(users_cli)
    from shop.ledger.cli import register as register_ledger_cli
    from shop.payouts.cli import register as register_payouts_cli
    from shop.reports.cli import register as register_reports_cli

    register_ledger_cli(app)
    register_payouts_cli(app)
    register_reports_cli(app)
    from shop.payments.cli import register as register_payments_cli

    register_payments_cli(app)
