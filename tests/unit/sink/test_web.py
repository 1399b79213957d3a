"""Replies: ETag on 200s, 304 on a matching If-None-Match, Cache-Control, JSON errors."""

from aiohttp.test_utils import make_mocked_request

from services.sink.web import SHORT, error, etag_of, json_reply, respond


def test_200_has_etag_and_cache_control_and_revalidates_to_304() -> None:
    reply = json_reply({"a": 1})
    first = respond(make_mocked_request("GET", "/v1/latest"), reply, "me")
    assert first.status == 200 and first.headers["Cache-Control"] == SHORT
    etag = first.headers["ETag"]
    assert etag == etag_of(reply.body)
    again = respond(
        make_mocked_request("GET", "/v1/latest", headers={"If-None-Match": f'W/{etag}, "x"'}), reply, "me"
    )
    assert again.status == 304 and again.headers["ETag"] == etag


def test_errors_are_not_cached_and_carry_no_etag() -> None:
    response = respond(make_mocked_request("GET", "/x"), error(404, "not_found", "no such id"), "me")
    assert response.status == 404 and response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers
    unavailable = respond(make_mocked_request("GET", "/x"), error(503, "rebalancing", "retry", 1), "me")
    assert unavailable.headers["Retry-After"] == "1"
