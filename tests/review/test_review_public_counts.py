"""Review: a count under three is hidden on the public impact figures, but the counts that are shown
give it back by subtraction (county minus its other villages, total minus the other counties)."""
from shop.impact.services import compute_impact
from tests.reports.income_world import IncomeWorld, shanghai

NOW = shanghai(2026, 6, 30, 12, 0)


def recovered_counts(figures: dict) -> dict[str, int]:
    """Hidden household counts an outsider can work out from the shown ones."""
    found = {}
    groups = [(figures["total"], figures["counties"], "name_zh")]
    for county in figures["counties"]:
        villages = [v for v in figures["villages"] if v["county_zh"] == county["name_zh"]]
        if any("households" in v for v in villages):
            groups.append((county, villages, "name_zh"))
    for whole, parts, key in groups:
        hidden = [p for p in parts if p["households_fewer_than_three"]]
        if whole["households"] is not None and len(hidden) == 1:  # households belong to one village each
            found[hidden[0][key]] = whole["households"] - sum(p["households"] for p in parts if p["households"])
    return found


def test_a_hidden_village_count_cannot_be_worked_out_from_the_shown_ones(ctx):
    IncomeWorld()
    figures = compute_impact(NOW)
    assert any(v["other"] for v in figures["villages"])  # the village of two households is pooled
    assert recovered_counts(figures) == {}


def test_small_groups_are_pooled_until_no_figure_can_be_subtracted():
    from shop.reports.income import IncomeRow
    from shop.impact.services import pooled

    def row(key, households):
        return IncomeRow(key=key, name_zh=key, name_en=key, households=households, shares=households,
                         units_sold=0, income_fen=households * 100, poor_income_fen=0)

    rows = [row("a", 10), row("b", 4), row("c", 1), row("d", 5)]
    shown, rest = pooled(rows)
    assert [r.key for r in shown] == ["a", "d"] and [r.key for r in rest] == ["b", "c"]  # 1 + the smallest, 4
    shown, rest = pooled([row("a", 10), row("c", 1), row("e", 2)])
    assert [r.key for r in shown] == ["a"] and sum(r.households for r in rest) == 3
    assert pooled([row("a", 3), row("b", 7)]) == ([row("a", 3), row("b", 7)], [])
    assert pooled([row("c", 2)]) == ([], [row("c", 2)])  # all of it below three: the total is hidden too
