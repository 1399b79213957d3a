"""metrics.child: the labelled child prometheus_client would return, looked up once."""

from __future__ import annotations

from prometheus_client import REGISTRY

from services.core import metrics


def test_child_counts_into_the_exported_series() -> None:
    labels = {"stage": "child-test", "topic": "child-topic"}
    before = REGISTRY.get_sample_value("newsflow_messages_in_total", labels) or 0.0
    metrics.child(metrics.MESSAGES_IN, "child-test", "child-topic").inc()
    metrics.child(metrics.MESSAGES_IN, "child-test", "child-topic").inc(2)
    assert REGISTRY.get_sample_value("newsflow_messages_in_total", labels) == before + 3
    assert metrics.child(metrics.MESSAGES_IN, "child-test", "child-topic") is metrics.MESSAGES_IN.labels(
        "child-test", "child-topic"
    )


def test_children_of_different_labels_or_metrics_stay_apart() -> None:
    a = metrics.child(metrics.MESSAGES_OUT, "child-test", "x")
    b = metrics.child(metrics.MESSAGES_OUT, "child-test", "y")
    c = metrics.child(metrics.MESSAGES_IN, "child-test", "x")
    assert len({id(a), id(b), id(c)}) == 3
