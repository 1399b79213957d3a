"""The OpenAPI document is 3.1, every $ref resolves, every route the API has is in it."""

from typing import Any

from jsonschema import Draft202012Validator

from services.sink import openapi


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def test_document_is_openapi_31_with_resolvable_refs_and_valid_schemas() -> None:
    spec = openapi.spec()
    assert spec["openapi"].startswith("3.1")
    schemas = spec["components"]["schemas"]
    for ref in refs(spec):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)
    assert {
        "/v1/latest",
        "/v1/articles/{article_id}",
        "/v1/articles/{article_id}/related",
        "/v1/stories/{story_id}",
        "/v1/stream",
        "/openapi.json",
        "/",
    } <= set(spec["paths"])
    ids = [
        op["operationId"] for path in spec["paths"].values() for op in path.values() if "operationId" in op
    ]
    assert len(ids) == len(set(ids))
