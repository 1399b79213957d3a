"""What a sink answers, as one comparable value: views, articles, related lists, stories."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.integration.sink.support import get

VIEWS = [{}, {"topic": "medtop:11000000"}, {"country": "GB"}, {"source": "DW"}, {"section": "health"}]


def answers(base: str, ids: list[str], stories: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for params in VIEWS:
        body = get(f"{base}/v1/latest", limit=200, **params).json()
        out[f"latest {params}"] = [(a["id"], a["version"], a["title"]) for a in body.get("articles", [])]
    for article_id in ids:
        article = get(f"{base}/v1/articles/{article_id}")
        out[f"article {article_id}"] = (article.status_code, hashlib.sha1(article.content).hexdigest())
        related = get(f"{base}/v1/articles/{article_id}/related")
        out[f"related {article_id}"] = (related.status_code, related.json().get("related"))
    for story in stories:
        body = get(f"{base}/v1/stories/{story}").json()
        out[f"story {story}"] = [a["id"] for a in body.get("articles", [])]
    return out
