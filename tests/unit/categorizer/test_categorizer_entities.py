"""People and organisations heuristics."""

from __future__ import annotations

from services.categorizer.entities import extract_entities

COMMON = frozenset(
    {
        "the",
        "said",
        "met",
        "with",
        "on",
        "minister",
        "general",
        "defense",
        "president",
        "while",
        "then",
        "trend",
        "military",
        "committee",
        "later",
        "officials",
        "team",
        "agreed",
        "arrived",
    }
)


def ents(*texts, place_words=frozenset(), title=""):
    return extract_entities((title, *texts), set(place_words), COMMON)


def test_title_cue_and_speech_verb():
    e = ents(
        "Prime Minister Jane Holloway met Foreign Secretary Tom Baxter on Monday.",
        "Nobody knew, Anna Petrova said.",
    )
    assert "Jane Holloway" in e.people
    assert "Tom Baxter" in e.people
    assert "Anna Petrova" in e.people


def test_repeated_surname_without_cue():
    e = ents("Najmeddin Sadikov arrived. Sadikov spoke. Later Sadikov left.")
    assert e.people == ["Najmeddin Sadikov"]


def test_no_cue_no_person():
    assert ents("Golden Gate Bridge traffic was heavy.").people == []


def test_places_are_not_people():
    e = ents("President Azerbaijani Baku spoke.", place_words={"azerbaijani", "baku"})
    assert e.people == []


def test_organizations():
    e = ents(
        "The NATO Military Committee and the Ministry of Defense met the UN team.",
        "Officials of the World Bank and Gazprom Neft Company agreed.",
    )
    assert "NATO" in e.organizations
    assert "UN" in e.organizations
    assert "NATO Military Committee" in e.organizations
    assert "World Bank" in e.organizations
    assert "Gazprom Neft Company" in e.organizations


def test_all_caps_headline_ignored():
    assert ents("BAHIA COCOA REVIEW SAYS PRICES UP").organizations == []


def test_title_case_headline_gives_acronyms_only():
    e = ents("", title="Prime Minister Jane Holloway Meets NATO Chief In Brussels Today")
    assert e.people == []
    assert e.organizations == ["NATO"]


def test_possessives_and_non_person_names():
    e = ents(
        "Najmeddin Sadikov's visit went well, Sadikov said. Sadikov left.",
        "The Glass Steagall Act was debated, Steagall said.",
    )
    assert e.people == ["Najmeddin Sadikov"]
