"""The feeds file: YAML or JSON, validated at start-up with a message naming the entry."""

from pathlib import Path

import pytest

from services.ingest.feeds.config import FeedConfigError, load_feeds, parse_feeds


def test_yaml_and_json_lists(tmp_path: Path) -> None:
    (tmp_path / "feeds.yaml").write_text(
        "- url: https://a.example/rss\n  interval_s: 60\n  source: Alpha\n  section: politics\n"
        "- url: https://b.example/atom.xml\n"
    )
    (tmp_path / "feeds.json").write_text('{"feeds": [{"url": "https://a.example/rss", "source": "Alpha"}]}')
    yaml_specs = load_feeds(tmp_path / "feeds.yaml")
    assert [(s.url, s.interval_s, s.source, s.section) for s in yaml_specs] == [
        ("https://a.example/rss", 60.0, "Alpha", "politics"),
        ("https://b.example/atom.xml", None, None, None),
    ]
    assert [s.name for s in yaml_specs] == ["Alpha", "b.example"]  # metric label: source, else host
    assert load_feeds(tmp_path / "feeds.json")[0].source == "Alpha"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"url": "ftp://a.example/x"}]', r"feed #1 \(url\).*http"),
        ('[{"url": "https://a.example/x", "colour": "red"}]', r"feed #1 \(colour\)"),
        ('[{"url": "https://a.example/x", "interval_s": 0}]', r"feed #1 \(interval_s\)"),
        ('[{"url": "https://a/x"}, {"url": "https://a/x"}]', "listed twice"),
        ('{"url": "https://a/x"}', "must hold a list"),
        ("[{", "not valid json"),
    ],
)
def test_bad_files_say_which_entry_and_why(text: str, message: str) -> None:
    with pytest.raises(FeedConfigError, match=message):
        parse_feeds(text, ".json")


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(FeedConfigError, match="cannot read"):
        load_feeds(tmp_path / "nope.yaml")
