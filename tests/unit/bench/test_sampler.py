"""Reading the sampled series: peaks, last counter change, per-stage rates."""

from __future__ import annotations

from tests.bench.metrics import StageRate
from tests.bench.sampler import Sampler, Target


def sampler_with_series() -> Sampler:
    sampler = Sampler([Target("sink", pid=0, url="http://unused")])
    series = sampler.series["sink"]
    series.rss = [(1.0, 80.0), (2.0, 120.5), (3.0, 90.0)]
    series.counts["sink"] = [(1.0, 10.0), (2.0, 10.0), (3.0, 40.0), (4.0, 70.0), (5.0, 70.0)]
    return sampler


def test_peak_rss_within_a_window() -> None:
    sampler = sampler_with_series()
    assert sampler.peak_rss() == {"sink": 120.5}
    assert sampler.peak_rss(since=2.5) == {"sink": 90.0}


def test_last_change_is_when_the_counter_last_rose() -> None:
    sampler = sampler_with_series()
    assert sampler.last_change("sink") == 4.0
    assert sampler.last_change("deduper") == 0.0


def test_latest_is_the_last_sampled_count() -> None:
    sampler = sampler_with_series()
    assert sampler.latest("sink") == 70.0
    assert sampler.latest("deduper") is None


def test_stage_rates_stop_at_until() -> None:
    sampler = sampler_with_series()
    assert sampler.stage_rates(start=2.0, until=10.0) == {"sink": StageRate(60, 2.0)}
    assert sampler.stage_rates(start=2.0, until=3.5) == {"sink": StageRate(30, 1.0)}
