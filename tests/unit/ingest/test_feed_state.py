"""Seen-state: survives a restart, counts failures, gives up, keeps validators."""

from pathlib import Path

from services.ingest.feeds.state import FeedState


def test_acked_items_and_validators_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "feeds" / "state.sqlite3"
    state = FeedState(path)
    state.mark_acked("https://a/1", "https://a/feed")
    state.save_validators("https://a/feed", '"v1"', "Thu, 02 May 2024 10:00:00 GMT")
    state.close()
    again = FeedState(path)
    assert again.done(["https://a/1", "https://a/2"]) == {"https://a/1"}
    assert again.validators("https://a/feed") == ('"v1"', "Thu, 02 May 2024 10:00:00 GMT")
    assert again.validators("https://b/feed") == (None, None)
    again.close()


def test_failures_are_retried_until_the_attempt_limit(tmp_path: Path) -> None:
    state = FeedState(tmp_path / "s.sqlite3")
    assert state.mark_failed("https://a/x", "f", "http_error", max_attempts=3) is False
    assert state.done(["https://a/x"]) == set()  # failed, not done: fetched again next poll
    assert state.mark_failed("https://a/x", "f", "timeout", max_attempts=3) is False
    assert state.mark_failed("https://a/x", "f", "timeout", max_attempts=3) is True
    assert state.status("https://a/x") == ("gave_up", 3)
    assert state.done(["https://a/x"]) == {"https://a/x"}
    assert state.mark_failed("https://a/gone", "f", "gone", max_attempts=3, permanent=True) is True
    state.mark_acked("https://a/x", "f")  # a later success wins
    assert state.counts() == {"acked": 1, "gave_up": 1}
    state.close()


def test_done_handles_more_urls_than_one_query_takes(tmp_path: Path) -> None:
    state = FeedState(tmp_path / "s.sqlite3")
    urls = [f"https://a/{n}" for n in range(1200)]
    for url in urls[::2]:
        state.mark_acked(url, "f")
    assert state.done(urls) == set(urls[::2])
    state.close()


def test_two_processes_may_share_the_file(tmp_path: Path) -> None:
    """The service and `newsflow ingest feed --once` open the same state."""
    one, two = FeedState(tmp_path / "s.sqlite3"), FeedState(tmp_path / "s.sqlite3")
    one.mark_acked("https://a/1", "f")
    assert two.done(["https://a/1"]) == {"https://a/1"}
    one.close()
    two.close()
