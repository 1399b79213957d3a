"""The sink's read API: parse and check the request, read one table key, reply JSON.

Parsing and reading are pure functions over a table `get` (unit-tested without faust);
`add_routes` only wires them to faust pages and to the owner routing of
services.sink.web, so any sink worker answers any key. Errors are
{"error": reason, "detail": sentence}: 400 for bad parameters, 404 for unknown ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import faust
import msgspec
from aiohttp import web

from services.core.models import SCHEMA_VERSION, RelatedItem
from services.sink import views
from services.sink.handlers import decode_summaries, decode_view
from services.sink.web import LONGER, SHORT, Reply, error, json_reply, respond, routed

Get = Callable[[bytes], bytes | None]

MAX_LIMIT = 200
DEFAULT_LIMIT = 20
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:~-]{0,255}$"
TOPIC_PATTERN = r"^[a-z][a-z0-9]*:[A-Za-z0-9_-]{1,64}$"
COUNTRY_PATTERN = r"^[A-Za-z]{2}$"
NAME_PATTERN = r"^[^\x00-\x1f\x7f]{1,200}$"
CURSOR_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z\|[A-Za-z0-9][A-Za-z0-9._:~-]{0,255}$"
LATEST_PARAMS = {
    "topic": TOPIC_PATTERN,
    "country": COUNTRY_PATTERN,
    "source": NAME_PATTERN,
    "section": NAME_PATTERN,
    "cursor": CURSOR_PATTERN,
    "limit": r"^[0-9]{1,4}$",
}
_COMPILED = {name: re.compile(p) for name, p in LATEST_PARAMS.items()}
_ID = re.compile(ID_PATTERN)


class _Listed(msgspec.Struct):
    """What a read needs of a stored list: the news.related value the sink copies, or a
    related worker's own state (earlier sinks kept that in this table); both have these."""

    updated_at: str
    related: list[RelatedItem] = msgspec.field(default_factory=list)


_listed = msgspec.json.Decoder(_Listed)


@dataclass(frozen=True)
class LatestQuery:
    """The view to read (the first filter given) and the other filters to narrow it by."""

    view: str
    limit: int
    cursor: str | None
    narrow: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Tables:
    """What the API reads: faust tables (anything with .get) and the app for routing."""

    app: faust.App
    articles: Any
    latest: Any
    stories: Any
    related: Any


def only_params(query: Mapping[str, str], allowed: set[str]) -> Reply | None:
    unknown = sorted(set(query) - allowed)
    if unknown:
        return error(400, "unknown_parameter", f"unknown parameter(s): {', '.join(unknown)}")
    return None


def parse_latest(query: Any) -> LatestQuery | Reply:
    """A LatestQuery, or the 400 reply that says which parameter is wrong and why."""
    bad = only_params(query, set(LATEST_PARAMS))
    if bad:
        return bad
    for name, pattern in _COMPILED.items():
        values = query.getall(name, []) if hasattr(query, "getall") else [query[name]] * (name in query)
        if len(values) > 1:
            return error(400, f"bad_{name}", f"give {name} at most once")
        if values and not pattern.fullmatch(values[0]):
            return error(400, f"bad_{name}", f"{name} must match {LATEST_PARAMS[name]}")
    given = [(k, query[k]) for k in views.FILTERS if k in query]
    limit = int(query.get("limit", DEFAULT_LIMIT))
    if not 1 <= limit <= MAX_LIMIT:
        return error(400, "bad_limit", f"limit must be between 1 and {MAX_LIMIT}")
    view = views.view_key(*given[0]) if given else views.OVERALL
    return LatestQuery(view, limit, query.get("cursor"), tuple(given[1:]))


def check_id(kind: str, value: str) -> Reply | None:
    if not _ID.fullmatch(value):
        return error(400, f"bad_{kind}", f"{kind} must match {ID_PATTERN}")
    return None


def read_latest(get: Get, q: LatestQuery) -> Reply:
    items = [i for i in decode_view(get(q.view.encode())) if views.matches(i, q.narrow)]
    chosen, cursor = views.page(items, q.limit, q.cursor)
    return json_reply({"view": q.view, "articles": chosen, "next_cursor": cursor})


def read_article(get: Get, article_id: str) -> Reply:
    data = get(article_id.encode())
    if data is None:
        return error(404, "not_found", f"no article with id {article_id}")
    return Reply(200, data, LONGER)


def read_related(articles: Get, related: Get, article_id: str) -> Reply:
    """The list; an article without one yet has an empty list; an unknown id is a 404."""
    stored = related(article_id.encode())
    state = _listed.decode(stored) if stored else None
    if state is None and articles(article_id.encode()) is None:
        return error(404, "not_found", f"no article with id {article_id}")
    return json_reply(
        {
            "schema_version": SCHEMA_VERSION,
            "id": article_id,
            "updated_at": state.updated_at if state else None,
            "related": state.related if state else [],
        }
    )


def read_story(get: Get, story_id: str) -> Reply:
    items = decode_summaries(get(story_id.encode()))
    if not items:
        return error(404, "not_found", f"no story with id {story_id}")
    return json_reply({"story_id": story_id, "count": len(items), "articles": items}, SHORT)


def add_routes(tables: Tables) -> None:
    app = tables.app

    @app.page("/v1/latest", name="latest")
    async def latest(self: Any, request: Any) -> Any:
        query = parse_latest(request.query)
        if isinstance(query, Reply):
            return await routed_error(app, request, query)
        return await routed(
            app, "latest", query.view.encode(), request, lambda: read_latest(tables.latest.get, query)
        )

    async def by_id(request: Any, param: str, value: str, table: str, local: Callable[[], Reply]) -> Any:
        """The id routes: no query parameters, a valid id, read on the key's owner."""
        bad = only_params(request.query, set()) or check_id(param, value)
        if bad:
            return await routed_error(app, request, bad)
        return await routed(app, table, value.encode(), request, local)

    @app.page("/v1/articles/{article_id}", name="article")
    async def article(self: Any, request: Any, article_id: str) -> Any:
        local = lambda: read_article(tables.articles.get, article_id)  # noqa: E731
        return await by_id(request, "article_id", article_id, "articles", local)

    @app.page("/v1/articles/{article_id}/related", name="related")
    async def related(self: Any, request: Any, article_id: str) -> Any:
        local = lambda: read_related(tables.articles.get, tables.related.get, article_id)  # noqa: E731
        return await by_id(request, "article_id", article_id, "related", local)

    @app.page("/v1/stories/{story_id}", name="story")
    async def story(self: Any, request: Any, story_id: str) -> Any:
        local = lambda: read_story(tables.stories.get, story_id)  # noqa: E731
        return await by_id(request, "story_id", story_id, "stories", local)


async def routed_error(app: faust.App, request: web.Request, reply: Reply) -> web.Response:
    """A 400 needs no table: answered here, never forwarded."""
    return respond(request, reply, str(app.conf.canonical_url))
