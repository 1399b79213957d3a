"""The two latency runs' rates and the percentile helper of the bench."""

from __future__ import annotations

from tests.bench.latency import LatencyRun, RatePlan, pct, plan_rates
from tests.bench.report import format_latency


def test_second_run_is_80_percent_of_saturation() -> None:
    fixed, second = plan_rates(50.0, 200.0, cap=400.0)
    assert fixed == RatePlan("50/s", 50.0)
    assert second == RatePlan("80% of saturation", 160.0)
    assert (fixed.describe(), second.describe()) == ("50/s", "160/s (80% of saturation)")


def test_80_percent_is_capped_and_says_so() -> None:
    second = plan_rates(50.0, 1000.0, cap=400.0)[1]
    assert second.rate == 400.0
    assert second.note == "80% of saturation is 800.0/s, capped at 400/s"


def test_80_percent_below_the_fixed_rate_still_runs_and_says_so() -> None:
    second = plan_rates(50.0, 40.0, cap=400.0)[1]
    assert second.rate == 32.0
    assert second.note == "80% of saturation (32.0/s) is below the fixed rate of 50/s"
    assert plan_rates(50.0, 0.0, cap=400.0)[1].rate == 1.0  # never a zero-rate run


def test_pct_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert pct(values, 0.50) == 51.0
    assert pct(values, 0.95) == 96.0
    assert pct(values, 0.99) == 100.0
    assert pct([], 0.5) is None


def test_summary_has_every_figure() -> None:
    run = LatencyRun(RatePlan("50/s", 50.0), sent=4, failed=1, on_articles=4, posted_per_s=49.5)
    run.points = [(0.0, 10.0), (0.02, 20.0), (0.04, 30.0), (0.06, 40.0)]
    summary = run.summary()
    assert summary["samples"] == 4
    assert (summary["p50"], summary["p95"], summary["p99"], summary["mean"]) == (30.0, 40.0, 40.0, 25.0)
    assert summary["failed_posts"] == 1


def test_summary_splits_the_latency_at_news_articles() -> None:
    run = LatencyRun(RatePlan("50/s", 50.0), sent=2, failed=0, on_articles=2, posted_per_s=50.0)
    run.points, run.to_articles, run.in_sink = [(0.0, 300.0), (0.02, 900.0)], [100.0, 150.0], [200.0, 750.0]
    summary = run.summary()
    assert summary["to_news_articles"] == {"p50": 150.0, "p99": 150.0}
    assert summary["in_sink"] == {"p50": 750.0, "p99": 750.0}
    assert "news.articles->listed p50 750.0" in format_latency(summary)
