"""Resume state for `newsflow ingest` and the `--rate` pacer."""

from pathlib import Path

from services.ingest.requests import new_ingest
from services.ingest.resume import FILE_NAME, SentLog, content_sha256
from services.ingest.throttle import Pacer


def test_sent_log_survives_restarts_per_api_and_ignores_a_torn_line(tmp_path: Path) -> None:
    log = SentLog(tmp_path, "http://127.0.0.1:8000/")
    sha = content_sha256("<p>a</p>")
    assert sha == new_ingest("<p>a</p>", "files").content_sha256  # matches the record on news.raw
    log.add(sha)
    log.add(sha)
    log.close()
    with (tmp_path / FILE_NAME).open("a") as handle:
        handle.write("deadbeef")  # a crash mid-line
    again = SentLog(tmp_path, "http://127.0.0.1:8000")
    assert sha in again and len(again) == 1
    again.close()
    other_api = SentLog(tmp_path, "http://staging:8000")
    assert sha not in other_api
    other_api.close()
    assert (tmp_path / FILE_NAME).read_text().count(sha) == 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_pacer_spaces_sends_evenly_whatever_the_concurrency() -> None:
    clock = FakeClock()
    pacer = Pacer(4.0, clock)
    waits = [pacer.reserve() for _ in range(8)]  # 8 workers asking at once
    assert waits == [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
    clock.now += 10  # idle time is not saved up into a burst
    assert pacer.reserve() == 0.0 and pacer.reserve() == 0.25


def test_no_rate_means_no_waiting() -> None:
    assert Pacer(0.0).reserve() == 0.0
