"""Fuzz targets for atheris (libFuzzer): the ingest API and every stage's decoder.

Each target takes one input (bytes) and drives the same functions the services run:
the ingest request decoders (pure and through the real aiohttp app, gzip
Content-Encoding included), the normalizer, categorizer, deduper and sink handlers
under `run_handler`, and the wire decoders beside them. A target returns quietly on
every documented outcome (a result, a 4xx refusal, a DecodeError, a DLQ output with a
reason) and raises `FuzzCrash` (or lets the unexpected exception escape) otherwise,
which libFuzzer records as a crash-* artifact.

Inputs are laid out by hand, not with atheris.FuzzedDataProvider, so the same bytes
replay without atheris (tests/fixtures/fuzz, test_atheris.py) and seeds are easy to
build: a few header bytes pick the mode, content type, charset, key..., the rest is
the body. `python -m tests.unit.fuzz.fuzz_main TARGET ...` runs one under libFuzzer.

Known bugs not fixed yet are listed in KNOWN_BUGS and tolerated unless
NEWSFLOW_FUZZ_STRICT=1 (`make fuzz FUZZ_STRICT=1`): fuzzing then looks for new crashes
only (libFuzzer stops at the first). test_atheris.py replays every reproducer in
tests/fixtures/fuzz strictly: a listed bug's as an xfail that turns red once the bug is
fixed (then delete its KNOWN_BUGS entry), a fixed bug's as a regression test that must
pass (keep the file).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import gzip
import os
import shutil
import tempfile
import traceback
import zlib
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import orjson

from services.core import schemas
from services.core.codec import decode, encode
from services.core.exceptions import DecodeError
from services.core.models import Article, RawArticle
from services.core.settings import (
    DeduperSettings,
    IngestSettings,
    NormalizerSettings,
    TopicSettings,
)
from services.core.streaming.stage import Output, run_handler
from services.core.topics import Topics
from services.ingest import requests
from services.ingest.decode import charset_of, decode_page, media_type
from services.ingest.exceptions import IngestError

if TYPE_CHECKING:  # the stages are imported where a target needs them: each run starts faster
    from services.deduper.app import DeduperApp
    from services.sink.handlers import Read, Step

ROOT = Path(__file__).resolve().parents[3]
STRICT = os.environ.get("NEWSFLOW_FUZZ_STRICT") == "1"
TOPICS = Topics(TopicSettings())
LIMITS = requests.Limits(max_body_bytes=64 * 1024, max_batch_lines=50)
RECEIVED = "2026-01-01T00:00:00Z"

# Header choices: client-controlled in the API, so unusual codecs belong here too.
CONTENT_TYPES = (
    "application/json",
    "text/html",
    "text/plain",
    "application/octet-stream",
    "",
    "application/x-ndjson",
    "image/png",
    "TEXT/HTML",
    "text/html;",
    "multipart/form-data; boundary=x",
)
CHARSETS = (
    None,
    "utf-8",
    "UTF-8",
    "latin-1",
    "cp1252",
    "utf-16",
    "utf-16-be",
    "utf-32",
    "utf-8-sig",
    "utf-7",
    "shift_jis",
    "gb18030",
    "koi8-r",
    "ascii",
    "bogus-charset",
    "",
    '"utf-8"',
    "idna",
    "punycode",
    "base64",
    "rot13",
    "zlib",
)
ENCODINGS = ("identity", "gzip", "deflate", "gzip-raw", "deflate-raw", "br-raw", "gzip, deflate", "x-bogus")
FORMATS = ("auto", "html", "text", "feed", "json", "xml", "")


class FuzzCrash(AssertionError):
    """A documented-outcome property failed: the fuzzer found a bug."""


# --- known bugs -----------------------------------------------------------------------
# Bugs found here and not fixed yet, by key (the middle part of their reproducer's name in
# tests/fixtures/fuzz): tolerated while listed (see known_bug). The seven the first runs
# found (charset-codec, sink-wire-fallback, dlq-ingest-id, ingest-corrupt-encoding,
# schema-passthrough, language-3-letter, msgspec-utf8) and the later deduper-wire-utf8 are
# fixed; their reproducers stay
# and test_atheris.py replays them as regression tests that must pass.
KNOWN_BUGS: dict[str, str] = {}
_MSGSPEC_CALLERS = ("services/core/codec.py", "services/sink/wire.py")


class SchemaPassthrough(FuzzCrash):
    """A stage emitted a schema-invalid article; its input was schema-invalid too."""


class ThreeLetterLanguage(FuzzCrash):
    """The normalizer emitted a 3-letter language code (schemas/article.json wants ISO 639-1)."""


def known_bug(exc: BaseException) -> str | None:
    """The KNOWN_BUGS key `exc` is an instance of, or None (also None in strict mode).

    The bug classes below are the ones fuzzing found so far; a class whose bug was fixed
    (no longer in KNOWN_BUGS) is a crash again, so a regression is reported, not tolerated.
    """
    if STRICT:
        return None
    bug = _bug_class(exc)
    return bug if bug in KNOWN_BUGS else None


def _bug_class(exc: BaseException) -> str | None:
    """Which of the bugs fuzzing has found `exc` looks like (listed in KNOWN_BUGS or not)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/services/" in f.filename]
    if isinstance(exc, SchemaPassthrough):
        return "schema-passthrough"
    if isinstance(exc, ThreeLetterLanguage):
        return "language-3-letter"
    if (
        isinstance(exc, UnicodeDecodeError)
        and frames
        and frames[-1].filename.endswith("services/core/dlq.py")
    ):
        return "dlq-ingest-id"
    if (
        type(exc).__name__ == "RequestPayloadError"
        and frames
        and frames[-1].filename.endswith("services/ingest/app.py")
    ):
        return "ingest-corrupt-encoding"
    if (
        isinstance(exc, UnicodeError | LookupError)
        and frames
        and frames[-1].filename.endswith(("services/ingest/decode.py", "services/ingest/requests.py"))
    ):
        return "charset-codec"
    last = traceback.extract_tb(exc.__traceback__)[-1]
    if isinstance(exc, UnicodeDecodeError) and last.filename.endswith(_MSGSPEC_CALLERS):
        return "msgspec-utf8"  # raised by msgspec's C decoder, called from these files
    if (
        isinstance(exc, msgspec.DecodeError)
        and not isinstance(exc, msgspec.ValidationError)
        and frames
        and frames[-1].filename.endswith("services/sink/wire.py")
    ):
        return "sink-wire-fallback"
    return None


def _tolerate(exc: BaseException) -> None:
    """Re-raise unless `exc` is a known (reported) bug."""
    if known_bug(exc) is None:
        raise exc


def _pick(options: tuple[Any, ...], byte: int) -> Any:
    return options[byte % len(options)]


def _head(data: bytes, n: int) -> tuple[bytes, bytes]:
    """The first n bytes (zero-padded) and the rest."""
    return data[:n].ljust(n, b"\0"), data[n:]


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _json_object(data: bytes) -> dict[str, Any] | None:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


# --- ingest: the pure request decoders ------------------------------------------------
def ingest(data: bytes) -> None:
    """[mode, content type, charset, chunk] + body -> what post_article/post_batch decide."""
    head, body = _head(data, 4)
    mode, ctype_i, charset_i, chunk = head
    content_type = _pick(CONTENT_TYPES, ctype_i)
    charset = _pick(CHARSETS, charset_i)
    header = content_type + (f"; charset={charset}" if charset is not None else "")
    try:
        if mode % 5 == 0:
            _accepted(requests.from_json(body, LIMITS))
        elif mode % 5 == 1:
            raw_type = media_type(header)
            raw_type = raw_type if raw_type in ("text/html", "text/plain") else "text/plain"
            _accepted(
                requests.from_raw_body(body, raw_type, LIMITS, "https://x.example/a", charset_of(header))
            )
        elif mode % 5 == 2:
            _ndjson(body, chunk + 1)
        elif mode % 5 == 3:
            if not isinstance(decode_page(body, header), str):
                raise FuzzCrash("decode_page returned no str")
        else:
            _header_parsers(_text(body))
    except IngestError as exc:
        if not (400 <= exc.status < 500 and exc.reason):
            raise FuzzCrash(f"refusal without a 4xx reason: {exc.status} {exc.reason!r}") from exc
    except (UnicodeError, LookupError) as exc:
        _tolerate(exc)


def _accepted(article: RawArticle) -> None:
    """An accepted article must encode for news.raw and read back as the same article."""
    record = requests.to_record(article)
    if decode(record.value, RawArticle) != article:
        raise FuzzCrash("news.raw record does not decode to the accepted article")


def _ndjson(body: bytes, chunk: int) -> None:
    batch = requests.NdjsonBatch(LIMITS, "batch", max_bytes=256 * 1024)
    for start in range(0, len(body), chunk):
        batch.feed(body[start : start + chunk])
        if batch.pending_bytes > len(body):
            raise FuzzCrash("NdjsonBatch holds more than the body")
    accepted, errors = batch.close()
    lines = [line for line, _ in accepted] + [e["line"] for e in errors]
    if len(set(lines)) != len(lines):
        raise FuzzCrash(f"one line answered twice: {sorted(lines)}")
    for error in errors:
        if not (error["reason"] and isinstance(error["error"], str)):
            raise FuzzCrash(f"batch error without a reason: {error}")
    for _, record in accepted:
        decode(record.value, RawArticle)


def _header_parsers(header: str) -> None:
    charset = charset_of(header)
    if charset is not None and not charset:
        raise FuzzCrash("charset_of gave an empty charset")
    if media_type(header) != media_type(header).strip().lower():
        raise FuzzCrash("media_type is not normalized")


# --- ingest: the real aiohttp app, gzip Content-Encoding included ---------------------
class _Http:
    """The ingest app (no Kafka: accepted articles get 503) on a loopback port."""

    statuses = frozenset({202, 400, 413, 415, 429, 503})

    def __init__(self) -> None:
        from aiohttp import ClientSession, web

        from services.ingest import app as ingest_app

        self.web = web
        self.loop = asyncio.new_event_loop()
        settings = IngestSettings(
            max_body_bytes=64 * 1024,
            max_batch_bytes=256 * 1024,
            max_batch_lines=50,
            rate_limit_per_s=0.0,
            backfill_rate_per_s=0.0,
            auth_tokens=[],
            feeds_file=None,
        )
        app = ingest_app.build(settings)
        app.cleanup_ctx.remove(ingest_app._kafka_producer)  # no broker: produce answers 503
        self.errors: list[BaseException] = []
        self.reached: list[bool] = []  # the request got past aiohttp's parser into the app
        app.middlewares.insert(0, self._catch)
        self.runner = web.AppRunner(app, access_log=None)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        port = self.runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"
        self.session = self.loop.run_until_complete(self._session(ClientSession))

    async def _session(self, factory: Any) -> Any:
        from aiohttp import TCPConnector

        # a connection per request: one the server closed (after an early 413) is never reused
        return factory(auto_decompress=False, connector=TCPConnector(force_close=True))

    @property
    def _catch(self) -> Any:
        errors, reached = self.errors, self.reached

        @self.web.middleware
        async def catch(request: Any, handler: Any) -> Any:
            reached.append(True)
            try:
                return await handler(request)
            except self.web.HTTPException:
                raise
            except Exception as exc:
                errors.append(exc)
                raise

        return catch

    def close(self) -> None:
        """Stop the server and the loop (tests replaying in-process clean up after themselves)."""
        self.loop.run_until_complete(self.session.close())
        self.loop.run_until_complete(self.runner.cleanup())
        self.loop.close()

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """Status and body; (0, b"") if the server closed the connection instead of answering."""
        from aiohttp import ClientOSError, ServerDisconnectedError

        async def go() -> tuple[int, bytes]:
            async with self.session.post(self.base + path, data=body, headers=headers) as response:
                return response.status, await response.read()

        try:
            return self.loop.run_until_complete(asyncio.wait_for(go(), 20))
        except (ServerDisconnectedError, ClientOSError):
            return 0, b""


@cache
def _http() -> _Http:
    return _Http()


def _encoded(body: bytes, encoding: str) -> tuple[bytes, str | None]:
    """The body as sent and its Content-Encoding header (`-raw`: header says so, body is not)."""
    if encoding == "gzip":
        return gzip.compress(body, compresslevel=1), "gzip"
    if encoding == "deflate":
        return zlib.compress(body, 1), "deflate"
    if encoding.endswith("-raw"):
        return body, encoding.removesuffix("-raw")
    return body, None if encoding == "identity" else encoding


def ingest_http(data: bytes) -> None:
    """[route, content type, charset, encoding, repeat] + body -> POST; never a 500."""
    head, body = _head(data, 5)
    route, ctype_i, charset_i, encoding_i, repeat = head
    content_type = _pick(CONTENT_TYPES, ctype_i)
    charset = _pick(CHARSETS, charset_i)
    headers = {"Content-Type": content_type + (f"; charset={charset}" if charset is not None else "")}
    if repeat >= 0xF0 and body:  # 100 MB bodies in miniature: just over the limits, streamed
        body = body * (400 * 1024 // len(body) + 1)
    sent, content_encoding = _encoded(body, _pick(ENCODINGS, encoding_i))
    if content_encoding:
        headers["Content-Encoding"] = content_encoding
    if route & 2:
        headers["X-Ingest-Source"] = "backfill"
    path = "/v1/articles/batch" if route & 1 else "/v1/articles?url=https%3A%2F%2Fx.example%2Fa"
    http = _http()
    http.errors.clear()
    http.reached.clear()
    status, answer = http.post(path, sent, headers)
    for exc in http.errors:
        _tolerate(exc)
    if http.errors:
        return  # a known bug's 500
    if status == 0:  # hung up: only fair while refusing a body over the limits (413, unread)
        if len(body) <= 64 * 1024:
            raise FuzzCrash(f"server closed the connection on a {len(body)}-byte body, {headers}")
        return
    if status not in http.statuses:
        raise FuzzCrash(f"HTTP {status} for {headers}: {answer[:300]!r}")
    if status != 202 and http.reached:  # the app's refusals: JSON with a reason
        try:
            reply = orjson.loads(answer)
        except orjson.JSONDecodeError:
            reply = None
        if not (isinstance(reply, dict) and isinstance(reply.get("error"), str) and reply["error"]):
            raise FuzzCrash(f"HTTP {status} without an error reason: {answer[:300]!r}")
    elif status != 202 and not (400 <= status < 500 and answer):  # aiohttp's parser refused
        raise FuzzCrash(f"HTTP {status} from the HTTP layer without a reason: {answer[:300]!r}")


# --- the stages -------------------------------------------------------------------------
def _stage_input(data: bytes) -> tuple[int, int, bytes | None, bytes]:
    """[mode, selector, key length] + key + value; key length 255 = no key."""
    head, rest = _head(data, 3)
    mode, selector, key_len = head
    if key_len == 255:
        return mode, selector, None, rest
    return mode, selector, rest[:key_len], rest[key_len:]


def stage_seed(mode: int, selector: int, key: bytes | None, value: bytes) -> bytes:
    """The input that `_stage_input` reads back as these parts."""
    if key is not None and len(key) > 254:
        raise ValueError("seed key too long")
    key_len = 255 if key is None else len(key)
    return bytes([mode, selector, key_len]) + (key or b"") + value


def _check_outputs(stage: str, outputs: list[Output], allowed: set[str]) -> None:
    """Every output goes to a topic the stage writes; a DLQ record names its reason."""
    for out in outputs:
        if out.topic not in allowed | {TOPICS.dlq}:
            raise FuzzCrash(f"{stage} wrote to {out.topic}")
        if out.topic == TOPICS.dlq:
            record = orjson.loads(out.value or b"")
            schemas.validate("dlq_record", record)
            if record["stage"] != stage or not record["error"]["type"]:
                raise FuzzCrash(f"DLQ record without stage/reason: {record['error']}")


def _run(
    stage: str,
    handler: Callable[[bytes | None, bytes], list[Output]],
    key: bytes | None,
    value: bytes,
    **kw: Any,
) -> list[Output] | None:
    """run_handler as the stages call it; it must never raise (None: a known bug raised)."""
    try:
        return run_handler(stage, handler, TOPICS.dlq, key, value, **kw)
    except Exception as exc:
        _tolerate(exc)
        return None


def _check_articles(outputs: list[Output], topics: set[str], given: bytes) -> None:
    """Articles a stage emits follow schemas/article.json (unless it was given an invalid one)."""
    for out in outputs:
        if out.topic not in topics:
            continue
        try:
            schemas.validate("article", orjson.loads(out.value or b""))
        except schemas.SchemaViolation as exc:
            try:
                schemas.validate("article", orjson.loads(given))
            except (schemas.SchemaViolation, orjson.JSONDecodeError):
                _tolerate(SchemaPassthrough(f"{out.topic}: {exc}"))
                continue
            raise FuzzCrash(f"a valid article in, an invalid one out on {out.topic}: {exc}") from exc


def _with_fields(template: dict[str, Any], mode: int, value: bytes, field: str) -> bytes:
    """Mode 0: the value as is; 1: the template with `field` set to its text; 2: the
    template with the value's JSON object laid over it (wrong JSON types per field)."""
    if mode % 3 == 0:
        return value
    if mode % 3 == 1:
        return orjson.dumps({**template, field: _text(value)})
    overlay = _json_object(value)
    return value if overlay is None else orjson.dumps({**template, **overlay})


RAW_TEMPLATE: dict[str, Any] = {
    "schema_version": 1,
    "ingest": {"id": "fuzz", "received_at": RECEIVED, "source": "api"},
    "content": "",
    "format": "auto",
    "url": "https://x.example/a",
}


@cache
def _normalize() -> Callable[[bytes | None, bytes], list[Output]]:
    from services.normalizer.app import make_handler

    return make_handler(NormalizerSettings(), TOPICS)


def normalizer(data: bytes) -> None:
    """A news.raw record -> exactly one article or one DLQ record, both schema-valid."""
    mode, selector, key, value = _stage_input(data)
    template = {**RAW_TEMPLATE, "format": _pick(FORMATS, selector)}
    value = _with_fields(template, mode, value, "content")
    outputs = _run("normalizer", _normalize(), key, value)
    if outputs is None:
        return
    if len(outputs) != 1:
        raise FuzzCrash(f"normalizer gave {len(outputs)} outputs")
    _check_outputs("normalizer", outputs, {TOPICS.normalized})
    if outputs[0].topic == TOPICS.normalized:
        article = orjson.loads(outputs[0].value or b"")
        language = article.get("language")
        if isinstance(language, str) and len(language) == 3 and language.isalpha():
            _tolerate(ThreeLetterLanguage(f"language {language!r}"))
            article["language"] = None  # the rest of the article must still be valid
        schemas.validate("article", article)


@cache
def seed_article() -> dict[str, Any]:
    """tests/fixtures/seed-article.txt as the normalizer makes it: the stages' template."""
    text = (ROOT / "tests/fixtures/seed-article.txt").read_text()
    value = orjson.dumps({**RAW_TEMPLATE, "content": text, "format": "text"})
    (out,) = _normalize()(b"seed", value)
    article: dict[str, Any] = orjson.loads(out.value or b"")
    return article


@cache
def _categorize() -> Callable[[bytes | None, bytes], list[Output]]:
    from services.categorizer.app import make_handler
    from services.categorizer.pipeline import Categorizer

    return make_handler(Categorizer.load(), TOPICS)


def categorizer(data: bytes) -> None:
    """A news.normalized record -> one categorized article or one DLQ record."""
    mode, selector, key, value = _stage_input(data)
    value = _with_fields(seed_article(), mode, value, _pick(("body", "title", "language", "url"), selector))
    outputs = _run("categorizer", _categorize(), key, value)
    if outputs is None:
        return
    if len(outputs) != 1:
        raise FuzzCrash(f"categorizer gave {len(outputs)} outputs")
    _check_outputs("categorizer", outputs, {TOPICS.categorized})
    _check_articles(outputs, {TOPICS.categorized}, value)


@cache
def _deduper() -> DeduperApp:
    from services.deduper.app import DeduperApp

    workdir = os.environ.get("NEWSFLOW_FUZZ_WORKDIR")  # fuzz_main: under its --out (libFuzzer skips atexit)
    data_dir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="newsflow-fuzz-deduper-"))
    if not workdir:
        atexit.register(shutil.rmtree, data_dir, True)
    return DeduperApp(DeduperSettings(data_dir=data_dir, topics={"partitions": 2}))  # type: ignore[arg-type]


def deduper(data: bytes) -> None:
    """news.categorized / index / gather records -> outputs or one DLQ record; the wire
    decoders raise nothing but msgspec's DecodeError. State is rolled back per input."""
    from services.core.streaming.txn import InRecord
    from services.deduper import wire as dedupe_wire

    mode, selector, key, value = _stage_input(data)
    app = _deduper()
    topic = _pick((app.topics.categorized, app.index_topic, app.gather_topic), selector)
    if topic == app.topics.categorized:
        value = _with_fields(seed_article(), mode, value, _pick(("body", "title", "url"), selector >> 2))
    record = InRecord(topic, selector >> 7, 0, key, value)
    for table in app.tables.values():
        table.begin_record()
    try:
        outputs = _run(
            "deduper",
            lambda _k, _v: app.handle(record),
            key,
            value,
            on_error=lambda: _undo(app),
        )
    finally:
        for table in app.tables.values():
            table.rollback()
    if outputs is not None:
        emitted = {TOPICS.articles, TOPICS.duplicates, app.index_topic, app.gather_topic}
        _check_outputs("deduper", outputs, emitted)
        _check_articles(outputs, {TOPICS.articles, TOPICS.duplicates}, _given_article(value))
    for decoder in (
        dedupe_wire.index_decoder,
        dedupe_wire.gather_decoder,
        dedupe_wire.pending_decoder,
        dedupe_wire.prepared_decoder,
    ):
        # msgspec's two decode errors; DeduperApp.handle turns both into a DecodeError
        with contextlib.suppress(msgspec.DecodeError, UnicodeDecodeError):
            decoder.decode(value)


def _undo(app: DeduperApp) -> None:
    """What TransactionalStage does when a record's handler fails: drop its staged writes."""
    for table in app.tables.values():
        table.undo_record()


def _given_article(value: bytes) -> bytes:
    """The article a gather message carries (an ArticleIn), else the value itself."""
    from services.deduper import wire as dedupe_wire

    try:
        message = dedupe_wire.gather_decoder.decode(value)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return value
    return bytes(message.article) if isinstance(message, dedupe_wire.ArticleIn) else value


# services.sink.handlers' roles: the sink's agents and the related worker's
SINK_ROLES = ("articles", "views", "stories", "index", "offers", "related", "article-index")


def _sink_steps(role: str, key: bytes | None, value: bytes, read: Read) -> Iterator[Step]:
    """What services.sink.app and services.related.app wire to each agent (one partition,
    so every key is here)."""
    from services.related import handlers as related
    from services.sink import handlers as sink

    here = sink.Here(0, 1)
    if role == "articles":
        yield sink.on_article(key, value, read(key) if key is not None else None, 1)
    elif role == sink.VIEWS:
        yield from sink.on_views(key, value, read, here, 50, RECEIVED)
    elif role == sink.STORIES:
        yield sink.on_story(key or b"", value, read(key) if key is not None else None)
    elif role == sink.INDEX:
        yield from related.on_index(key, value, read, here, 10)
    elif role == sink.RELATED:
        yield sink.on_related_list(key, value, here)
    elif role == "article-index":
        yield related.on_article_index(key, value, 1)
    else:
        yield from related.on_offers(key, value, read, here, 10, RECEIVED)


def sink_handle(role: str, key: bytes | None, value: bytes, table: dict[bytes, bytes]) -> list[Output] | None:
    """One sink message as the faust agent handles it: all Steps first, then write_plan
    under run_handler (a failed plan writes nothing and becomes one DLQ record)."""
    from services.sink.agents import write_plan

    plan: list[Step] | Exception
    try:
        plan = list(_sink_steps(role, key, value, table.get))
    except Exception as exc:
        plan = exc
    return _run("sink", lambda _k, _v: write_plan(plan, table, lambda r: r), key, value)


def sink_(data: bytes) -> None:
    """Each sink agent's message -> table writes and sends, or one DLQ record (nothing
    written); the wire decoders raise DecodeError only, as their contract says."""
    from services.sink import wire as sink_wire

    mode, selector, key, value = _stage_input(data)
    role = _pick(SINK_ROLES, selector)
    if role in ("articles", "article-index"):
        value = _with_fields(seed_article(), mode, value, _pick(("body", "title", "url"), selector >> 3))
    table: dict[bytes, bytes] = {}
    outputs = sink_handle(role, key, value, table) or []
    if any(o.topic == TOPICS.dlq for o in outputs):
        if table or len(outputs) != 1:
            raise FuzzCrash("a sink message that went to the DLQ wrote or sent something")
        _check_outputs("sink", outputs, set())
    for decode_wire in (sink_wire.decode_views, sink_wire.decode_index, sink_wire.decode_offers):
        try:
            decode_wire(key, value)
        except DecodeError as exc:
            if not exc.reason:
                raise FuzzCrash("sink DecodeError without a reason") from exc
        except Exception as exc:  # the contract: DecodeError and nothing else
            _tolerate(exc)


def codec(data: bytes) -> None:
    """services.core.codec.decode: a model or a DecodeError with one of its reasons."""
    for cls in (RawArticle, Article):
        try:
            message = decode(data, cls)
        except DecodeError as exc:
            if exc.reason not in {"empty_value", "json", "schema"}:
                raise FuzzCrash(f"codec reason {exc.reason!r}") from exc
        except UnicodeDecodeError as exc:
            _tolerate(exc)
        else:
            if decode(encode(message), cls) != message:  # type: ignore[arg-type]
                raise FuzzCrash("decode/encode does not round-trip")


def broken(data: bytes) -> None:
    """A decoder with a planted bug (test_atheris.py proves the harness reports it): a
    second JSON object in the body indexes a key that is not there."""
    ingest(bytes(4) + data)
    if data.count(b"{") >= 2:
        empty: dict[str, int] = {}
        _ = empty["planted"]  # KeyError: the crash the runner must report


TARGETS: dict[str, Callable[[bytes], None]] = {
    "ingest": ingest,
    "ingest_http": ingest_http,
    "normalizer": normalizer,
    "categorizer": categorizer,
    "deduper": deduper,
    "sink": sink_,
    "codec": codec,
    "broken": broken,
}


# --- seeds ----------------------------------------------------------------------------
FUNDUS = ROOT / "tests/fixtures/normalizer/fundus"
FUNDUS_PAGES = (
    "at/ORF_2024_11_22.html.gz",
    "ru/Kommersant_2025_05_14.html.gz",
    "es/LaVanguardia_2026_07_11.html.gz",
)
SEED_PAGE_BYTES = 16 * 1024  # keeps libFuzzer's -max_len (and each run) small


def _pages() -> list[bytes]:
    return [gzip.decompress((FUNDUS / name).read_bytes())[:SEED_PAGE_BYTES] for name in FUNDUS_PAGES]


def _small_json() -> list[bytes]:
    return [
        b'{"content": "<html><body><p>Hi</p></body></html>", "format": "html", "url": "https://x.example/a"}',
        b'{"content": "plain words", "format": "text", "hints": {"section": "world"}}',
        b'{"content": "x", "fetch": {"status": "200"}, "fetched_at": "2026-01-01T00:00:00Z"}',
        b'{"content": 3}',
        b'{"content": "x", "format": ["html"]}',
        b'{"content": "x", "hints": {"a": 1}, "url": 5}',
        b'[1, 2, {"content": null}]',
        b'"just a string"',
        b"\xff\xfe{\x00}",
    ]


def _bombs() -> list[bytes]:
    body = b'{"content": "' + b"a" * 5_000_000 + b'"}'
    return [gzip.compress(body, compresslevel=9), zlib.compress(body, 9)]


def seeds(name: str) -> list[bytes]:
    """Seed inputs for a target, from real fixtures: the seed article, fundus pages, small JSON."""
    if name == "broken":
        return [b'{"content": "x"}']
    text = (ROOT / "tests/fixtures/seed-article.txt").read_bytes()
    rss = (ROOT / "tests/fixtures/feeds/rss.xml").read_bytes()
    pages = _pages()
    nested = b"<html><body>" + b"<div>" * 5000 + b"deep" + b"</div>" * 5000 + b"</body></html>"
    if name == "ingest":
        out = [bytes([0, 0, 0, 0]) + j for j in _small_json()]
        out += [bytes([1, 1, c, 0]) + p for c, p in zip((0, 3, 1), pages, strict=True)]
        out += [bytes([1, 2, 1, 0]) + text, bytes([1, 1, 5, 0]) + nested]
        ndjson = b"\n".join(_small_json()[:5]) + b"\r\n\n" + b'{"content": "last"}'
        out += [bytes([2, 5, 0, 7]) + ndjson, bytes([2, 5, 0, 255]) + ndjson]
        out += [bytes([3, 1, c, 0]) + p for c, p in zip((0, 0, 4), pages, strict=True)]
        out += [
            bytes([3, 1, 0, 0]) + b'<meta charset="koi8-r">\xf0\xf2',
            bytes([4, 0, 0, 0]) + b"text/html; charset=utf-8",
        ]
        return out
    if name == "ingest_http":
        out = [bytes([0, 0, 0, e, 0]) + j for j in _small_json()[:3] for e in (0, 1)]
        out += [bytes([1, 5, 0, 1, 0]) + b"\n".join(_small_json())]
        out += [bytes([0, 1, 1, 0, 0]) + pages[0], bytes([0, 2, 0, 2, 0]) + text]
        out += [bytes([0, 0, 0, 3, 0]) + _bombs()[0], bytes([1, 0, 0, 4, 0]) + _bombs()[1]]
        out += [bytes([0, 0, 0, 1, 0xFF]) + b'{"content": "' + text[:2000], bytes([0, 6, 0, 0, 0]) + b"x"]
        return out
    if name == "normalizer":
        raw = orjson.dumps({**RAW_TEMPLATE, "content": text.decode(), "format": "text"})
        out = [stage_seed(0, 0, b"k", raw), stage_seed(1, 2, b"k", text), stage_seed(1, 3, b"k", rss)]
        out += [stage_seed(1, 1, b"k", p) for p in pages] + [stage_seed(1, 1, None, nested)]
        out += [stage_seed(1, 4, b"k", j) for j in _small_json()[:2]]
        out += [stage_seed(2, 0, b"k", j) for j in _small_json()[3:6]]
        return out
    article = orjson.dumps(seed_article())
    key = seed_article()["id"].encode()
    if name == "categorizer":
        out = [stage_seed(0, 0, key, article), stage_seed(1, 0, key, text), stage_seed(1, 1, key, b"Markets")]
        out += [stage_seed(2, 0, key, b'{"title": 3, "topics": "x"}'), stage_seed(2, 0, key, b'{"body": ""}')]
        return out
    if name == "deduper":
        return [stage_seed(0, 0, key, article), *_deduper_seeds(article, key)]
    if name == "sink":
        return [stage_seed(0, 0, key, article), *_sink_seeds(article, key)]
    if name == "codec":
        return [article, orjson.dumps({**RAW_TEMPLATE, "content": "x"}), *_small_json()]

    raise KeyError(name)


def _deduper_seeds(article: bytes, key: bytes) -> list[bytes]:
    """Real index and gather messages of the seed article, an ArticleIn that completes at once."""
    from services.core.streaming.txn import InRecord
    from services.deduper import wire as dedupe_wire

    app = _deduper()
    for table in app.tables.values():
        table.begin_record()
    try:
        gather, *lookups = app.on_article(InRecord(app.topics.categorized, 0, 0, key, article))
    finally:
        for table in app.tables.values():
            table.rollback()
    message = dedupe_wire.gather_decoder.decode(gather.value or b"")
    assert isinstance(message, dedupe_wire.ArticleIn)
    at_once = dedupe_wire.encode(msgspec.structs.replace(message, expected=0))
    out = [stage_seed(0, 2, gather.key, gather.value or b""), stage_seed(0, 2, gather.key, at_once)]
    out += [stage_seed(0, 1, o.key, o.value or b"") for o in lookups[:2]]
    replies = dedupe_wire.Replies([("urls", "x.example/a", []), ("bands", "b0", [])])
    out.append(stage_seed(0, 2, gather.key, dedupe_wire.encode(replies)))
    updates = dedupe_wire.Updates([("urls", "x.example/a", {"id": "a"})], RECEIVED)  # type: ignore[list-item]
    out.append(stage_seed(0, 1, gather.key, dedupe_wire.encode(updates)))
    return out


def _sink_seeds(article: bytes, key: bytes) -> list[bytes]:
    """Every internal message the seed article causes in the sink and the related worker
    (views, story, index, offers, the published related list)."""
    other = orjson.dumps({**seed_article(), "id": "other", "title": seed_article()["title"] + " again"})
    messages: list[tuple[str, bytes | None, bytes]] = [
        ("articles", key, article),
        ("articles", b"other", other),
        ("article-index", key, article),
        ("article-index", b"other", other),
    ]
    out: list[bytes] = []
    table: dict[bytes, bytes] = {}
    index_of = {r: i for i, r in enumerate(SINK_ROLES)}
    seen: set[str] = set()
    while messages and len(out) < 24:
        role, k, value = messages.pop(0)
        out.append(stage_seed(0, index_of[role], k, value))
        seen.add(role)
        for o in sink_handle(role, k, value, table) or []:
            if o.topic in index_of and o.key is not None and (o.topic not in seen or o.topic == "offers"):
                messages.append((o.topic, o.key, o.value or b""))
    return out
