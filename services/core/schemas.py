"""Load the JSON Schemas in schemas/ and validate messages against them.

The schemas are the public contract. They ship inside the package (a copy is made at
build time by setuptools' data files) and are read from the repository checkout when
running from source, so tests validate against exactly the files consumers read.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import orjson
from jsonschema import Draft202012Validator

from services.core.exceptions import NewsflowError

SCHEMA_NAMES = ("raw_article", "article", "dlq_record", "latest", "related")


class SchemaViolation(NewsflowError):
    """A message that does not follow its topic's schema."""


def schema_dir() -> Path:
    """schemas/ beside the package (source checkout) or inside it (installed wheel)."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[2] / "schemas", here.parent / "schemas"):
        if candidate.is_dir():
            return candidate
    raise NewsflowError("schemas/ directory not found")


@functools.cache
def validator(name: str) -> Draft202012Validator:
    schema = orjson.loads((schema_dir() / f"{name}.json").read_bytes())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def errors(name: str, message: Any) -> list[str]:
    """Human-readable violations of `message` (decoded JSON) against schema `name`."""
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in validator(name).iter_errors(message)
    ]


def validate(name: str, message: Any) -> None:
    found = errors(name, message)
    if found:
        raise SchemaViolation(f"{name}: " + "; ".join(found[:5]))
