"""Failures an operator fixes by configuration, not by reading a traceback."""

from __future__ import annotations


class OperatorError(Exception):
    """Raised where the cause is a setting: the command line prints the message, which names
    the variable to check, and exits 2."""
