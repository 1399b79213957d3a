"""Deduper: exact, near-duplicate and story detection over a partitionable key-value index.

Pure logic (no Kafka): fingerprint.py (normalized body, hashes, sketches, LSH keys),
chrome.py (residual chrome), index.py (tables, eviction), similarity.py (verification),
story.py (stories), decide.py (the verdict: one-shot `dedupe` and the stream phases),
offline.py (`newsflow dedupe FILE`), corpus.py + evaluate.py (`newsflow eval dedupe`).
app.py wires it to faust.
"""
