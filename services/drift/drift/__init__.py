"""Drift service."""
