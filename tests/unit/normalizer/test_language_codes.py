"""detect_language returns ISO 639-1 codes only (schemas/article.json: ^[a-z]{2}$).

Regression (fuzz bug language-3-letter): py3langid also has 3-letter classes (`zxx` for
"no linguistic content", `yue`, `arz`, ...) and detect_language passed them through when
confident, so news.normalized carried schema-invalid articles.
"""

from __future__ import annotations

from typing import Any

import pytest

from services.normalizer import language
from services.normalizer.language import _identifier, classify, detect_language

IMAGE_CAPTION = (  # tests/fixtures/fuzz/normalizer--language-3-letter--image-url.bin
    "Photo: https://assets.orf.at/mims/2024/47/33/crops/w=640,h=448,q=90,r=2/2428990_master_928833_"
    "us_wahl_gaez_rueckzug_pd0380_p.jpg?s=a9b1bf13dcd17d2a0a2ffc51c051f35d454a3f84 2x"
)
CANTONESE = "廣東話係一種好多人講嘅語言，佢喺香港同澳門都係主要語言，你知唔知呀？我哋日日都講廣東話。"


def test_the_model_has_three_letter_classes_these_texts_hit() -> None:
    """The premise: without the fix these texts come back as `zxx` / `yue`, confidently."""
    assert classify(_identifier(), IMAGE_CAPTION) == ("zxx", pytest.approx(1.0, abs=1e-3))
    assert classify(_identifier(), CANTONESE)[0] == "yue"


@pytest.mark.parametrize("text", [IMAGE_CAPTION, CANTONESE])
def test_a_three_letter_detection_gives_the_declared_language_or_none(text: str) -> None:
    assert detect_language(text) is None
    assert detect_language(text, "de-AT") == "de"
    assert detect_language(text, "not a tag") is None


def _classified_as(monkeypatch: pytest.MonkeyPatch, code: str, prob: float) -> None:
    def fake(_identifier: Any, _text: str) -> tuple[str, float]:
        return code, prob

    monkeypatch.setattr(language, "classify", fake)


TEXT = "Words enough to be classified: the sample has to be longer than forty characters."


@pytest.mark.parametrize("code", ["zxx", "ace", "gom", "arz", "wuu"])
@pytest.mark.parametrize("prob", [0.3, 0.6, 0.99])
def test_no_three_letter_code_whatever_the_confidence(
    monkeypatch: pytest.MonkeyPatch, code: str, prob: float
) -> None:
    _classified_as(monkeypatch, code, prob)
    assert detect_language(TEXT) is None
    assert detect_language(TEXT, "fr") == "fr"


@pytest.mark.parametrize(
    ("code", "prob", "declared", "expected"),
    [
        ("fr", 0.99, None, "fr"),  # confident, nothing declared
        ("fr", 0.4, None, None),  # unsure, nothing declared
        ("fr", 0.99, "de", "fr"),  # confident detection beats the template's declaration
        ("fr", 0.8, "de", "de"),  # unsure: the declaration stands
        ("de", 0.3, "de", "de"),
    ],
)
def test_two_letter_results_are_unchanged(
    monkeypatch: pytest.MonkeyPatch, code: str, prob: float, declared: str | None, expected: str | None
) -> None:
    _classified_as(monkeypatch, code, prob)
    assert detect_language(TEXT, declared) == expected
