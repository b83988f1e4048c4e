"""Review: a count under three is hidden on the public impact figures, but the counts that are shown
give it back by subtraction (county minus its other villages, total minus the other counties)."""
import pytest

from shop.impact.services import compute_impact
from tests.reports.income_world import IncomeWorld, shanghai

NOW = shanghai(2026, 6, 30, 12, 0)


def recovered_counts(figures: dict) -> dict[str, int]:
    """Hidden household counts an outsider can work out from the shown ones."""
    found = {}
    groups = [(figures["total"], figures["counties"], "name_zh")]
    for county in figures["counties"]:
        groups.append((county, [v for v in figures["villages"] if v["county_zh"] == county["name_zh"]], "name_zh"))
    for whole, parts, key in groups:
        hidden = [p for p in parts if p["households_fewer_than_three"]]
        if whole["households"] is not None and len(hidden) == 1:  # households belong to one village each
            found[hidden[0][key]] = whole["households"] - sum(p["households"] for p in parts if p["households"])
    return found


@pytest.mark.xfail(strict=True, reason="review: 'fewer than three' is undone by subtraction (county total minus "
                                       "its shown villages); needs suppression of a second cell or rounding")
def test_a_hidden_village_count_cannot_be_worked_out_from_the_shown_ones(ctx):
    IncomeWorld()
    figures = compute_impact(NOW)
    assert any(v["households_fewer_than_three"] for v in figures["villages"])
    assert recovered_counts(figures) == {}
