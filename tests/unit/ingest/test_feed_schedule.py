"""Poll and retry schedules: jitter stays in bounds, failures back off, retries never fire at once."""

import random

from services.ingest.feeds.schedule import first_delay, jittered, poll_delay, retry_delay


def test_jitter_stays_within_the_fraction_and_varies() -> None:
    rng = random.Random(1)
    values = [jittered(100.0, 0.1, rng) for _ in range(500)]
    assert all(90.0 <= v <= 110.0 for v in values)
    assert len({round(v, 3) for v in values}) > 400  # not lock-step
    assert jittered(100.0, 0.0, rng) == 100.0


def test_first_polls_are_staggered_over_a_fraction_of_the_interval() -> None:
    rng = random.Random(2)
    assert all(0.0 <= first_delay(300.0, 0.1, rng) <= 30.0 for _ in range(200))


def test_failing_feeds_back_off_exponentially_up_to_a_cap_and_reset() -> None:
    rng = random.Random(3)
    nominal = [poll_delay(60.0, failures, 0.0, rng) for failures in range(6)]
    assert nominal == [60.0, 120.0, 240.0, 480.0, 480.0, 480.0]
    assert poll_delay(60.0, 10_000, 0.0, rng) == 480.0  # no overflow for a feed dead for months
    assert 54.0 <= poll_delay(60.0, 0, 0.1, rng) <= 66.0


def test_retry_delays_use_equal_jitter_and_a_cap() -> None:
    rng = random.Random(4)
    for attempt, nominal in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (10, 10.0)]:
        for _ in range(100):
            assert nominal / 2 <= retry_delay(attempt, 0.5, 10.0, rng) <= nominal
