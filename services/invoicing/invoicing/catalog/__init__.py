"""The catalog file shipped with the package (`catalog.toml`), read with tomllib."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from invoicing.domain.catalog import Addon, CatalogError, Plan, PlanItem, check_addon, check_plan

DEFAULT = Path(__file__).parent / "catalog.toml"


@dataclass(frozen=True)
class CatalogFile:
    version: int
    plans: tuple[Plan, ...]
    addons: tuple[Addon, ...]


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, float):
        raise CatalogError(f"{what}: write decimals as strings, not floats ({value!r})")
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise CatalogError(f"{what}: not a number: {value!r}") from exc


def parse(data: dict[str, Any]) -> CatalogFile:
    try:
        plans = tuple(
            Plan(
                code=p["code"],
                name=p["name"],
                base_cents=int(p["base_cents"]),
                currency=p["currency"],
                items=tuple(
                    PlanItem(
                        billing_kind=i["billing_kind"],
                        included=_decimal(i["included"], f"{p['code']}.included"),
                        overage_rate=_decimal(i["overage_rate"], f"{p['code']}.overage_rate"),
                    )
                    for i in p.get("items", [])
                ),
            )
            for p in data.get("plans", [])
        )
        addons = tuple(
            Addon(
                code=a["code"],
                name=a["name"],
                price_cents=int(a["price_cents"]),
                currency=a["currency"],
                allowances={
                    k: _decimal(v, f"{a['code']}.{k}") for k, v in a.get("allowances", {}).items()
                },
            )
            for a in data.get("addons", [])
        )
        version = int(data["version"])
    except KeyError as exc:
        raise CatalogError(f"catalog entry lacks {exc}") from exc
    for plan in plans:
        check_plan(plan)
    for addon in addons:
        check_addon(addon)
    return CatalogFile(version=version, plans=plans, addons=addons)


def load(path: Path = DEFAULT) -> CatalogFile:
    with path.open("rb") as handle:
        return parse(tomllib.load(handle))
