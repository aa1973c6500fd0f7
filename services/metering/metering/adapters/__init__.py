"""Metering's adapters: SQL tables, repositories and queries."""
