"""The Kafka runner's cluster ids: always a form the storage tool accepts."""

from __future__ import annotations

import base64

from tests.conftest import kafka_runner


def test_cluster_ids_never_start_with_a_dash_and_decode_to_16_bytes() -> None:
    ids = [kafka_runner._cluster_id() for _ in range(3000)]  # ~47 would start with "-" unguarded
    assert not [i for i in ids if i.startswith("-")]
    assert all(len(i) == 22 and len(base64.urlsafe_b64decode(i + "==")) == 16 for i in ids)
    assert len(set(ids)) == len(ids)
