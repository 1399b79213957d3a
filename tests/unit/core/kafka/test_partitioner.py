"""Batched keys and producer sends must land exactly where aiokafka's default partitioner puts them."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2

from services.core.kafka.clients import producer_kwargs
from services.core.kafka.partitioner import default_partitioner, group_by_partition, hash_partition, murmur2
from services.core.settings import KafkaSettings

KEYS = [f"b3:{band}:{n:016x}" for band in range(12) for n in range(0, 4000, 97)] + ["", "é", "story:x"]


def _random_bytes(rng: random.Random, length: int) -> bytes:
    """Full-range bytes (so 0x80-0xff, where a sign bug would show) or UTF-8 text of `length` bytes."""
    if rng.random() < 0.5:
        return rng.randbytes(length)
    text = "".join(rng.choice("abcXYZ09:/- éüжя北京🙂") for _ in range(length)).encode()
    return text[:length].ljust(length, b"~")


def _realistic_keys(rng: random.Random, count: int) -> list[bytes]:
    names = ["Valery Gerasimov", "Олаф Шольц", "Emmanuel Macron", "Kyiv", "北京市"]
    keys = []
    for i in range(count):
        kind = i % 3
        if kind == 0:
            keys.append(f"name:{rng.choice(names)}".encode())
        elif kind == 1:
            keys.append(f"band:{rng.randrange(32)}:{rng.getrandbits(32):08x}".encode())
        else:
            keys.append(str(uuid.UUID(int=rng.getrandbits(128))).encode())
    return keys


def test_murmur2_is_aiokafkas_for_every_length_0_to_200() -> None:
    rng = random.Random(20240611)
    for length in range(201):  # every remainder mod 4, tails of 0-3 bytes
        for _ in range(25):
            data = _random_bytes(rng, length)
            assert len(data) == length
            assert murmur2(data) == aiokafka_murmur2(data), (length, data)


def test_murmur2_is_aiokafkas_around_the_wide_paths_bounds_and_for_long_keys() -> None:
    # 16 and 259 bytes bound the lane-at-a-time path; longer keys go word by word again
    rng = random.Random(5)
    for length in [*range(12, 21), *range(252, 268), 300, 513, 1024, 4099]:
        for _ in range(10):
            data = _random_bytes(rng, length)
            assert murmur2(data) == aiokafka_murmur2(data), length


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00",
        b"\xff",
        b"\xff" * 3,
        b"\xff" * 4,
        b"\xff" * 7,
        b"\x80\x00\x00\x00",
        b"\x00" * 64,
        b"\xff" * 300,  # beyond the precompiled unpackers
        bytes(range(256)) * 3,
    ],
)
def test_murmur2_is_aiokafkas_at_the_edges(data: bytes) -> None:
    assert murmur2(data) == aiokafka_murmur2(data)


def test_murmur2_matches_kafkas_published_values() -> None:
    # org.apache.kafka.common.utils.UtilsTest#testMurmur2 (Java ints, here unsigned)
    cases = {
        b"21": -973932308,
        b"foobar": -790332482,
        b"a-little-bit-long-string": -985981536,
        b"a-little-bit-longer-string": -1486304829,
        b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
        b"abc": 479470107,
    }
    for data, java in cases.items():
        assert murmur2(data) == java & 0xFFFFFFFF, data


@pytest.mark.parametrize("data", [b"x3:ab", "name:Олаф Шольц".encode(), b"\xfe" * 301])
def test_murmur2_takes_other_bytes_like_keys(data: bytes) -> None:
    expected = aiokafka_murmur2(data)
    assert murmur2(bytearray(data)) == expected
    assert murmur2(memoryview(data)) == expected


def test_murmur2_is_aiokafkas_on_realistic_keys() -> None:
    for key in _realistic_keys(random.Random(7), 3000):
        assert murmur2(key) == aiokafka_murmur2(key), key


@pytest.mark.parametrize("partitions", [1, 3, 6, 12])
def test_hash_partition_is_the_default_partitioner_for_keyed_sends(partitions: int) -> None:
    every = list(range(partitions))
    for key in KEYS:
        raw = key.encode()
        assert hash_partition(raw, partitions) == DefaultPartitioner()(raw, every, every)


def test_hash_partition_remembers_each_key_per_partition_count() -> None:
    # cached: a key asked for again, under another partition count in between, still
    # gets what aiokafka picks for that count
    keys = _realistic_keys(random.Random(11), 200)
    for _ in range(2):
        for partitions in (6, 7, 12):
            every = list(range(partitions))
            for key in keys:
                assert hash_partition(key, partitions) == DefaultPartitioner()(key, every, every)
    assert hash_partition.cache_info().hits >= 2 * len(keys)


@pytest.mark.parametrize("partitions", [1, 2, 3, 6, 7, 12, 64])
def test_default_partitioner_picks_what_aiokafkas_picks_for_keyed_records(partitions: int) -> None:
    rng = random.Random(partitions)
    keys = _realistic_keys(rng, 600) + [_random_bytes(rng, rng.randrange(0, 120)) for _ in range(600)]
    every = list(range(partitions))
    shuffled = rng.sample(every, partitions)  # aiokafka passes list(set): order is not promised
    some = every[: max(1, partitions // 2)]  # availability must not matter for a keyed record
    seen = set()
    for key in keys:
        for all_partitions, available in ((every, every), (shuffled, some), (every, [])):
            chosen = default_partitioner(key, all_partitions, available)
            assert chosen == DefaultPartitioner()(key, all_partitions, available), (key, all_partitions)
            seen.add(chosen)
    assert seen == set(every)


@pytest.fixture
def global_random() -> Iterator[None]:
    """Both partitioners draw from the `random` module: seed it, and put its state back after."""
    state = random.getstate()
    yield
    random.setstate(state)


def test_default_partitioner_without_key_draws_like_aiokafka_from_available_partitions(
    global_random: None,
) -> None:
    every = list(range(12))
    available = [3, 7, 9]
    ours, theirs = [], []
    for seed in range(300):
        random.seed(seed)
        ours.append(default_partitioner(None, every, available))
        random.seed(seed)
        theirs.append(DefaultPartitioner()(None, every, available))
    assert ours == theirs
    assert set(ours) == set(available)  # random over all of them, never an unavailable one


def test_default_partitioner_without_key_or_available_partitions_draws_from_all(global_random: None) -> None:
    every = [0, 1, 2, 3, 4, 5]
    ours, theirs = [], []
    for seed in range(300):
        random.seed(seed)
        ours.append(default_partitioner(None, every, []))
        random.seed(seed)
        theirs.append(DefaultPartitioner()(None, every, []))
    assert ours == theirs
    assert set(ours) == set(every)


class _Metadata:
    """Just the two lookups AIOKafkaProducer._partition makes."""

    def __init__(self, partitions: set[int], available: set[int]) -> None:
        self.partitions, self.available = partitions, available

    def partitions_for_topic(self, topic: str) -> set[int]:
        return self.partitions

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return self.available


async def test_producers_built_from_producer_kwargs_partition_like_aiokafkas_default() -> None:
    kwargs: dict[str, Any] = producer_kwargs(KafkaSettings(compression="none"))
    assert kwargs["partitioner"] is default_partitioner
    ours = AIOKafkaProducer(**kwargs)
    stock = AIOKafkaProducer(**(kwargs | {"partitioner": DefaultPartitioner()}))
    try:
        for producer in (ours, stock):
            producer._metadata = _Metadata(set(range(6)), {1, 4})  # type: ignore[assignment]
        for key in _realistic_keys(random.Random(3), 300):
            picked = ours._partition("t", None, None, None, key, None)
            assert picked == stock._partition("t", None, None, None, key, None)
            assert picked == hash_partition(key, 6)
        assert {ours._partition("t", None, None, None, None, None) for _ in range(200)} == {1, 4}
    finally:
        await ours.stop()
        await stock.stop()


def test_group_by_partition_keeps_each_item_with_its_keys_partition_in_order() -> None:
    items = [(key, (i, key)) for i, key in enumerate(KEYS)]
    groups = group_by_partition(items, 6)
    assert sorted(x for group in groups.values() for x in group) == sorted(item for _, item in items)
    for partition, group in groups.items():
        assert all(hash_partition(key.encode(), 6) == partition for _, key in group)
        assert [i for i, _ in group] == sorted(i for i, _ in group)
    assert len(groups) == 6  # 500 keys spread over every partition


def test_group_by_partition_uses_the_default_partitioner_for_utf8_keys() -> None:
    keys = [k.decode() for k in _realistic_keys(random.Random(11), 300)]
    every = list(range(7))
    groups = group_by_partition(((key, key) for key in keys), 7)
    for partition, group in groups.items():
        for key in group:
            assert DefaultPartitioner()(key.encode(), every, every) == partition, key
