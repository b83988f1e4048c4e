"""`flask --app shop payouts run | send`: pay cooperatives what they are owed on settled shipments."""
import click
from flask import Flask
from flask.cli import AppGroup

from shop.extensions import db


def register(app: Flask) -> None:
    payouts_cli = AppGroup("payouts", help="Payouts to cooperatives (run them from cron).")

    @payouts_cli.command("run")
    @click.option("--batch", type=click.Path(dir_okay=False, writable=True),
                  help="Write the bank transfers of this run to this CSV file.")
    def run_command(batch: str | None):
        """Create the payouts that are due, then send the Stripe ones (safe to run again at any time)."""
        from shop.payouts.services import bank_batch_csv, run_payouts

        run = run_payouts()
        db.session.commit()
        if run is None:
            click.echo("No cooperative is owed the minimum payout; nothing created.")
        else:
            total = sum(p.signed_fen for p in run.payouts)
            click.echo(f"Run {run.id}: {len(run.payouts)} payout(s), {total} fen.")
            if batch:
                with open(batch, "w", encoding="utf-8", newline="") as out:
                    out.write(bank_batch_csv(run))
                click.echo(f"Bank transfers written to {batch}.")
        _send()

    @payouts_cli.command("send")
    def send_command():
        """Send the Stripe transfers and reversals that wait (cron, every few minutes; safe to repeat)."""
        _send()

    def _send():
        from shop.payouts.services import send_pending_stripe_payouts

        counts = send_pending_stripe_payouts()
        click.echo("Stripe payouts: " + (", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
                                         or "none waiting") + ".")

    app.cli.add_command(payouts_cli)
