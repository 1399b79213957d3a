"""Run atheris targets under libFuzzer.

    python -m tests.unit.fuzz.fuzz_main TARGET CORPUS_DIR [libFuzzer flags]   # one target
    python -m tests.unit.fuzz.fuzz_main TARGET CORPUS_DIR crash-...           # replay a crash
    python -m tests.unit.fuzz.fuzz_main --all --seconds 600 --out DIR [--strict]  # `make fuzz`

Why a module of its own: atheris can only guide by coverage the code imported inside
`instrument_imports`, so the modules a target drives (TARGET_MODULES) are imported here,
in that block, before anything else imports them; the rest of services (faust, the
other stages) is imported afterwards, uninstrumented, which keeps start-up and each
run cheap. The seeds (atheris_targets.seeds) are written to CORPUS/../seeds-TARGET and
passed as a second, read-only corpus; new inputs go to CORPUS, crashes to
-artifact_prefix. Exit status 0 = no crash found.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TARGET_MODULES = {
    "ingest": ["services.ingest.requests", "services.ingest.decode"],
    "ingest_http": ["services.ingest.app"],
    "normalizer": ["services.normalizer.app"],
    "categorizer": ["services.categorizer.app"],
    "deduper": ["services.deduper.app"],
    "sink": ["services.sink.handlers", "services.sink.wire"],
    "codec": ["services.core.codec"],
    "broken": ["services.ingest.requests"],  # test_atheris.py: proves a crash is reported
}
TARGETS = [name for name in TARGET_MODULES if name != "broken"]


def fuzz_one(argv: list[str]) -> None:
    """Instrument the target's modules, write its seeds, hand over to libFuzzer (never returns)."""
    import importlib

    import atheris

    name, corpus = argv[1], Path(argv[2])
    logging.disable(logging.CRITICAL)  # DLQ warnings, aiohttp 500s: noise at 1000s/s
    with atheris.instrument_imports(include=["services"]):
        for module in TARGET_MODULES[name]:
            importlib.import_module(module)
    from tests.unit.fuzz import atheris_targets as targets

    target = targets.TARGETS[name]
    corpus.mkdir(parents=True, exist_ok=True)
    seed_dir = corpus.parent / f"seeds-{name}"
    seed_dir.mkdir(parents=True, exist_ok=True)
    for seed in targets.seeds(name):
        (seed_dir / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    if name == "ingest_http":
        targets._http()  # start the server before libFuzzer counts time and memory
    replay = [a for a in argv[3:] if not a.startswith("-")]  # crash files: run just those
    atheris.Setup([argv[0], *argv[3:], *([] if replay else [str(corpus), str(seed_dir)])], target)
    atheris.Fuzz()


@dataclass(frozen=True)
class Result:
    target: str
    returncode: int
    crashes: list[Path]
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.crashes


def run_target(
    target: str,
    out: Path,
    seconds: int,
    *,
    runs: int = -1,
    rss_limit_mb: int = 2048,
    timeout_s: int = 20,
    max_len: int = 64 * 1024,
    seed: int = 0,
    strict: bool = False,
) -> Result:
    """One bounded libFuzzer run in a subprocess; crashes land in out/crashes-TARGET/."""
    crashes = out / f"crashes-{target}"
    crashes.mkdir(parents=True, exist_ok=True)
    flags = [
        f"-max_total_time={seconds}",
        f"-runs={runs}",
        f"-rss_limit_mb={rss_limit_mb}",
        f"-timeout={timeout_s}",
        f"-max_len={max_len}",
        f"-seed={seed}",
        f"-artifact_prefix={crashes}/",
        "-print_final_stats=1",
    ]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NEWSFLOW_FUZZ_STRICT": "1" if strict else "0",
        "NEWSFLOW_FUZZ_WORKDIR": str(out / f"work-{target}"),  # the deduper's RocksDB tables
    }
    command = [sys.executable, "-m", "tests.unit.fuzz.fuzz_main", target, str(out / f"corpus-{target}")]
    proc = subprocess.run(
        [*command, *flags],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=seconds + 300,
    )
    found = sorted(p for p in crashes.iterdir() if p.name.startswith(("crash-", "oom-", "timeout-", "leak-")))
    return Result(target, proc.returncode, found, proc.stdout + proc.stderr)


def fuzz_all(out: Path, seconds: int, jobs: int, strict: bool) -> int:
    """`make fuzz`: every target for `seconds`, `jobs` at a time; 1 if any found a crash."""
    with ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(lambda t: run_target(t, out, seconds, strict=strict), TARGETS))
    for result in results:
        (out / f"log-{result.target}.txt").write_text(result.output)
        status = "ok" if result.ok else f"CRASH (exit {result.returncode})"
        print(
            f"{result.target:12} {status:20} {len(result.crashes)} artifact(s) in {out}/crashes-{result.target}"
        )
    return 0 if all(r.ok for r in results) else 1


def main(argv: list[str]) -> None:
    if len(argv) > 1 and argv[1] == "--all":
        parser = argparse.ArgumentParser(prog="fuzz_main --all")
        parser.add_argument("--seconds", type=int, default=600, help="per target")
        parser.add_argument("--out", type=Path, default=ROOT / "fuzz-out")
        parser.add_argument("--jobs", type=int, default=2, help="targets fuzzed at once")
        parser.add_argument(
            "--strict", action="store_true", help="report KNOWN_BUGS too (libFuzzer stops at the first)"
        )
        args = parser.parse_args(argv[2:])
        raise SystemExit(fuzz_all(args.out, args.seconds, args.jobs, strict=args.strict))
    if len(argv) < 3 or argv[1] not in TARGET_MODULES:
        raise SystemExit(f"usage: {argv[0]} {{{','.join(TARGET_MODULES)}}} CORPUS_DIR [libFuzzer flags]")
    fuzz_one(argv)


if __name__ == "__main__":
    main(sys.argv)
