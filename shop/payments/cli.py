"""`flask payments ...`: reconciliation with Stripe, and sending refunds left pending."""
from datetime import timezone

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from shop.extensions import db
from shop.money import format_fen


def register(app: Flask) -> None:
    """Add the `payments` command group to the app."""
    app.cli.add_command(payments_cli)


payments_cli = AppGroup("payments", help="Stripe payments: reconciliation and pending refunds.")


@payments_cli.command("reconcile")
@click.option("--since", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="First day (UTC) of payments to compare, YYYY-MM-DD.")
def reconcile_command(since):
    """List, by order, every difference between our payments and refunds and Stripe's; exit 1 if any."""
    from shop.payments.providers import stripe_enabled
    from shop.payments.reconcile import reconcile_since
    from shop.payments.stripe_gateway import GatewayError

    if not stripe_enabled():
        raise click.ClickException("Stripe is not configured (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET).")
    try:
        diffs = reconcile_since(since.replace(tzinfo=timezone.utc))
    except GatewayError as error:
        raise click.ClickException(f"Stripe could not be asked: {error}") from error
    for d in diffs:
        click.echo(f"{d.order}\t{d.what}\tshop {format_fen(d.ours_fen)}\tStripe {format_fen(d.stripe_fen)}")
    if diffs:
        click.echo(f"{len(diffs)} difference(s).", err=True)
        raise SystemExit(1)
    click.echo("No differences.")


@payments_cli.command("send-refunds")
def send_refunds_command():
    """Send every refund still pending (e.g. after Stripe was unreachable), with its own idempotency key."""
    from shop.payments.models import Refund
    from shop.payments.refunds import send_refund

    ids = db.session.scalars(select(Refund.id).where(Refund.status == "pending").order_by(Refund.id)).all()
    results = [send_refund(db.session.get(Refund, refund_id)) for refund_id in ids]
    click.echo(f"{results.count('succeeded')} refunded, {results.count('pending')} still pending, "
               f"{results.count('failed')} refused.")
