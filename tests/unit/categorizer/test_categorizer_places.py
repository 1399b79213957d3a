"""Countries and places: gazetteer names, demonyms, dateline."""

from __future__ import annotations

import pytest

from services.categorizer.places import extract_places, load_gazetteer
from services.core.models import Dateline


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def countries(gaz, text, dateline=None, title=None):
    return extract_places(gaz, dateline, title, text).countries


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Azerbaijani officials met.", {"AZ"}),
        ("Russian and Armenian diplomats talked.", {"RU", "AM"}),
        ("The Azeris and the Germans agreed.", {"AZ", "DE"}),
        ("Talks between the U.S. and UK ended.", {"US", "GB"}),
        ("Trade with the Russian Federation grew.", {"RU"}),
        ("Exports to Türkiye and the Netherlands rose.", {"TR", "NL"}),
        ("South Korean and North Korean officials met.", {"KR", "KP"}),
    ],
)
def test_countries_and_demonyms(gaz, text, expected):
    assert set(countries(gaz, text)) == expected


def test_no_false_friends(gaz):
    assert countries(gaz, "Michael Jordan scored 30 points.") == []
    assert countries(gaz, "let us go and see what they said") == []
    assert countries(gaz, "Police said the weather in the Indian Ocean was calm.") == []


def test_cities_need_size_or_corroboration(gaz):
    r = extract_places(gaz, None, None, "Officials in Baku and Tokyo spoke.")
    assert {("Baku", "AZ"), ("Tokyo", "JP")} <= {(p.name, p.country) for p in r.places}
    assert {"AZ", "JP"} <= set(r.countries)


def test_dateline_leads_and_gives_city(gaz):
    r = extract_places(
        gaz, Dateline(text="BAKU, Azerbaijan, Nov. 26"), None, "Russian and Armenian officials met."
    )
    assert r.countries[0] == "AZ"
    assert r.places[0].name == "Baku" and r.places[0].country == "AZ"


def test_dateline_with_iso_country(gaz):
    r = extract_places(gaz, Dateline(text="PARIS", place="Paris", country="FR"), None, "")
    assert r.countries == ["FR"]
    assert r.places[0].name == "Paris"


def test_country_of(gaz):
    assert gaz.country_of("Azerbaijan") == "AZ"
    assert gaz.country_of("az") == "AZ"
    assert gaz.country_of("Azerbaijani") == "AZ"
    assert gaz.country_of("United States") == "US"
    assert gaz.country_of("Narnia") is None


def test_salience_order(gaz):
    text = "France said. France agreed. Germany noted. France again."
    assert countries(gaz, text)[:2] == ["FR", "DE"]
