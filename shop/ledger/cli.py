"""`flask --app shop ledger check`: verify every money invariant; exit 1 naming each violation."""
import click
from flask import Flask
from flask.cli import AppGroup


def register(app: Flask) -> None:
    ledger_cli = AppGroup("ledger", help="The money ledger.")

    @ledger_cli.command("check")
    def check_command():
        """Verify the ledger against orders, refunds and payouts; exit 1 if anything is off."""
        from shop.ledger.check import check_ledger

        problems = check_ledger()
        for problem in problems:
            click.echo(f"VIOLATION: {problem}")
        click.echo(f"{len(problems)} violation(s)." if problems else "The ledger is consistent.")
        raise SystemExit(1 if problems else 0)

    app.cli.add_command(ledger_cli)
