"""The sink's read API: each handler decodes the request, reads a table, encodes JSON.

Keys live on the worker that owns their partition; `_routed` forwards a request there
(faust's router) so any sink worker answers any key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import msgspec
from faust.exceptions import SameNode
from faust.web import Request, Response, View

from services.sink import views

if TYPE_CHECKING:
    from services.sink.app import SinkState

MAX_LIMIT = 200


def _bad(view: View, reason: str, detail: str, status: int = 400) -> Response:
    return view.json({"error": reason, "detail": detail}, status=status)


async def _routed(
    state: SinkState,
    table_name: str,
    key: bytes,
    view: View,
    request: Request,
    local: Callable[[], Awaitable[Response]],
) -> Response:
    try:
        return await state.app.router.route_req(table_name, key, view.web, request)
    except SameNode:
        return await local()


def _latest_key(request: Request) -> tuple[str | None, str | None]:
    """(view key, error) from the filter parameters; one filter at a time."""
    given = [(k, request.query[k]) for k in views.FILTERS if request.query.get(k)]
    if len(given) > 1:
        return None, "give at most one of topic, country, source, section"
    if not given:
        return views.OVERALL, None
    kind, value = given[0]
    return views.view_key(kind, value), None


def add_routes(state: SinkState) -> None:
    app = state.app
    from services.sink.app import decode_summaries

    @app.page("/v1/latest")
    async def latest(self: View, request: Request) -> Response:
        key, error = _latest_key(request)
        if key is None:
            return _bad(self, "bad_filter", error or "")
        try:
            limit = int(request.query.get("limit", "20"))
        except ValueError:
            return _bad(self, "bad_limit", "limit must be an integer")
        if not 1 <= limit <= MAX_LIMIT:
            return _bad(self, "bad_limit", f"limit must be between 1 and {MAX_LIMIT}")

        async def local() -> Response:
            items = decode_summaries(state.latest.get(key.encode()))
            chosen, cursor = views.page(items, limit, request.query.get("cursor"))
            return self.json({"view": key, "articles": msgspec.to_builtins(chosen), "next_cursor": cursor})

        return await _routed(state, "latest", key.encode(), self, request, local)

    @app.page("/v1/articles/{article_id}")
    async def article(self: View, request: Request, article_id: str) -> Response:
        async def local() -> Response:
            data = state.articles.get(article_id.encode())
            if data is None:
                return _bad(self, "not_found", f"no article with id {article_id}", 404)
            return self.bytes(data, content_type="application/json")

        return await _routed(state, "articles", article_id.encode(), self, request, local)

    @app.page("/v1/articles/{article_id}/related")
    async def related(self: View, request: Request, article_id: str) -> Response:
        async def local() -> Response:
            if state.articles.get(article_id.encode()) is None:
                return _bad(self, "not_found", f"no article with id {article_id}", 404)
            return self.json({"id": article_id, "related": []})

        return await _routed(state, "articles", article_id.encode(), self, request, local)
