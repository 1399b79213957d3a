"""OpenAPI 3.1 description of the sink's HTTP interface, served at /openapi.json.

Built from the same msgspec models the API encodes and the same parameter patterns the
API checks (services.sink.api), so the document cannot drift from the behaviour;
tests run schemathesis against a live sink with it.
"""

from __future__ import annotations

from typing import Any

import msgspec

from services import __version__
from services.core.models import Article, ArticleSummary, RelatedItem
from services.sink import api

REF = "#/components/schemas/{name}"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(name=name)}


def _string(pattern: str, description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": pattern, "description": description}


HEADERS = {
    "ETag": {
        "description": "Strong validator of the body; send it back in If-None-Match.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {"description": "How long the body may be reused.", "schema": {"type": "string"}},
}


def _json(schema: dict[str, Any], description: str, headers: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        out["headers"] = HEADERS
    return out


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "A parameter is missing, repeated, unknown or malformed; `error` names it.",
        404: "No such id.",
        503: "Partitions are moving between workers or not assigned yet; retry (Retry-After).",
    }
    return {str(c): _json(_ref("Error"), text[c]) for c in codes}


def _get(
    op: str, summary: str, ok: dict[str, Any], params: list[dict[str, Any]], *codes: int
) -> dict[str, Any]:
    responses = {
        "200": ok,
        "304": {"description": "Not modified (If-None-Match matched).", "headers": HEADERS},
    }
    operation = {"operationId": op, "summary": summary, "parameters": params}
    return {"get": operation | {"responses": responses | _errors(*codes)}}


def _links(body_path: str) -> dict[str, Any]:
    """OpenAPI links: ids in a response feed the article/related/story operations."""
    article = {"article_id": f"$response.body#{body_path}/id"}
    return {
        "GetArticle": {"operationId": "getArticle", "parameters": article},
        "GetRelated": {"operationId": "getRelated", "parameters": article},
        "GetStory": {
            "operationId": "getStory",
            "parameters": {"story_id": f"$response.body#{body_path}/story_id"},
        },
    }


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _path(name: str, description: str) -> dict[str, Any]:
    schema = _string(api.ID_PATTERN, description)
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


def _schemas() -> dict[str, Any]:
    _, components = msgspec.json.schema_components([Article, ArticleSummary, RelatedItem], ref_template=REF)
    item_list = {"type": "array", "items": _ref("ArticleSummary")}
    return components | {
        "Error": {
            "type": "object",
            "required": ["error", "detail"],
            "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
        },
        "LatestPage": {
            "type": "object",
            "required": ["view", "articles", "next_cursor"],
            "properties": {
                "view": {"type": "string", "description": "View key, e.g. `all`, `topic:medtop:11000000`."},
                "articles": item_list,
                "next_cursor": {
                    "type": ["string", "null"],
                    "description": "Give as `cursor` for the next page.",
                },
            },
        },
        "RelatedPage": {
            "type": "object",
            "required": ["schema_version", "id", "updated_at", "related"],
            "properties": {
                "schema_version": {"type": "integer"},
                "id": {"type": "string"},
                "updated_at": {
                    "type": ["string", "null"],
                    "description": "null until a first related article.",
                },
                "related": {"type": "array", "items": _ref("RelatedItem"), "maxItems": 1000},
            },
        },
        "Story": {
            "type": "object",
            "required": ["story_id", "count", "articles"],
            "properties": {
                "story_id": {"type": "string"},
                "count": {"type": "integer"},
                "articles": item_list,
            },
        },
    }


def _latest() -> dict[str, Any]:
    p = api.LATEST_PARAMS
    params = [
        _query("topic", _string(p["topic"], "IPTC media topic code"), "e.g. medtop:11000000"),
        _query("country", _string(p["country"], "ISO 3166-1 alpha-2"), "e.g. AZ"),
        _query("source", _string(p["source"], "publisher name"), "case-insensitive"),
        _query("section", _string(p["section"], "publisher section"), "case-insensitive"),
        _query(
            "limit", {"type": "integer", "minimum": 1, "maximum": api.MAX_LIMIT, "default": 20}, "page size"
        ),
        _query("cursor", _string(p["cursor"], "next_cursor of the previous page"), "keyset cursor"),
    ]
    ok = _json(_ref("LatestPage"), "Newest first by published_at.", headers=True)
    ok["links"] = _links("/articles/0")
    summary = "Latest articles overall or in one view"
    operation = _get("getLatest", summary, ok, params, 400, 503)
    operation["get"]["description"] = (
        "The first filter given (in the order topic, country, source, section) picks the view; "
        "the others narrow it, within that view's newest latest_size articles."
    )
    return operation


def _stream() -> dict[str, Any]:
    header = {
        "name": "Last-Event-ID",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "pattern": r"^\d{1,19}(\.\d{1,19})*$"},
        "description": "Resume after this event (an event id is a news.articles position).",
    }
    ok = {
        "description": "text/event-stream: `ready` then one `article` event (ArticleSummary JSON) per "
        "record on news.articles; ids are Kafka positions, valid on any worker.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
    return {
        "get": {
            "summary": "Server-sent events of new articles",
            "parameters": [header],
            "responses": {"200": ok} | _errors(400, 503),
        }
    }


def _plain(summary: str, media: str) -> dict[str, Any]:
    ok = {"description": summary, "content": {media: {"schema": {"type": "string"}}}}
    return {"get": {"summary": summary, "responses": {"200": ok}}}


def spec() -> dict[str, Any]:
    article_id = _path("article_id", "article id")
    health = {"type": "object", "properties": {"status": {"type": "string"}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "newsflow sink",
            "version": __version__,
            "description": "Latest, related and story views of news.articles. Any sink worker answers "
            "any key (it forwards to the owner). Errors are {error, detail}.",
        },
        "paths": {
            "/v1/latest": _latest(),
            "/v1/articles/{article_id}": _get(
                "getArticle",
                "One article (news.articles value)",
                _json(_ref("Article"), "The article.", True),
                [article_id],
                400,
                404,
                503,
            ),
            "/v1/articles/{article_id}/related": _get(
                "getRelated",
                "Related articles, best first",
                _json(_ref("RelatedPage"), "Up to related_k items.", True),
                [article_id],
                400,
                404,
                503,
            ),
            "/v1/stories/{story_id}": _get(
                "getStory",
                "Articles of one story, newest first",
                _json(_ref("Story"), "Members of the story.", True),
                [_path("story_id", "story id (dedupe.story_id)")],
                400,
                404,
                503,
            ),
            "/v1/stream": _stream(),
            "/healthz": {"get": {"summary": "Liveness", "responses": {"200": _json(health, "alive")}}},
            "/readyz": {
                "get": {
                    "summary": "Readiness: consuming and tables recovered",
                    "responses": {"200": _json(health, "ready"), "503": _json(health, "not ready")},
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1")},
                }
            },
            "/metrics": _plain("Prometheus metrics", "text/plain"),
            "/": _plain("The web page (HTML; its JS and CSS are under /static/)", "text/html"),
        },
        "components": {"schemas": _schemas()},
    }
