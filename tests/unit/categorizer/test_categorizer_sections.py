"""Publisher section -> IPTC mapping table."""

from __future__ import annotations

import json

import pytest

from services.categorizer.exceptions import SectionTableError
from services.categorizer.pipeline import Categorizer
from services.categorizer.sections import SectionTable, normalize_section
from services.categorizer.taxonomy import load_taxonomy
from services.core.models import LinkItem
from tests.unit.categorizer.categorizer_helpers import make_article

ECONOMY = "medtop:04000000"


@pytest.fixture(scope="module")
def table():
    return SectionTable.load(taxonomy=load_taxonomy())


def test_normalize():
    assert normalize_section("Oil&Gas") == "oil and gas"
    assert normalize_section(" Sci/Tech ") == "sci tech"
    assert normalize_section("WORLD  News") == "world news"


@pytest.mark.parametrize(
    ("section", "code"),
    [
        ("Politics", "medtop:11000000"),
        ("Oil&Gas", "medtop:20001243"),
        ("Business", ECONOMY),
        ("Sport", "medtop:15000000"),
        ("Sports News", "medtop:15000000"),
        ("news/politics", "medtop:11000000"),
        ("Health", "medtop:07000000"),
        ("Weather", "medtop:17000000"),
    ],
)
def test_lookup(table, section, code):
    assert table.lookup(section)[0] == code


def test_oil_and_gas_is_economy_energy():
    tax = load_taxonomy()
    code = SectionTable.load().lookup("Oil&Gas")[0]
    assert tax.ancestor(code, 1) == ECONOMY
    assert "energy" in tax.label(tax.ancestor(code, 3))


def test_known_topicless_and_unknown(table):
    assert table.lookup("Turkey") == (None, 0.0)
    assert table.lookup("Latest") == (None, 0.0)
    assert table.lookup("Zzyzx") is None
    assert table.lookup(None) is None


def test_every_code_in_shipped_table_is_in_taxonomy():
    tax = load_taxonomy()
    for code, weight in SectionTable.load().entries.values():
        assert code is None or code in tax.concepts
        assert 0.0 <= weight <= 1.0


def test_own_section_evidence(table):
    ev = table.evidence(make_article("x", section="Economy"))
    assert ev.code == "medtop:20000344" and ev.source == "section" and ev.weight == 1.0


def test_related_majority_and_latest_ignored(table):
    rel = [
        LinkItem(title="a", section="Politics"),
        LinkItem(title="b", section="Politics"),
        LinkItem(title="c", section="Turkey"),
        LinkItem(title="d", section="Economy"),
    ]
    ev = table.evidence(make_article("x", related=rel))
    assert ev.code == "medtop:11000000" and ev.source == "related" and 0 < ev.weight < 1
    latest = [LinkItem(title="a", section="Sport")] * 5
    assert table.evidence(make_article("x", latest=latest)) is None


def test_no_majority_no_evidence(table):
    rel = [LinkItem(title="a", section="Politics"), LinkItem(title="b", section="Sport")]
    assert table.evidence(make_article("x", related=rel)) is None


def test_override_and_extend(tmp_path):
    own = tmp_path / "own.json"
    own.write_text(json.dumps({"sections": {"Kultur": "medtop:01000000"}}))
    t = SectionTable.load(own, taxonomy=load_taxonomy())
    assert t.lookup("Kultur")[0] == "medtop:01000000"
    assert t.lookup("Politics") is None  # replaced the shipped table
    ext = tmp_path / "ext.json"
    ext.write_text(json.dumps({"extends_default": True, "sections": {"Kultur": "medtop:01000000"}}))
    t = SectionTable.load(ext)
    assert t.lookup("Kultur")[0] == "medtop:01000000"
    assert t.lookup("Politics")[0] == "medtop:11000000"


@pytest.mark.parametrize(
    "payload",
    [
        {"sections": {"X": "medtop:99999999"}},
        {"sections": {"X": 3}},
        {"nope": 1},
        {"sections": {"X": {"code": "medtop:11000000", "weight": 2}}},
    ],
)
def test_bad_tables(tmp_path, payload):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(payload))
    with pytest.raises(SectionTableError):
        SectionTable.load(p, taxonomy=load_taxonomy())


def test_strong_section_informs_topics():
    cat = Categorizer.load()
    text = "The committee met on Tuesday to review the annual figures and plans."
    plain = dict(cat.topic_distribution(make_article(text))[0])
    sport = dict(cat.topic_distribution(make_article(text, section="Sport"))[0])
    assert sport["medtop:15000000"] > plain["medtop:15000000"] + 0.3
    out = cat.categorize(make_article(text, section="Sport"))
    assert out.section_topic == "medtop:15000000"
    assert out.topics[0].code == "medtop:15000000"


def test_section_table_path_argument(tmp_path):
    p = tmp_path / "t.json"
    p.write_text(json.dumps({"sections": {"Motoring": "medtop:20000296"}}))
    cat = Categorizer.load(section_table=p)
    out = cat.categorize(make_article("New electric models shown", section="Motoring"))
    assert out.section_topic == "medtop:20000296"


def test_non_english_section_names():
    t = SectionTable.load()
    assert t.lookup("Économie")[0] == "medtop:20000344"
    assert t.lookup("Politik")[0] == "medtop:11000000"


def test_foreign_language_article_trusts_section_more():
    cat = Categorizer.load()
    text = "Der Bundestag hat am Donnerstag über den Haushalt beraten."
    de = make_article(text, section="Wirtschaft", language="de")
    en = make_article(text, section="Wirtschaft", language="en")
    p_de = cat.topic_distribution(de)[0][ECONOMY]
    p_en = cat.topic_distribution(en)[0][ECONOMY]
    assert p_de > p_en
    assert cat.categorize(de).topics[0].code == ECONOMY
