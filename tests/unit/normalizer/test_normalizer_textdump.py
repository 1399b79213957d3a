"""The text-dump rules on synthetic variants: other agencies, other chrome, other zones.

Each variant differs from the seed article in exactly the ways a general rule must cover,
so passing these shows the seed result is not an accident of Trend's layout.
"""

from __future__ import annotations

from tests.unit.normalizer.normalizer_helpers import P1, P2, norm

P3 = (
    "Analysts said the resumption was a sign that both sides wanted to avoid a new escalation "
    "before the end of the year."
)


def test_ap_style_inline_dateline_named_zone_and_other_chrome() -> None:
    dump = "\n".join(
        [
            "Home | World | Politics | Business",
            "Skip to content",
            "Talks to resume next week, officials say",
            "By Jane Doe and John Roe",
            "Nov. 26, 2019 2:49 PM EST",
            "Share on Facebook",
            "Share on Twitter",
            "",
            f"MEXICO CITY (AP) — {P1}",
            "",
            P2,
            "",
            "Advertisement",
            "",
            P3,
            "",
            "Subscribe to our newsletter",
            "Most read",
            "Storm batters the coast overnight",
            "18:20 | Weather",
            "Markets slip as oil prices rise",
            "17:05 | Business",
            "Copyright 2019 The Associated Press. All rights reserved.",
        ]
    )
    art = norm(dump)
    assert art.title == "Talks to resume next week, officials say"
    assert art.authors == ["Jane Doe", "John Roe"]
    assert art.published_at == "2019-11-26T19:49:00Z"
    assert art.published_offset == "-05:00"
    assert art.dateline is not None
    assert (art.dateline.place, art.dateline.country) == ("Mexico City", "MX")
    assert art.source.name == "AP"
    assert art.body == "\n\n".join([f"MEXICO CITY (AP) — {P1}", P2, P3])
    latest = [(i.title, i.section, i.published_at) for i in art.links.latest]
    assert latest == [
        ("Storm batters the coast overnight", "Weather", "2019-11-26T23:20:00Z"),
        ("Markets slip as oil prices rise", "Business", "2019-11-26T22:05:00Z"),
    ]
    assert art.links.related == []


def test_reuters_dateline_gmt_offset_and_read_also_list() -> None:
    dump = "\n".join(
        [
            "Britain and France agree new border deal (VIDEO)",
            "",
            "Tuesday, 26 November 2019 10:15 GMT+1",
            "",
            f"LONDON (Reuters) - {P1}",
            P2,
            "",
            "Read also:",
            "- Ministers meet in Paris to discuss migration",
            "- Border checks tightened ahead of summit",
            "",
            "Follow us on Instagram",
        ]
    )
    art = norm(dump)
    assert art.title == "Britain and France agree new border deal"
    assert art.media.video is True
    assert art.published_at == "2019-11-26T09:15:00Z"
    assert art.published_offset == "+01:00"
    assert art.dateline is not None and art.dateline.country == "GB"
    assert art.source.name == "Reuters"
    assert art.body == "\n\n".join([f"LONDON (Reuters) - {P1}", P2])
    assert [i.title for i in art.links.related] == [
        "Ministers meet in Paris to discuss migration",
        "Border checks tightened ahead of summit",
    ]


def test_afp_french_dateline_and_cet() -> None:
    dump = "\n".join(
        [
            "Le gouvernement annonce un nouveau plan pour l'énergie",
            "3 mars 2021 à 18h49 CET",
            "",
            "PARIS, 3 mars (AFP) - Le gouvernement a présenté mercredi un plan destiné à réduire "
            "la consommation d'énergie des bâtiments publics, a annoncé le ministère.",
            "",
            "Les mesures entreront en vigueur dès le mois prochain et concerneront l'ensemble des "
            "administrations, selon le communiqué publié par le ministère.",
            "Partager",
        ]
    )
    art = norm(dump)
    assert art.published_at == "2021-03-03T17:49:00Z"
    assert art.published_offset == "+01:00"
    assert art.dateline is not None and (art.dateline.place, art.dateline.country) == ("Paris", "FR")
    assert art.source.name == "AFP"
    assert art.language == "fr"
    assert "Partager" not in art.body


def test_repeated_chrome_lines_and_hard_wrapped_paragraphs() -> None:
    wrapped = (
        "Officials said on Monday that the talks would resume next week\n"
        "after a pause of several months, according to people familiar\n"
        "with the matter and two diplomats briefed on the plan."
    )
    dump = "\n".join(
        [
            "World news",
            "Trade talks set to resume after long pause",
            "World news",
            "26.11.2019 18:49",
            "",
            wrapped,
            "",
            P2,
            "",
            "World news",
            "Back to top",
        ]
    )
    art = norm(dump)
    assert art.title == "Trade talks set to resume after long pause"
    assert art.body.split("\n\n") == [" ".join(wrapped.split("\n")), P2]
    assert "publication time has no timezone; taken as UTC" in art.extraction.warnings


def test_source_hint_wins_and_caption_bullets_need_repetition() -> None:
    dump = "\n".join(
        [
            "Minister visits flood-hit region",
            "26 November 2019 18:49 (UTC+04:00)",
            "",
            P1,
            "",
            "Key facts:",
            "• The river rose by two metres overnight",
            "• Roads were closed",
            "",
            P2,
        ]
    )
    art = norm(dump, source="Example News")
    assert art.source.name == "Example News"
    assert art.media.photo_count == 0  # distinct bullets are content, not a gallery
    assert "• The river rose by two metres overnight" in art.body
