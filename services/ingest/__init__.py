"""Ingest: accept raw articles over HTTP (and from files via the CLI) onto news.raw."""
