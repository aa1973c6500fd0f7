"""Named accounts to serve: ``seeds``, ``generated``, or a JSON file in the export format."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from do_sandbox.account import Account, ScenarioRef
from do_sandbox.scenarios import generated, seeds, seeds_billing


def seeds_account() -> Account:
    """The seeds' account: its resources (`seeds`) and its bills (`seeds_billing`)."""
    account = seeds.build()
    account.billing = seeds_billing.build()
    return account


SCENARIOS: dict[str, Callable[..., Account]] = {
    "seeds": seeds_account,
    "generated": generated.build,
}


def load(name: str, **params: Any) -> Account:
    """Build the named scenario, or read ``name`` as a path to a ``.json`` scenario file.

    A scenario file holds the collections as the API lists them (``"droplets": [...]``,
    ``"reserved_ips": [...]``, ``"backups": [...]`` ...) plus ``"project_resources"``,
    project id to ``[{"urn", "assigned_at"}]``: what ``Account.to_json`` writes.
    """
    if name in SCENARIOS:
        build = SCENARIOS[name]
        try:
            inspect.signature(build).bind(**params)
        except TypeError as exc:
            raise TypeError(f"scenario {name!r}: {exc}") from None
        account = build(**params)
    elif name.endswith(".json"):
        if params:
            raise TypeError(f"a scenario file takes no parameters, got {sorted(params)}")
        account = Account.from_json(json.loads(Path(name).read_text()))
    else:
        raise ValueError(f"unknown scenario {name!r}: not one of {sorted(SCENARIOS)} or a .json")
    account.scenario = ScenarioRef(name, dict(params))
    return account


__all__ = ["SCENARIOS", "load"]
