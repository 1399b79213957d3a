"""`newsflow` command line: run services, the local dev system, offline stages, evals."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from services.core.priority import lower_priority
from services.core.settings import SERVICE_SETTINGS

SERVICES = tuple(SERVICE_SETTINGS)
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CORPORA = REPO_ROOT.parent / "shared" / "corpora"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run one service in the foreground (settings from NEWSFLOW_*)")
    run.add_argument("service", choices=SERVICES)

    dev = sub.add_parser("dev", help="local Kafka + all five services, restarted if they die")
    dev.add_argument("--kafka-port", type=int, default=9092)
    dev.add_argument("--data-dir", type=Path, default=Path(".data"))
    dev.add_argument("--no-kafka", action="store_true", help="use an already running broker")
    dev.add_argument("--sample", action="append", default=[], help="file or folder to ingest once ready")

    topics = sub.add_parser("topics", help="create the contract topics (idempotent)")
    topics.add_argument("action", choices=["create", "list"])

    kafka = sub.add_parser("kafka", help="run the local single-node Kafka broker (from Maven jars)")
    kafka.add_argument("--port", type=int, default=9092)
    kafka.add_argument("--data-dir", type=Path, default=Path(".data/kafka"))

    ingest = sub.add_parser(
        "ingest",
        help="send files/folders (.html .txt .json .jsonl .warc, .gz) to the ingest API; "
        "`ingest feed URL... --once` polls feeds by hand",
    )
    ingest.add_argument("paths", nargs="+", help="files/folders, or `feed URL...`")
    ingest.add_argument("--api", default="http://127.0.0.1:8000")
    ingest.add_argument("--format", default=None)
    ingest.add_argument("--concurrency", type=int, default=8)
    ingest.add_argument("--no-progress", action="store_true")
    ingest.add_argument("--backfill", action="store_true", help="send as backfill (server-side rate limit)")
    ingest.add_argument("--rate", type=float, default=None, help="at most N documents per second")
    ingest.add_argument("--state-dir", type=Path, default=None, help="resume/seen state (default: per form)")
    ingest.add_argument("--no-resume", action="store_true", help="send again what was sent before")
    ingest.add_argument("--token", default=None, help="bearer token (default: $NEWSFLOW_INGEST_TOKEN)")
    ingest.add_argument("--once", action="store_true", help="feed form: poll once and exit")
    ingest.add_argument("--source", default=None, help="feed form: publisher name (default: host)")
    ingest.add_argument("--section", default=None, help="feed form: section hint")
    ingest.add_argument("--interval", type=float, default=None, help="feed form: poll interval (s)")

    norm = sub.add_parser("normalize", help="raw file(s) -> normalized article JSON lines")
    norm.add_argument("files", nargs="+")
    norm.add_argument("--format", choices=["auto", "html", "text", "feed", "json"], default=None)
    norm.add_argument("--url", default=None)

    for name, help_text in (
        ("categorize", "article JSON lines -> categorized"),
        ("dedupe", "article JSON lines -> with dedupe verdicts"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("file", nargs="?", default="-")

    rel = sub.add_parser("related", help="article JSON lines -> related lists")
    rel.add_argument("file", nargs="?", default="-")
    rel.add_argument("--top", type=int, default=10)

    proc = sub.add_parser("process", help="normalize + categorize + dedupe offline")
    proc.add_argument("files", nargs="+")
    proc.add_argument("--format", choices=["auto", "html", "text", "feed", "json"], default=None)
    proc.add_argument(
        "--views",
        type=Path,
        default=None,
        help="also run the sink's and the related worker's handlers; write the views and related lists here",
    )

    ev = sub.add_parser("eval", help="measure quality and speed on public corpora")
    ev.add_argument("what", choices=["extraction", "categorizer", "dedupe", "related"])
    ev.add_argument("--corpus", type=Path, default=None)
    ev.add_argument("--limit", type=int, default=None)

    train = sub.add_parser("train", help="train a bundled model")
    train.add_argument("what", choices=["categorizer"])
    train.add_argument("--corpus", type=Path, default=DEFAULT_CORPORA)
    train.add_argument("--out", type=Path, default=None)

    audit = sub.add_parser("audit", help="accepted ingest ids vs news.articles/duplicates/dlq")
    audit.add_argument("--since", default=None, help="RFC 3339 time; default: everything retained")

    settings = sub.add_parser("settings", help="print every setting with its env var and default")
    settings.add_argument("--markdown", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out = sys.stdout
    match args.command:
        case "run":
            module = importlib.import_module(f"services.{args.service}.app")
            service_settings = SERVICE_SETTINGS[args.service]()
            lower_priority(service_settings.nice)
            module.main(service_settings)
            return 0
        case "dev":
            from services.core.commands.dev import run_dev

            return run_dev(args.kafka_port, args.data_dir, not args.no_kafka, args.sample)
        case "topics":
            from services.core.commands.topics import run_topics

            return run_topics(args.action)
        case "kafka":
            from services.core.commands.dev import run_kafka

            return run_kafka(args.port, args.data_dir)
        case "ingest":
            from services.ingest.commands import run_ingest

            return run_ingest(args)
        case "normalize":
            from services.core.commands.offline import run_normalize

            return run_normalize(args.files, args.format, args.url, out)
        case "categorize":
            from services.core.commands.offline import run_categorize

            return run_categorize(args.file, out)
        case "dedupe":
            from services.core.commands.offline import run_dedupe

            return run_dedupe(args.file, out)
        case "related":
            from services.core.commands.offline import run_related

            return run_related(args.file, args.top, out)
        case "process":
            from services.core.commands.offline import run_process

            if args.views is None:
                return run_process(args.files, args.format, out)
            with args.views.open("w", encoding="utf-8") as views:
                return run_process(args.files, args.format, out, views)
        case "eval":
            from services.core.commands.evaluate import run_eval

            return run_eval(args.what, args.corpus, args.limit, out)
        case "train":
            from services.core.commands.evaluate import run_train

            return run_train(args.what, args.corpus, args.out, out)
        case "audit":
            from services.core.commands.audit import run_audit

            return run_audit(args.since, out)
        case "settings":
            from services.core.commands.settings_doc import run_settings

            return run_settings(args.markdown, out)
    return 2


if __name__ == "__main__":
    sys.exit(main())
