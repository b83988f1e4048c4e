"""`flask --app shop ledger check`: verify every money invariant; exit 1 naming each violation.
`flask --app shop ledger rebuild-months`: recompute the monthly roll-up from the postings."""
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

    @ledger_cli.command("rebuild-months")
    def rebuild_months_command():
        """Recompute the monthly roll-up (ledger_months) from the postings, e.g. after a bulk load."""
        from shop.extensions import db
        from shop.ledger.rollup import rebuild_ledger_months

        rows = rebuild_ledger_months()
        db.session.commit()
        click.echo(f"{rows} month rows rebuilt from the postings.")

    app.cli.add_command(ledger_cli)
