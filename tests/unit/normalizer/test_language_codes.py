"""detect_language returns ISO 639-1 codes only (schemas/article.json: ^[a-z]{2}$).

Regression (fuzz bug language-3-letter): the detector has classes outside ISO 639-1 and
detect_language once passed them through when confident, so news.normalized carried
schema-invalid articles. CLD2 has its own such codes (`haw`, `xx-Latn`, `zh-Hant`, `un`,
the withdrawn `iw` and `jw`), and it refuses some characters outright as invalid UTF-8.
"""

from __future__ import annotations

import re

import orjson
import pycld2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.normalizer import language
from services.normalizer.language import Detection, classify, detect_language

IMAGE_CAPTION = (  # tests/fixtures/fuzz/normalizer--language-3-letter--image-url.bin
    "Photo: https://assets.orf.at/mims/2024/47/33/crops/w=640,h=448,q=90,r=2/2428990_master_928833_"
    "us_wahl_gaez_rueckzug_pd0380_p.jpg?s=a9b1bf13dcd17d2a0a2ffc51c051f35d454a3f84 2x"
)
CANTONESE = "廣東話係一種好多人講嘅語言，佢喺香港同澳門都係主要語言，你知唔知呀？我哋日日都講廣東話。"
HEBREW = "ממשלת ישראל אישרה היום את התקציב החדש לשנה הבאה, לאחר דיון ארוך בכנסת ובוועדות השונות."
JAVANESE = "Basa Jawa iku basa kang dipigunakaké déning wong Jawa ing Jawa Tengah, Jawa Wétan lan Yogyakarta."
HAWAIIAN = "Ua mau ke ea o ka ʻāina i ka pono. ʻO ka ʻōlelo Hawaiʻi ka ʻōlelo makuahine o ko Hawaiʻi poʻe."
GERMAN = "Die Regierung hat am Montag einen neuen Plan vorgestellt, der die Energiepreise senken soll."
ISO_639_1 = re.compile(r"^[a-z]{2}$")


def test_every_code_cld2_can_return_maps_to_iso_639_1_or_nothing() -> None:
    for _, code in pycld2.LANGUAGES:
        iso = language._iso_codes().get(code)
        assert iso is None or ISO_639_1.match(iso), (code, iso)
    assert "xx-Latn" not in language._iso_codes() and "haw" not in language._iso_codes()


@pytest.mark.parametrize(
    ("text", "cld2_code", "expected"),
    [(HEBREW, "iw", "he"), (JAVANESE, "jw", "jv"), (CANTONESE, "zh-Hant", "zh"), (GERMAN, "de", "de")],
)
def test_cld2_codes_come_out_as_iso_639_1(text: str, cld2_code: str, expected: str) -> None:
    assert pycld2.detect(text, isPlainText=True)[2][0][1] == cld2_code  # the premise
    assert detect_language(text) == expected


def test_a_language_without_an_iso_639_1_code_gives_the_declared_language_or_none() -> None:
    assert pycld2.detect(HAWAIIAN, isPlainText=True)[2][0][1] == "haw"  # the premise
    assert detect_language(HAWAIIAN) is None
    assert detect_language(HAWAIIAN, "de-AT") == "de"
    assert detect_language(HAWAIIAN, "not a tag") is None


def test_no_linguistic_content_gives_the_declared_language() -> None:
    assert detect_language(IMAGE_CAPTION) is None
    assert detect_language(IMAGE_CAPTION, "de-AT") == "de"


@pytest.mark.parametrize("bad", ["\x00", "\x0b", "\x7f", "\x85", "\ud800", "\ufdd0", "\uffff", "\U0010ffff"])
def test_characters_cld2_refuses_are_dropped_not_fatal(bad: str) -> None:
    text = GERMAN.replace(" ", f" {bad}", 3)
    with pytest.raises((pycld2.error, UnicodeEncodeError)):
        pycld2.detect(text, isPlainText=True)  # the premise
    assert classify(text).code == "de"


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=600), st.one_of(st.none(), st.text(max_size=8)))
def test_any_text_gives_an_iso_code_or_none(text: str, declared: str | None) -> None:
    result = detect_language(text, declared)
    assert result is None or ISO_639_1.match(result)


def _classified_as(monkeypatch: pytest.MonkeyPatch, found: Detection) -> None:
    monkeypatch.setattr(language, "classify", lambda _text: found)


TEXT = "Words enough to be classified: the sample has to be longer than forty characters."


@pytest.mark.parametrize(
    ("found", "declared", "expected"),
    [
        (Detection("fr", True, 99), None, "fr"),  # reliable, nothing declared
        (Detection("fr", False, 67), None, "fr"),  # likely: names count as unknown text
        (Detection("fr", False, 40), None, None),  # unsure, nothing declared
        (Detection("fr", True, 99), "de", "fr"),  # reliable detection beats the template's declaration
        (Detection("fr", False, 80), "de", "de"),  # unreliable: the declaration stands
        (Detection("de", False, 30), "de", "de"),
        (Detection(None, True, 98), "fr", "fr"),  # a language outside ISO 639-1
        (Detection(None, True, 98), None, None),
        (Detection("no", True, 99), "nb", "nb"),  # CLD2 knows Norwegian, the page says Bokmål
        (Detection("hr", True, 95), "sr-Latn", "sr"),
        (Detection("id", True, 95), "ms", "ms"),
        (Detection("no", True, 99), "da", "no"),  # a neighbour, but another language
    ],
)
def test_detection_against_declaration(
    monkeypatch: pytest.MonkeyPatch, found: Detection, declared: str | None, expected: str | None
) -> None:
    _classified_as(monkeypatch, found)
    assert detect_language(TEXT, declared) == expected


def test_short_text_is_not_classified(monkeypatch: pytest.MonkeyPatch) -> None:
    _classified_as(monkeypatch, Detection("fr", True, 99))
    assert detect_language("short", "en-GB") == "en"
    assert detect_language("short") is None


FIXTURE_LANGUAGES = {  # the fixture pages' gold bodies, nothing declared
    "at/ORF_2024_11_22.html.gz": "de",
    "ch/SRF_2024_04_15.html.gz": "de",
    "cn/People_2024_04_24.html.gz": "zh",
    "es/LaVanguardia_2026_07_11.html.gz": "es",
    "fr/EuronewsFR_2024_04_30.html.gz": "fr",
    "it/CorriereDellaSera_2025_02_04.html.gz": "it",
    "jp/MainichiShimbun_2025_01_14.html.gz": "ja",
    "kr/MBN_2025_06_03.html.gz": "ko",
    "no/VerdensGang_2024_08_05.html.gz": "no",
    "pt/ThePortugalNews_2025_02_03.html.gz": "en",  # an English-language paper in Portugal
    "ru/Kommersant_2025_05_14.html.gz": "ru",
    "tr/NTVTR_2024_04_30.html.gz": "tr",
    "us/APNews_2023_04_28.html.gz": "en",
    "us/VoiceOfAmerica_2024_04_28.html.gz": "en",
}


def test_the_fixture_pages_languages() -> None:
    from tests.unit.normalizer.normalizer_helpers import FIXTURES

    expected = orjson.loads((FIXTURES / "normalizer" / "fundus" / "expected.json").read_bytes())
    assert sorted(expected) == sorted(FIXTURE_LANGUAGES)
    found = {name: detect_language(page["body"]) for name, page in expected.items()}
    assert found == FIXTURE_LANGUAGES
