"""Shared core: settings, topic names, models, schemas, logging, metrics, CLI."""
