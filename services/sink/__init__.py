"""Sink: the latest/related/story state downstream consumers read (HTTP, topics, page)."""
