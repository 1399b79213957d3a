"""What every format-specific extractor hands to the pipeline.

One plain record for HTML, text dumps, feeds and JSON, so the pipeline applies the
shared steps (cleanup, dateline, language, id, warnings) once, whatever the input was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.core.models import Dateline, LinkItem, ResolvedFormat

from .dates import Stamp


@dataclass(slots=True)
class Parts:
    format: ResolvedFormat
    extractor: str
    title: str | None = None
    subtitle: str | None = None
    authors: list[str] = field(default_factory=list)
    published: Stamp | None = None
    updated: Stamp | None = None
    dateline: Dateline | None = None
    agency: str | None = None  # "AP", "Reuters", "Trend": who filed it, when the text says
    site_name: str | None = None
    section: str | None = None
    url: str | None = None
    canonical_url: str | None = None
    language: str | None = None  # declared by the page (html lang, feed language)
    paragraphs: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    photo_count: int = 0
    video: bool = False
    related: list[LinkItem] = field(default_factory=list)
    latest: list[LinkItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
