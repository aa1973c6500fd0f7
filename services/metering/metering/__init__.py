"""Metering service."""
