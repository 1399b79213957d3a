"""Kafka plumbing shared by all services: client settings and topic administration."""
