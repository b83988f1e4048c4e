"""Catalogue search, filters, sorting and pages, through the services."""
from shop.catalog.services import CatalogQuery, escape_like, search_products, search_terms
from shop.extensions import db
from tests.catalog.catalog_builders import add_variant, days_ago
from tests.factories import make_category, make_coop, make_product, make_village


def described(name_zh: str, zh: str = "", en: str = "", **kw):
    product = make_product(name_zh=name_zh, **kw)
    product.description_zh, product.description_en = zh, en
    db.session.flush()
    return product


def names(query: CatalogQuery, per_page: int = 12) -> list[str]:
    return [card.name for card in search_products(query, per_page).cards]


def test_only_published_products_of_approved_coops_are_listed(ctx):
    make_product(name_zh="上架")
    make_product(name_zh="未上架", published=False)
    for status in ("pending", "suspended", "rejected"):
        make_product(coop=make_coop(status=status), name_zh=f"{status}产品")
    assert names(CatalogQuery()) == ["上架"]


def test_chinese_search_finds_words_inside_names(ctx):
    make_product(name_zh="成县薄皮核桃", name_en="Thin-shell walnuts")
    make_product(name_zh="武都花椒", name_en="Sichuan pepper")
    assert names(CatalogQuery(q="核桃")) == ["成县薄皮核桃"]


def test_english_search_is_case_insensitive_and_finds_chinese_products(ctx):
    make_product(name_zh="大红袍花椒", name_en="Dahongpao Sichuan Pepper")
    make_product(name_zh="核桃仁", name_en="Walnut kernels")
    assert names(CatalogQuery(q="PEPPER")) == ["大红袍花椒"]
    assert names(CatalogQuery(q="pepper")) == ["大红袍花椒"]


def test_search_covers_descriptions_in_both_languages(ctx):
    described("甲", zh="冷榨初榨橄榄油")
    described("乙", en="Hand-picked on sunny SLOPES")
    described("丙", zh="描述", en="Description")
    assert names(CatalogQuery(q="初榨")) == ["甲"]
    assert names(CatalogQuery(q="slopes")) == ["乙"]


def test_every_search_word_must_match(ctx):
    make_product(name_zh="甲", name_en="Walnut oil")
    make_product(name_zh="乙", name_en="Olive oil")
    assert names(CatalogQuery(q="oil walnut")) == ["甲"]
    assert sorted(names(CatalogQuery(q="oil"))) == ["乙", "甲"]


def test_wildcards_in_a_search_match_themselves(ctx):
    described("甲", name_en="100% pure honey")
    described("乙", name_en="Fine_cut herbs")
    described("丙", name_en="Plain tea", en="back\\slash")
    assert names(CatalogQuery(q="%")) == ["甲"]
    assert names(CatalogQuery(q="_")) == ["乙"]
    assert names(CatalogQuery(q="100%")) == ["甲"]
    assert names(CatalogQuery(q="\\")) == ["丙"]
    assert escape_like("a%b_c\\") == "a\\%b\\_c\\\\"


def test_search_words_are_limited(ctx):
    assert search_terms("a b c d e f g") == ["a", "b", "c", "d", "e"]
    assert search_terms("x" * 500) == ["x" * 100]
    assert search_terms("核桃\u3000花椒") == ["核桃", "花椒"]  # an IME's full-width space splits too
    assert search_terms("wal\x00nut \x07x") == ["walnut", "x"]  # PostgreSQL refuses NUL in text


def test_filter_by_category(ctx):
    nuts, herbs = make_category(), make_category()
    make_product(name_zh="核桃", category=nuts)
    make_product(name_zh="天麻", category=herbs)
    assert names(CatalogQuery(category=nuts.slug)) == ["核桃"]
    assert names(CatalogQuery(category="no-such-category")) == []


def test_filter_by_origin_county(ctx):
    cheng, wudu = make_village("成县"), make_village("武都")
    make_product(coop=make_coop(village=cheng), name_zh="成县核桃")
    make_product(coop=make_coop(village=wudu), name_zh="武都花椒")
    assert names(CatalogQuery(county=cheng.county.slug)) == ["成县核桃"]


def test_filter_by_cooperative(ctx):
    a, b = make_coop(), make_coop()
    make_product(coop=a, name_zh="甲社")
    make_product(coop=b, name_zh="乙社")
    assert names(CatalogQuery(coop=b.slug)) == ["乙社"]


def test_filters_and_search_combine(ctx):
    nuts, coop = make_category(), make_coop()
    make_product(coop=coop, category=nuts, name_zh="薄皮核桃")
    make_product(coop=coop, category=nuts, name_zh="核桃仁", name_en="Kernels")
    make_product(category=nuts, name_zh="别社核桃")
    assert names(CatalogQuery(q="薄皮", category=nuts.slug, coop=coop.slug)) == ["薄皮核桃"]


def test_newest_first_is_the_default(ctx):
    make_product(name_zh="旧", created_at=days_ago(30))
    make_product(name_zh="新", created_at=days_ago(1))
    make_product(name_zh="中", created_at=days_ago(10))
    assert names(CatalogQuery()) == ["新", "中", "旧"]


def test_sort_by_price_uses_the_cheapest_active_variant(ctx):
    cheap = make_product(name_zh="便宜", price_fen=3000)
    dear = make_product(name_zh="贵", price_fen=9000)
    add_variant(dear, price_fen=1000, active=False)  # not for sale: does not make it cheap
    add_variant(cheap, price_fen=20000)  # a big box does not make it dear
    mid = make_product(name_zh="中", price_fen=8000)
    add_variant(mid, price_fen=5000)
    no_price = make_product(name_zh="无价")
    no_price.variants[0].is_active = False
    db.session.flush()
    assert names(CatalogQuery(sort="price_asc")) == ["便宜", "中", "贵", "无价"]
    assert names(CatalogQuery(sort="price_desc")) == ["贵", "中", "便宜", "无价"]


def test_sold_out_products_are_listed_as_sold_out(ctx):
    make_product(name_zh="售罄", units=0)
    make_product(name_zh="有货", units=3)
    cards = {c.name: c for c in search_products(CatalogQuery(), 12).cards}
    assert cards["售罄"].sold_out and not cards["有货"].sold_out


def test_pages_split_the_results(ctx):
    for i in range(13):
        make_product(name_zh=f"产品{i:02d}", created_at=days_ago(i))
    first = search_products(CatalogQuery(), 12)
    second = search_products(CatalogQuery(page=2), 12)
    assert (first.total, first.pages, len(first.cards), first.has_next, first.has_prev) == (13, 2, 12, True, False)
    assert [c.name for c in second.cards] == ["产品12"]
    assert (second.has_next, second.has_prev, second.past_end) == (False, True, False)


def test_a_page_past_the_end_is_empty(ctx):
    make_product()
    past = search_products(CatalogQuery(page=3), 12)
    assert past.cards == [] and past.total == 1 and past.past_end


def test_query_args_keep_only_what_was_chosen(ctx):
    assert CatalogQuery().args() == {}
    assert CatalogQuery(q="核桃", county="cheng", sort="price_asc").args(page=2) == {
        "q": "核桃", "county": "cheng", "sort": "price_asc", "page": 2}
