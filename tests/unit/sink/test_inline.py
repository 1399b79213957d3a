"""Which outputs a batch hands over inline, and where their rows go (services.sink.inline)."""

from services.core.kafka.partitioner import hash_partition
from services.core.streaming.stage import Output
from services.sink.inline import handed_over, owns_every_partition, split


def test_split_keeps_send_order_per_target_and_produces_the_rest() -> None:
    outputs = [
        Output("views", b"all", b"1", None, 0),
        Output("news.latest", b"all", b"L"),
        Output("stories", b"s1", b"2"),
        Output("views", b"topic:x", b"3", None, 2),
        Output("news.dlq", b"k", b"D"),
    ]
    produce, inline = split(outputs, {"views", "stories"}.__contains__)
    assert [o.value for o in produce] == [b"L", b"D"]
    assert {t: [o.value for o in outs] for t, outs in inline.items()} == {
        "views": [b"1", b"3"],
        "stories": [b"2"],
    }


def test_a_handed_over_message_lives_on_its_sent_partition_or_its_key_partition() -> None:
    explicit = handed_over(Output("views", b"all", b"v", None, 2), 6)
    assert (explicit.topic, explicit.partition, explicit.offset) == ("views", 2, None)
    assert (explicit.owner.message.topic, explicit.owner.message.partition) == ("views", 2)
    by_key = handed_over(Output("stories", b"story-9", b"v"), 6)
    assert by_key.partition == by_key.owner.message.partition == hash_partition(b"story-9", 6)


def test_owning_means_every_partition_of_that_topic_actively() -> None:
    actives = {("views", 0), ("views", 1), ("views", 2), ("stories", 0), ("news.articles", 1)}
    assert owns_every_partition(actives, "views", 3)
    assert not owns_every_partition(actives, "stories", 3)
    assert not owns_every_partition(actives, "views", 4)
    assert not owns_every_partition(set(), "views", 1)
