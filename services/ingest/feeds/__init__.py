"""RSS/Atom feeds polled on a schedule inside the ingest service (and by `newsflow ingest feed`).

Pure parts (config, parse, schedule, ssrf, items) know nothing of the network; the shell
(fetch, state, poller, service, once) wires them to httpx, sqlite and the produce path.
"""
