"""The categorizer: one object loaded once, then a pure `categorize(article)` per message.

Everything slow (model file, taxonomy, gazetteer, section table) happens in
`Categorizer.load`; `categorize` does no I/O, so the faust agent, the CLI and the tests
all call the same function and get the same answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import msgspec

from services.core.models import Article, Topic

from . import entities, places
from .entities import extract_entities
from .entitywords import MONTHS_DAYS
from .featureindex import DocFeatures, FeatureIndex
from .features import MAX_TOKENS, Lookup, count_features, document_tokens, feature_counts, lookup
from .keywords import KeywordTable
from .model import TopicModel
from .places import Gazetteer, extract_places, load_gazetteer
from .sections import SectionEvidence, SectionTable
from .subtopics import SubtopicMatcher, subtopic_scores
from .taxonomy import Taxonomy, load_taxonomy
from .wordtokens import Tokenizer

#: Fewer tokens than this: features as strings (`features.count_features` + `lookup`);
#: more: as word ids (`featureindex`), whose ~30 numpy calls cost a fixed ~0.3 M
#: instructions but ~2 k per token instead of ~4 k (callgrind, shipped model). Same
#: answer either way (tests/unit/categorizer/test_categorizer_featureindex.py).
SHORT_TOKENS = 150


@dataclass(frozen=True)
class CategorizerConfig:
    """Thresholds; the defaults are what the evaluation figures were measured with."""

    #: Secondary top-level topics are listed when their probability reaches this.
    min_topic_score: float = 0.2
    max_topics: int = 3
    #: Level-2 subtopics are listed when parent score x evidence strength reaches this.
    min_subtopic_score: float = 0.3
    max_subtopics: int = 3
    #: How far the article's own section pulls the topic distribution (0..1).
    section_weight: float = 0.5
    #: For articles not in English the model sees few known words; trust the section more.
    section_weight_foreign: float = 0.8
    keywords: int = 10


class Categorizer:
    """Fills an Article's topics, section_topic, countries, places, people, organizations
    and keywords."""

    def __init__(
        self,
        model: TopicModel,
        taxonomy: Taxonomy,
        sections: SectionTable,
        gazetteer: Gazetteer,
        config: CategorizerConfig | None = None,
    ) -> None:
        self.model = model
        self.taxonomy = taxonomy
        self.sections = sections
        self.gazetteer = gazetteer
        self.config = config or CategorizerConfig()
        self.subtopics = SubtopicMatcher(taxonomy)
        self.keyword_table = KeywordTable(model.vocab, model.idf)
        self.feature_index = FeatureIndex(model.vocab)
        self._class_index = {c: i for i, c in enumerate(model.classes)}
        self.tokenizer = Tokenizer()
        # Words never part of a name (entities): the model's common words and the
        # months/days, united once here instead of per article.
        self.common_words = model.common_words | MONTHS_DAYS

    @classmethod
    def load(
        cls,
        model_path: Path | None = None,
        section_table: Path | None = None,
        config: CategorizerConfig | None = None,
    ) -> Categorizer:
        """Load the shipped (or given) model and section table; ~1 s, do it once."""
        taxonomy = load_taxonomy()
        model = TopicModel.load(model_path)
        sections = SectionTable.load(section_table, taxonomy=taxonomy)
        return cls(model, taxonomy, sections, load_gazetteer(), config)

    # -- topics --------------------------------------------------------------------
    def topic_distribution(
        self, article: Article, feats: Mapping[str, int] | Lookup | DocFeatures | None = None
    ) -> tuple[dict[str, float], SectionEvidence | None]:
        """Top-level code -> probability, after mixing in the section evidence."""
        if feats is None:
            feats = feature_counts(self._tokens(article))
        probs = self.model.predict_proba(feats)
        dist = dict(zip(self.model.classes, probs.tolist(), strict=True))
        ev = self.sections.evidence(article)
        if ev is not None:
            top = self.taxonomy.ancestor(ev.code, 1)
            if top in dist:
                foreign = bool(article.language) and not (article.language or "").startswith("en")
                base = self.config.section_weight_foreign if foreign else self.config.section_weight
                lam = base * ev.weight
                dist = {c: (1 - lam) * p for c, p in dist.items()}
                dist[top] += lam
        return dist, ev

    @staticmethod
    def _tokens(article: Article) -> list[str]:
        return document_tokens(article.title, article.subtitle, article.lead, article.body)

    def _topics(self, dist: dict[str, float], ev: SectionEvidence | None, tokens: list[str]) -> list[Topic]:
        cfg = self.config
        ranked = sorted(dist.items(), key=lambda kv: -kv[1])
        chosen = [ranked[0]] + [(c, p) for c, p in ranked[1 : cfg.max_topics] if p >= cfg.min_topic_score]
        topics = [Topic(code=c, label=self.taxonomy.label(c), score=round(p, 4), level=1) for c, p in chosen]
        parents = dict(chosen)
        subs = subtopic_scores(self.subtopics.match(tokens), parents, self.taxonomy)
        if ev is not None:
            sec_l2 = self.taxonomy.ancestor(ev.code, 2)
            parent = self.taxonomy.ancestor(ev.code, 1)
            if sec_l2 is not None and parent in parents:
                subs[sec_l2] = max(subs.get(sec_l2, 0.0), parents[parent] * ev.weight)
        ranked_subs = sorted(
            ((c, s) for c, s in subs.items() if s >= cfg.min_subtopic_score), key=lambda kv: -kv[1]
        )[: cfg.max_subtopics]
        topics += [
            Topic(code=c, label=self.taxonomy.label(c), score=round(s, 4), level=2) for c, s in ranked_subs
        ]
        return topics

    # -- the whole article ------------------------------------------------------------
    def categorize(self, article: Article) -> Article:
        """A copy of `article` with the categorizer fields filled. Pure: no I/O."""
        tokens = self._tokens(article)
        # Looked up in the vocabulary once, for the topic model and the keywords: as
        # strings for short texts, as word ids past SHORT_TOKENS (same features, same
        # keywords; each way is the cheaper one on its side).
        feats: Lookup | DocFeatures
        k = self.config.keywords
        if len(tokens) < SHORT_TOKENS:
            counts, n_words = count_features(tokens)
            feats = lookup(counts, self.model.vocab, n_words)
            keywords = self.keyword_table.extract(feats, k=k)
        else:
            feats = self.feature_index.features(tokens)
            keywords = self.keyword_table.extract_doc(feats, self.feature_index.keys, k=k)
        dist, ev = self.topic_distribution(article, feats)
        topics = self._topics(dist, ev, tokens[: MAX_TOKENS * 3])

        fields = (article.title or "", article.subtitle or "", article.lead or "", article.body)
        text = "\n".join(p for p in fields[1:] if p)
        # One regex pass per field for both the entity and the place scan.
        both = [self.tokenizer.tokens(f[: entities.MAX_CHARS]) for f in fields]
        words = [w for w, _ in both]
        pr = extract_places(
            self.gazetteer, article.dateline, article.title, text, _place_tokens(fields, both, text)
        )
        ents = extract_entities(fields, pr.place_words, self.common_words, tokens=words)
        return msgspec.structs.replace(
            article,
            topics=topics,
            section_topic=ev.code if ev is not None else None,
            countries=pr.countries,
            places=pr.places,
            people=ents.people,
            organizations=ents.organizations,
            keywords=keywords,
        )


def categorize(article: Article, categorizer: Categorizer) -> Article:
    """Module-level convenience for callers that hold a loaded Categorizer."""
    return categorizer.categorize(article)


def _place_tokens(
    fields: tuple[str, ...], both: list[tuple[list[str], list[str] | None]], text: str
) -> tuple[list[str], list[str]] | None:
    """(title, text) tokens for the place scan from the per-field tokenization; None (the
    scan tokenizes itself) when a field was cut short or its place tokens differ."""
    if len(text) > places.MAX_CHARS or max(map(len, fields)) > entities.MAX_CHARS:
        return None
    title, subtitle, lead, body = (p for _, p in both)
    if title is None or subtitle is None or lead is None or body is None:
        return None
    return title, subtitle + lead + body
