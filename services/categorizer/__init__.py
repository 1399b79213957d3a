"""Categorizer: IPTC topics, section topic, countries/places, people/organisations and
keywords for normalized articles. Pure logic; the faust wiring lives in app.py."""

from .exceptions import CategorizerError, ModelNotFound
from .pipeline import Categorizer, CategorizerConfig, categorize

__all__ = ["Categorizer", "CategorizerConfig", "CategorizerError", "ModelNotFound", "categorize"]
