"""Billing ingest service."""
