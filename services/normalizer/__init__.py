"""Normalizer: any raw article (HTML, text dump, feed item, JSON) -> one normalized Article.

Pure logic, no Kafka: `normalize()` is what the faust app and the CLI call.
"""

from .exceptions import EmptyInput, NormalizerError, NotAnArticle, UndecodableInput
from .pipeline import normalize

__all__ = ["EmptyInput", "NormalizerError", "NotAnArticle", "UndecodableInput", "normalize"]
