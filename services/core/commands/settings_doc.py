"""`newsflow settings [--markdown]`: every env var, its default and meaning, from the code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TextIO

from pydantic import BaseModel

from services.core.settings import SERVICE_SETTINGS


def _walk(model: type[BaseModel], prefix: str, defaults: Any) -> Iterator[tuple[str, str, str]]:
    for name, field in model.model_fields.items():
        default = getattr(defaults, name, field.default)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _walk(annotation, f"{prefix}{name.upper()}__", default)
            continue
        shown = (
            ""
            if default is None
            else str(default.get_secret_value() if hasattr(default, "get_secret_value") else default)
        )
        yield f"{prefix}{name.upper()}", shown, field.description or ""


def env_vars() -> dict[str, dict[str, tuple[str, str]]]:
    """service -> env var -> (default, description)."""
    return {
        service: {var: (default, doc) for var, default, doc in _walk(cls, "NEWSFLOW_", cls.model_construct())}
        for service, cls in SERVICE_SETTINGS.items()
    }


def _defaults(by_default: dict[str, list[str]]) -> str:
    """One default as is; several each with the services that have it (sorted by value)."""
    shown = {d: services for d, services in by_default.items() if d}
    if len(shown) <= 1:
        return " / ".join(f"`{d}`" for d in shown)
    return " / ".join(f"`{d}` ({', '.join(shown[d])})" for d in sorted(shown))


def run_settings(markdown: bool, out: TextIO) -> int:
    table = env_vars()
    if markdown:
        out.write("| variable | services | default | meaning |\n|---|---|---|---|\n")
        rows: dict[str, tuple[list[str], dict[str, list[str]], str]] = {}
        for service, entries in table.items():
            for var, (default, doc) in entries.items():
                row = rows.setdefault(var, ([], {}, doc))
                row[0].append(service)
                row[1].setdefault(default, []).append(service)
        for var, (services, defaults, doc) in rows.items():
            who = "all" if len(services) == len(table) else ", ".join(services)
            out.write(f"| `{var}` | {who} | {_defaults(defaults)} | {doc} |\n")
        return 0
    for service, entries in table.items():
        out.write(f"[{service}]\n")
        for var, (default, doc) in entries.items():
            out.write(f"  {var}={default}  # {doc}\n")
    return 0
