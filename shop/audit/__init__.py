"""The audit trail: money and administrative actions, appended and never edited (household data views are
logged beside it in `household_access_log`, shop/households)."""
