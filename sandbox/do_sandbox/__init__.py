"""A faithful stand-in for the DigitalOcean API v2, seeded from named scenarios."""

from do_sandbox import scenarios
from do_sandbox.account import Account, ScenarioRef
from do_sandbox.app import create_app
from do_sandbox.call_budget import expected_list_calls
from do_sandbox.faults import Fault
from do_sandbox.ratelimit import RateLimit
from do_sandbox.serve import serve

__all__ = [
    "Account",
    "Fault",
    "RateLimit",
    "ScenarioRef",
    "create_app",
    "expected_list_calls",
    "scenarios",
    "serve",
]
