"""newsflow: event-stream news ingestion services."""

__version__ = "0.1.0"
