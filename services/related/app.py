"""The related worker's faust app: candidate pools and related lists, on news.related.

It reads news.articles beside the sink (its own consumer group), and its tables live
on the partition that owns their keys, like the sink's (services.sink.app explains
why each table has its own agent on a topic partitioned like it):

  news.articles    (key id)    -> the article's Features, grouped by partition, to
  <app>-rel-index  IndexBatch  -> pool[key] per key (member references) and the
                                  article's Features once  -> offers (services.related.candidates)
  <app>-rel-offers OfferBatch  -> related[id] per target   -> news.related (compacted)

One related worker owns every partition of both internal topics, so it hands those
messages over inline (services.sink.inline). The sink keeps a copy of news.related for
its HTTP API. Why a worker of its own:
scoring a new article against its pools (up to ~1,000 members once they are full) is
most of the sink's old work, and in one faust app the latest views waited behind it.
The scoring is the pure code of services.related.candidates and services.related.scoring,
the same the offline `newsflow related` runs.
"""

from __future__ import annotations

from services.core.clock import utc_iso
from services.core.settings import RelatedSettings
from services.core.streaming.app import StreamService, make_service
from services.core.streaming.worker import run_worker
from services.core.topics import Topics
from services.related import handlers
from services.related.memo import ScoreMemo
from services.sink.agents import TableAgents
from services.sink.handlers import INDEX, OFFERS, RELATED

STAGE = "related"
TABLES = ("pool", "related")
# the internal topics (`<app id>-<suffix>`) by role; tools that watch the backlog read them
INTERNAL = {INDEX: "rel-index", OFFERS: "rel-offers"}


def build(settings: RelatedSettings) -> StreamService:
    topics = Topics(settings.topics)
    n, k = settings.topics.partitions, settings.related_k
    wiring = TableAgents(make_service(STAGE, settings), settings, TABLES, INTERNAL, {RELATED: topics.related})
    index, offers = wiring.targets[INDEX], wiring.targets[OFFERS]
    memo = ScoreMemo()  # one article's batches of several partitions score each pair once
    articles = wiring.topic(topics.articles)
    wiring.agent(
        "articles",
        articles,
        lambda key, v, read, here: [handlers.on_article_index(key, v, n)],
        stateless=True,
    )
    wiring.agent("pool", index, lambda key, v, read, here: handlers.on_index(key, v, read, here, k, memo))
    wiring.agent(
        "related", offers, lambda key, v, read, here: handlers.on_offers(key, v, read, here, k, utc_iso())
    )
    return wiring.finish()


def main(settings: RelatedSettings | None = None) -> None:
    settings = settings or RelatedSettings()
    run_worker(build(settings))
