"""Read API core: parameter checks (400 with a reason), reads (404 for unknown ids)."""

from collections.abc import Callable

import msgspec
import pytest
from multidict import MultiDict

from services.sink import api
from services.sink.web import Reply
from tests.integration.sink.articles import synthetic
from tests.unit.sink.memory import MemorySink

NOW = "2026-03-01T12:00:00.000Z"


def latest_table(n: int = 30) -> dict[bytes, bytes]:
    sink = MemorySink(size=50)
    sink.feed(*synthetic(n))
    return sink.tables["latest"]


def getter(table: dict[bytes, bytes]) -> Callable[[bytes], bytes | None]:
    return lambda key: table.get(key)


def body(reply: Reply) -> dict:  # type: ignore[type-arg]
    return msgspec.json.decode(reply.body)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ({"limit": "0"}, "bad_limit"),
        ({"limit": "201"}, "bad_limit"),
        ({"limit": "x"}, "bad_limit"),
        ({"topic": "<script>"}, "bad_topic"),
        ({"country": "AZE"}, "bad_country"),
        ({"source": ""}, "bad_source"),
        ({"cursor": "yesterday"}, "bad_cursor"),
        ({"color": "red"}, "unknown_parameter"),
    ],
)
def test_bad_parameters_are_400_with_a_reason(query: dict[str, str], reason: str) -> None:
    parsed = api.parse_latest(MultiDict(query))
    assert isinstance(parsed, Reply) and parsed.status == 400
    assert body(parsed)["error"] == reason and body(parsed)["detail"]


def test_repeated_parameter_is_400() -> None:
    parsed = api.parse_latest(MultiDict([("topic", "medtop:11000000"), ("topic", "medtop:15000000")]))
    assert isinstance(parsed, Reply) and body(parsed)["error"] == "bad_topic"


def test_first_filter_picks_the_view_the_others_narrow_it() -> None:
    parsed = api.parse_latest(MultiDict({"country": "az", "topic": "medtop:11000000", "source": "Trend"}))
    assert isinstance(parsed, api.LatestQuery)
    assert parsed.view == "topic:medtop:11000000" and parsed.limit == api.DEFAULT_LIMIT
    table = latest_table()
    items = body(api.read_latest(getter(table), parsed))["articles"]
    assert items and all(i["source"] == "Trend" and "AZ" in i["countries"] for i in items)


def test_latest_pages_with_a_cursor_newest_first() -> None:
    table = latest_table()
    seen, cursor = [], None
    while True:
        query = {"limit": "7"} | ({"cursor": cursor} if cursor else {})
        parsed = api.parse_latest(MultiDict(query))
        assert isinstance(parsed, api.LatestQuery)
        page = body(api.read_latest(getter(table), parsed))
        seen += [a["published_at"] for a in page["articles"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 30 and seen == sorted(seen, reverse=True)


def test_unknown_view_is_an_empty_list_not_an_error() -> None:
    parsed = api.parse_latest(MultiDict({"country": "ZZ"}))
    assert isinstance(parsed, api.LatestQuery)
    assert body(api.read_latest(getter({}), parsed)) == {
        "view": "country:ZZ",
        "articles": [],
        "next_cursor": None,
    }


def test_unknown_ids_are_404_and_malformed_ids_400() -> None:
    empty = getter({})
    assert api.read_article(empty, "nope").status == 404
    assert api.read_related(empty, empty, "nope").status == 404
    assert api.read_story(empty, "nope").status == 404
    assert body(api.read_story(empty, "nope"))["error"] == "not_found"
    bad = api.check_id("article_id", "../etc/passwd")
    assert bad is not None and bad.status == 400


def test_related_of_a_known_article_without_list_is_empty() -> None:
    reply = api.read_related(getter({b"a": b"{}"}), getter({}), "a")
    assert reply.status == 200 and body(reply) == {
        "schema_version": 1,
        "id": "a",
        "updated_at": None,
        "related": [],
    }
