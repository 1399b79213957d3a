"""`newsflow ingest ...` dispatch: files and folders, or `ingest feed URL...`.

`feed` as the first word selects the feed form (a file really named `feed` is
`./feed`). Kept here so services/core/cli.py holds only the arguments.
"""

from __future__ import annotations

import argparse
import os


def run_ingest(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get("NEWSFLOW_INGEST_TOKEN") or None
    if args.paths[0] == "feed":
        from services.ingest.feeds.once import run_feed

        return run_feed(
            args.paths[1:],
            api=args.api,
            once=args.once,
            source=args.source,
            section=args.section,
            interval_s=args.interval,
            state_dir=args.state_dir,
            token=token,
        )
    from services.ingest.upload import run_upload

    return run_upload(
        args.paths,
        args.api,
        args.format,
        args.concurrency,
        not args.no_progress,
        backfill=args.backfill,
        rate=args.rate,
        state_dir=args.state_dir,
        resume=not args.no_resume,
        token=token,
    )
