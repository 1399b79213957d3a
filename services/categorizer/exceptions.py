"""Categorizer errors: one root so callers (faust app, CLI) can catch them all."""

from __future__ import annotations

from services.core.exceptions import NewsflowError


class CategorizerError(NewsflowError):
    """Root of every error the categorizer raises on purpose."""


class ModelNotFound(CategorizerError):
    """The model file is missing: train one with `newsflow train categorizer`."""


class ModelFormatError(CategorizerError):
    """The model file exists but is not a categorizer model this code can read."""


class TaxonomyError(CategorizerError):
    """The IPTC taxonomy is missing, or a code is not in it."""


class SectionTableError(CategorizerError):
    """The section table is unreadable or maps to codes not in the taxonomy."""


class CorpusError(CategorizerError):
    """A training/evaluation corpus is missing or malformed."""
