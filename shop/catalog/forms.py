"""The catalogue's filter form: a plain GET form that never rejects a request, it ignores what it cannot use."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SearchField, SelectChoice, SelectField

from shop.catalog.services import (MAX_PAGE, MAX_SEARCH_CHARS, SORTS, CatalogQuery, FilterChoices,
                                   clean_search)

SORT_LABELS = {"newest": _l("Newest first"), "price_asc": _l("Price: low to high"),
               "price_desc": _l("Price: high to low")}


class ProductFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = SearchField(_l("Search"), filters=[clean_search], render_kw={"maxlength": MAX_SEARCH_CHARS,
                                                                      "placeholder": _l("Walnuts, pepper… or a trace code")})
    category = SelectField(_l("Category"), choices=[])
    county = SelectField(_l("County"), choices=[])
    coop = SelectField(_l("Cooperative"), choices=[])
    sort = SelectField(_l("Sort by"), choices=[SelectChoice(k, v) for k, v in SORT_LABELS.items()], default="newest")
    page = IntegerField(default=1)

    def __init__(self, args, choices: FilterChoices):
        super().__init__(formdata=args)
        for field, everything, pairs in ((self.category, _l("All categories"), choices.categories),
                                         (self.county, _l("All counties"), choices.counties),
                                         (self.coop, _l("All cooperatives"), choices.coops)):
            field.choices = [SelectChoice("", everything)] + [SelectChoice(slug, name) for slug, name in pairs]

    @staticmethod
    def _known(field: SelectField) -> str | None:
        """Return the field's value if it is one of its choices; forget it otherwise."""
        if field.data and any(field.data == choice.value for choice in field.choices):
            return field.data
        field.data = ""
        return None

    def to_query(self) -> CatalogQuery:
        """Return the cleaned query: unknown slugs and sorts are dropped, the page kept in range."""
        sort = self.sort.data if self.sort.data in SORTS else "newest"
        self.sort.data = sort
        page = self.page.data if isinstance(self.page.data, int) else 1
        return CatalogQuery(q=self.q.data or "", category=self._known(self.category), county=self._known(self.county),
                            coop=self._known(self.coop), sort=sort, page=min(max(page, 1), MAX_PAGE))
