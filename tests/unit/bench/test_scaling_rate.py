"""The scaling bench's rate leaves start-up out and refuses to guess from too few samples."""

from tests.bench.scaling import rate_between


def test_rate_is_taken_between_10_and_90_percent_of_the_outputs() -> None:
    # nothing for 5 s (start-up), then 10 outputs per second
    samples = [(float(t), 0) for t in range(6)] + [(5.0 + t, 10 * t) for t in range(1, 11)]
    assert rate_between(samples, 100) == 10.0


def test_outputs_in_too_few_batches_give_no_rate() -> None:
    assert rate_between([(0.0, 0), (1.0, 100)], 100) is None
    assert rate_between([(0.0, 0), (1.0, 50)], 100) is None  # never reached 90 %
