"""The service starts the poller only when a feeds file is set, and refuses a bad one at build time."""

from pathlib import Path

import pytest

from services.core.settings import IngestSettings
from services.ingest.app import build
from services.ingest.feeds.config import FeedConfigError
from services.ingest.feeds.service import fetch_policy, state_path


def test_no_feeds_file_no_poller(tmp_path: Path) -> None:
    app = build(IngestSettings(data_dir=tmp_path))
    assert len(app.cleanup_ctx) == 1  # the producer only


def test_a_feeds_file_adds_the_poller(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("- url: https://news.example/rss\n  source: Example\n")
    settings = IngestSettings(data_dir=tmp_path, feeds_file=feeds, max_body_bytes=1_000_000)
    app = build(settings)
    assert len(app.cleanup_ctx) == 2
    assert state_path(settings) == tmp_path / "ingest" / "feeds" / "state.sqlite3"
    policy = fetch_policy(settings)
    assert not policy.allow_private and policy.max_bytes == 1_000_000  # never more than the API takes


def test_a_bad_feeds_file_stops_start_up(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.json"
    feeds.write_text('[{"url": "gopher://x"}]')
    with pytest.raises(FeedConfigError, match="feed #1"):
        build(IngestSettings(data_dir=tmp_path, feeds_file=feeds))


def test_feed_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSFLOW_FEEDS_FILE", "/etc/newsflow/feeds.yaml")
    monkeypatch.setenv("NEWSFLOW_FEEDS_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("NEWSFLOW_BACKFILL_RATE_PER_S", "5")
    settings = IngestSettings()
    assert settings.feeds_file == Path("/etc/newsflow/feeds.yaml") and settings.feeds_allow_private
    assert settings.backfill_rate_per_s == 5.0
