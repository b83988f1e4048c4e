"""`flask --app shop reports households`: the household income report for a period, as CSV or Excel."""
import csv
import sys

import click
from flask import Flask
from flask.cli import AppGroup

CLI_COLUMNS = ("household_id", "county", "village", "cooperative", "registered_poor", "units_sold", "income_fen")


def household_rows(report) -> list[list]:
    """One machine-readable row per household: ids and fen, names in Chinese."""
    return [[row.key, row.county_zh, row.village_zh, row.coop_zh, int(bool(row.registered_poor)), row.units_sold,
             row.income_fen] for row in report.rows]


def register(app: Flask) -> None:
    reports_cli = AppGroup("reports", help="Reports for staff.")

    @reports_cli.command("households")
    @click.option("--from", "start", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
                  help="First day of the period (Shanghai), YYYY-MM-DD.")
    @click.option("--to", "end", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
                  help="Last day of the period (Shanghai), YYYY-MM-DD.")
    @click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv")
    @click.option("--output", type=click.Path(dir_okay=False, writable=True),
                  help="Write to this file (needed for xlsx); CSV goes to standard output otherwise.")
    def households_command(start, end, fmt, output):
        """Write each household's income in the period: settled shares net of refunds, from the ledger."""
        from openpyxl import Workbook

        from shop.reports.income import IncomeFilter, build_income_report

        if end < start:
            raise click.UsageError("--to must not be before --from")
        report = build_income_report(IncomeFilter(start.date(), end.date()), "household", "income")
        rows = household_rows(report)
        if fmt == "xlsx":
            if not output:
                raise click.UsageError("--format xlsx needs --output FILE")
            book = Workbook()
            book.active.append(CLI_COLUMNS)
            for row in rows:
                book.active.append(row)
            book.save(output)
        else:
            out = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout
            writer = csv.writer(out)
            writer.writerow(CLI_COLUMNS)
            writer.writerows(rows)
            if output:
                out.close()
        click.echo(f"{len(rows)} household(s), {report.total_fen} fen.", err=True)

    app.cli.add_command(reports_cli)
