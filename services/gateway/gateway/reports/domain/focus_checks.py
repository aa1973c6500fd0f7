"""The rules a FOCUS 1.3 Cost and Usage dataset must follow, checked on its wire form.

A dataset here is a header (column names) and rows of text cells, exactly as the CSV carries
them: an empty cell is a null. That makes the same checks serve the export's own self-check,
the tests, and anyone who reads an exported file back with `csv.DictReader`.

What is checked, per the FOCUS 1.3 column definitions:
- the header: every mandatory column is present, no column is unknown to 1.3 (custom columns
  must start with `x_`), no column twice;
- per row: mandatory columns that do not allow nulls are set; decimals parse and are plain
  (no exponent, no thousands separator); date/times are ISO 8601 in UTC with a `Z`; each
  period starts before it ends; allowed values (ChargeCategory, ChargeClass, ChargeFrequency,
  ServiceCategory, ServiceSubcategory within its category, ...); currencies are ISO 4217;
  the conditional nullability rules (Tax rows carry no pricing quantity, unit or list unit
  price; Usage and Purchase rows that are not corrections do; consumed quantity only on Usage;
  unit beside quantity; a resource type beside a resource id; a sub-account name beside its
  id); JSON columns hold an object; ListUnitPrice * PricingQuantity = ListCost exactly where
  both are set and the row is not a correction;
- across rows: the BilledCost of each InvoiceId sums to that invoice's payable amount (tax
  included), every invoice named is expected and every expected invoice is there, in one
  currency.

Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation, localcontext
from enum import StrEnum

FOCUS_VERSION = "1.3"


class Level(StrEnum):
    MANDATORY = "Mandatory"
    RECOMMENDED = "Recommended"
    CONDITIONAL = "Conditional"


class DataType(StrEnum):
    STRING = "String"
    DECIMAL = "Decimal"
    DATETIME = "Date/Time"
    JSON = "JSON"


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    name: str
    level: Level
    allows_nulls: bool
    data_type: DataType
    deprecated: bool = False


M, R, C = Level.MANDATORY, Level.RECOMMENDED, Level.CONDITIONAL
S, D, T, J = DataType.STRING, DataType.DECIMAL, DataType.DATETIME, DataType.JSON

# The 65 columns of the FOCUS 1.3 Cost and Usage dataset with their content constraints:
# the 57 of 1.2, the allocation columns, ContractApplied, and ServiceProviderName and
# HostProviderName, which replace ProviderName and PublisherName (deprecated in 1.3, still
# mandatory and not null until they are removed).
COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("AllocatedMethodDetails", R, True, J),
    ColumnSpec("AllocatedMethodId", C, True, S),
    ColumnSpec("AllocatedResourceId", C, True, S),
    ColumnSpec("AllocatedResourceName", C, True, S),
    ColumnSpec("AllocatedTags", C, True, J),
    ColumnSpec("AvailabilityZone", R, True, S),
    ColumnSpec("BilledCost", M, False, D),
    ColumnSpec("BillingAccountId", M, False, S),
    ColumnSpec("BillingAccountName", M, True, S),
    ColumnSpec("BillingAccountType", C, False, S),
    ColumnSpec("BillingCurrency", M, False, S),
    ColumnSpec("BillingPeriodEnd", M, False, T),
    ColumnSpec("BillingPeriodStart", M, False, T),
    ColumnSpec("CapacityReservationId", C, True, S),
    ColumnSpec("CapacityReservationStatus", C, True, S),
    ColumnSpec("ChargeCategory", M, False, S),
    ColumnSpec("ChargeClass", M, True, S),
    ColumnSpec("ChargeDescription", M, True, S),
    ColumnSpec("ChargeFrequency", R, False, S),
    ColumnSpec("ChargePeriodEnd", M, False, T),
    ColumnSpec("ChargePeriodStart", M, False, T),
    ColumnSpec("CommitmentDiscountCategory", C, True, S),
    ColumnSpec("CommitmentDiscountId", C, True, S),
    ColumnSpec("CommitmentDiscountName", C, True, S),
    ColumnSpec("CommitmentDiscountQuantity", C, True, D),
    ColumnSpec("CommitmentDiscountStatus", C, True, S),
    ColumnSpec("CommitmentDiscountType", C, True, S),
    ColumnSpec("CommitmentDiscountUnit", C, True, S),
    ColumnSpec("ConsumedQuantity", C, True, D),
    ColumnSpec("ConsumedUnit", C, True, S),
    ColumnSpec("ContractApplied", C, True, J),
    ColumnSpec("ContractedCost", M, False, D),
    ColumnSpec("ContractedUnitPrice", C, True, D),
    ColumnSpec("EffectiveCost", M, False, D),
    ColumnSpec("HostProviderName", M, True, S),
    ColumnSpec("InvoiceId", R, True, S),
    ColumnSpec("InvoiceIssuerName", M, False, S),
    ColumnSpec("ListCost", M, False, D),
    ColumnSpec("ListUnitPrice", C, True, D),
    ColumnSpec("PricingCategory", C, True, S),
    ColumnSpec("PricingCurrency", C, True, S),
    ColumnSpec("PricingCurrencyContractedUnitPrice", C, True, D),
    ColumnSpec("PricingCurrencyEffectiveCost", C, True, D),
    ColumnSpec("PricingCurrencyListUnitPrice", C, True, D),
    ColumnSpec("PricingQuantity", M, True, D),
    ColumnSpec("PricingUnit", M, True, S),
    ColumnSpec("ProviderName", M, False, S, deprecated=True),
    ColumnSpec("PublisherName", M, False, S, deprecated=True),
    ColumnSpec("RegionId", C, True, S),
    ColumnSpec("RegionName", C, True, S),
    ColumnSpec("ResourceId", C, True, S),
    ColumnSpec("ResourceName", C, True, S),
    ColumnSpec("ResourceType", C, True, S),
    ColumnSpec("ServiceCategory", M, False, S),
    ColumnSpec("ServiceName", M, False, S),
    ColumnSpec("ServiceProviderName", M, False, S),
    ColumnSpec("ServiceSubcategory", R, False, S),
    ColumnSpec("SkuId", C, True, S),
    ColumnSpec("SkuMeter", C, True, S),
    ColumnSpec("SkuPriceDetails", C, True, J),
    ColumnSpec("SkuPriceId", C, True, S),
    ColumnSpec("SubAccountId", C, True, S),
    ColumnSpec("SubAccountName", C, True, S),
    ColumnSpec("SubAccountType", C, True, S),
    ColumnSpec("Tags", C, True, J),
)
SPEC: dict[str, ColumnSpec] = {column.name: column for column in COLUMNS}
MANDATORY: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.level is Level.MANDATORY)

CHARGE_CATEGORIES = frozenset({"Usage", "Purchase", "Tax", "Credit", "Adjustment"})
CORRECTION = "Correction"
CHARGE_FREQUENCIES = frozenset({"One-Time", "Recurring", "Usage-Based"})
PRICING_CATEGORIES = frozenset({"Standard", "Dynamic", "Committed", "Other"})
SERVICE_SUBCATEGORIES: dict[str, frozenset[str]] = {
    "AI and Machine Learning": frozenset(
        {
            "AI Platforms",
            "Bots",
            "Generative AI",
            "Machine Learning",
            "Natural Language Processing",
            "Other (AI and Machine Learning)",
        }
    ),
    "Analytics": frozenset(
        {
            "Analytics Platforms",
            "Business Intelligence",
            "Data Processing",
            "Search",
            "Streaming Analytics",
            "Other (Analytics)",
        }
    ),
    "Business Applications": frozenset(
        {"Productivity and Collaboration", "Other (Business Applications)"}
    ),
    "Compute": frozenset(
        {
            "Containers",
            "End User Computing",
            "Quantum Compute",
            "Serverless Compute",
            "Virtual Machines",
            "Other (Compute)",
        }
    ),
    "Databases": frozenset(
        {
            "Caching",
            "Data Warehouses",
            "Ledger Databases",
            "NoSQL Databases",
            "Relational Databases",
            "Time Series Databases",
            "Other (Databases)",
        }
    ),
    "Developer Tools": frozenset(
        {
            "Developer Platforms",
            "Continuous Integration and Deployment",
            "Development Environments",
            "Source Code Management",
            "Quality Assurance",
            "Other (Developer Tools)",
        }
    ),
    "Identity": frozenset({"Identity and Access Management", "Other (Identity)"}),
    "Integration": frozenset(
        {"API Management", "Messaging", "Workflow Orchestration", "Other (Integration)"}
    ),
    "Internet of Things": frozenset(
        {"IoT Analytics", "IoT Platforms", "Other (Internet of Things)"}
    ),
    "Management and Governance": frozenset(
        {
            "Architecture",
            "Compliance",
            "Cost Management",
            "Data Governance",
            "Disaster Recovery",
            "Endpoint Management",
            "Observability",
            "Support",
            "Other (Management and Governance)",
        }
    ),
    "Media": frozenset(
        {
            "Content Creation",
            "Gaming",
            "Media Streaming",
            "Mixed Reality",
            "Other (Media)",
        }
    ),
    "Migration": frozenset({"Data Migration", "Resource Migration", "Other (Migration)"}),
    "Mobile": frozenset({"Other (Mobile)"}),
    "Multicloud": frozenset({"Multicloud Integration", "Other (Multicloud)"}),
    "Networking": frozenset(
        {
            "Application Networking",
            "Content Delivery",
            "Network Connectivity",
            "Network Infrastructure",
            "Network Routing",
            "Network Security",
            "Other (Networking)",
        }
    ),
    "Security": frozenset(
        {
            "Secret Management",
            "Security Posture Management",
            "Threat Detection and Response",
            "Other (Security)",
        }
    ),
    "Storage": frozenset(
        {
            "Backup Storage",
            "Block Storage",
            "File Storage",
            "Object Storage",
            "Storage Platforms",
            "Other (Storage)",
        }
    ),
    "Web": frozenset({"Application Platforms", "Other (Web)"}),
    "Other": frozenset({"Other (Other)"}),
}
SERVICE_CATEGORIES = frozenset(SERVICE_SUBCATEGORIES)

# ISO 4217 alphabetic codes (the list the FOCUS validator checks against, plus ZWG and XCG,
# added to ISO 4217 in 2024 and 2025)
_ISO_4217 = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP
    DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR
    IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD
    MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB
    PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD
    SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS
    VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA
    XXX YER ZAR ZMW ZWG ZWL
"""
CURRENCIES = frozenset(_ISO_4217.split())
CURRENCY_COLUMNS = ("BillingCurrency", "PricingCurrency")

# allowed values of the other enumerated columns, checked when they are set
ALLOWED: dict[str, frozenset[str]] = {
    "ChargeCategory": CHARGE_CATEGORIES,
    "ChargeClass": frozenset({CORRECTION}),
    "ChargeFrequency": CHARGE_FREQUENCIES,
    "PricingCategory": PRICING_CATEGORIES,
    "ServiceCategory": SERVICE_CATEGORIES,
    "CommitmentDiscountCategory": frozenset({"Spend", "Usage"}),
    "CommitmentDiscountStatus": frozenset({"Used", "Unused"}),
    "CapacityReservationStatus": frozenset({"Used", "Unused"}),
}
PERIODS = (("BillingPeriodStart", "BillingPeriodEnd"), ("ChargePeriodStart", "ChargePeriodEnd"))

# NumericFormat: optional sign, digits, optional fraction; no exponent, no separators
_PLAIN_DECIMAL = re.compile(r"^-?\d+(?:\.\d+)?$")
# DateTimeFormat: ISO 8601 in UTC, to the second, with a Z
_UTC_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

Row = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    message: str
    row: int | None = None  # 1-based data row; None for the header or the whole dataset
    column: str | None = None

    def __str__(self) -> str:
        where = "header" if self.row is None else f"row {self.row}"
        if self.column:
            where += f", {self.column}"
        return f"{where}: {self.message} [{self.rule}]"


def parse_decimal(text: str) -> Decimal:
    """A cell in FOCUS numeric format as a Decimal; ValueError otherwise."""
    if not _PLAIN_DECIMAL.match(text):
        raise ValueError(f"{text!r} is not a plain decimal")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only valid ones
        raise ValueError(f"{text!r} is not a decimal") from exc


def parse_datetime(text: str) -> datetime:
    """A cell in FOCUS date/time format (UTC, `Z`) as an aware datetime; ValueError otherwise."""
    if not _UTC_DATETIME.match(text):
        raise ValueError(f"{text!r} is not an ISO 8601 UTC date/time ending in Z")
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def exact_product(a: Decimal, b: Decimal) -> Decimal:
    """a * b with no rounding at all: enough precision for every digit of both."""
    digits = len(a.as_tuple().digits) + len(b.as_tuple().digits)
    with localcontext() as context:
        context.prec = max(digits, 28)
        return a * b


def check_columns(columns: Sequence[str]) -> list[Violation]:
    found: list[Violation] = []
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            found.append(Violation("column-unique", f"{name} appears more than once"))
        seen.add(name)
        if name not in SPEC and not name.startswith("x_"):
            found.append(
                Violation("column-known", f"{name} is not a FOCUS {FOCUS_VERSION} column", None)
            )
    for name in MANDATORY:
        if name not in seen:
            found.append(Violation("column-mandatory", f"mandatory column {name} is missing"))
    return found


def check_row(row: Row, number: int) -> list[Violation]:
    """Every rule that one row must satisfy on its own."""
    found: list[Violation] = []

    def bad(rule: str, column: str | None, message: str) -> None:
        found.append(Violation(rule, message, number, column))

    def value(name: str) -> str:
        return row.get(name) or ""

    def present(name: str) -> bool:
        return name in row

    decimals: dict[str, Decimal] = {}
    times: dict[str, datetime] = {}
    for name, text in row.items():
        spec = SPEC.get(name)
        if spec is None:
            continue
        if text == "":
            if not spec.allows_nulls:
                bad("not-null", name, f"{name} must not be null")
            continue
        if spec.data_type is DataType.DECIMAL:
            try:
                decimals[name] = parse_decimal(text)
            except ValueError as exc:
                bad("decimal", name, str(exc))
        elif spec.data_type is DataType.DATETIME:
            try:
                times[name] = parse_datetime(text)
            except ValueError as exc:
                bad("datetime", name, str(exc))
        elif spec.data_type is DataType.JSON:
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                bad("json-object", name, f"{name} is not a JSON object")
        allowed = ALLOWED.get(name)
        if allowed is not None and text not in allowed:
            bad("allowed-value", name, f"{text!r} is not an allowed {name}")
        if name in CURRENCY_COLUMNS and text not in CURRENCIES:
            bad("currency", name, f"{text!r} is not an ISO 4217 currency code")

    for start, end in PERIODS:
        if start in times and end in times and not times[start] < times[end]:
            bad("period-order", start, f"{start} must be before {end}")

    category = value("ServiceCategory")
    subcategory = value("ServiceSubcategory")
    if (
        subcategory
        and category in SERVICE_SUBCATEGORIES
        and subcategory not in SERVICE_SUBCATEGORIES[category]
    ):
        bad(
            "allowed-value",
            "ServiceSubcategory",
            f"{subcategory!r} is not a subcategory of {category!r}",
        )

    charge = value("ChargeCategory")
    correction = value("ChargeClass") == CORRECTION
    priced = charge in ("Usage", "Purchase") and not correction
    if charge == "Purchase" and value("ChargeFrequency") == "Usage-Based":
        bad("charge-frequency", "ChargeFrequency", "a Purchase is never Usage-Based")
    if charge == "Tax":
        for name in ("PricingQuantity", "PricingUnit", "ListUnitPrice", "ContractedUnitPrice"):
            if value(name):
                bad("tax-unpriced", name, f"{name} must be null on a Tax row")
    if priced:
        for name in ("PricingQuantity", "PricingUnit", "ListUnitPrice", "ContractedUnitPrice"):
            if present(name) and not value(name):
                bad("priced", name, f"{name} must be set on a {charge} row")
    if bool(value("PricingQuantity")) != bool(value("PricingUnit")):
        bad("unit-with-quantity", "PricingUnit", "PricingUnit and PricingQuantity go together")
    if present("ConsumedQuantity"):
        if charge != "Usage" and value("ConsumedQuantity"):
            bad("consumed", "ConsumedQuantity", "ConsumedQuantity must be null unless Usage")
        if charge == "Usage" and not correction and not value("ConsumedQuantity"):
            bad("consumed", "ConsumedQuantity", "ConsumedQuantity must be set on a Usage row")
    if bool(value("ConsumedQuantity")) != bool(value("ConsumedUnit")):
        bad("unit-with-quantity", "ConsumedUnit", "ConsumedUnit and ConsumedQuantity go together")
    if bool(value("ResourceId")) != bool(value("ResourceType")) and present("ResourceType"):
        bad("resource-type", "ResourceType", "ResourceType is set exactly when ResourceId is")
    if bool(value("SubAccountId")) != bool(value("SubAccountName")) and present("SubAccountName"):
        bad("sub-account", "SubAccountName", "SubAccountName is set exactly when SubAccountId is")
    if "ListUnitPrice" in decimals and decimals["ListUnitPrice"] < 0:
        bad("list-unit-price", "ListUnitPrice", "ListUnitPrice must not be negative")

    for price, cost in (("ListUnitPrice", "ListCost"), ("ContractedUnitPrice", "ContractedCost")):
        if (
            not correction
            and price in decimals
            and "PricingQuantity" in decimals
            and cost in decimals
        ):
            expected = exact_product(decimals[price], decimals["PricingQuantity"])
            if expected != decimals[cost]:
                bad(
                    "cost-product",
                    cost,
                    f"{cost} {row[cost]} is not {price} * PricingQuantity = {expected}",
                )
    return found


def check_invoices(rows: Iterable[Row], payable: Mapping[str, Decimal]) -> list[Violation]:
    """The BilledCost of each InvoiceId sums to that invoice's payable amount, tax included."""
    found: list[Violation] = []
    sums: dict[str, Decimal] = {}
    currencies: dict[str, set[str]] = {}
    for number, row in enumerate(rows, start=1):
        invoice = row.get("InvoiceId") or ""
        if not invoice:
            continue
        if invoice not in payable:
            found.append(
                Violation(
                    "invoice-known", f"invoice {invoice} is not expected", number, "InvoiceId"
                )
            )
        try:
            billed = parse_decimal(row.get("BilledCost") or "")
        except ValueError:
            continue  # reported by check_row
        sums[invoice] = sums.get(invoice, Decimal(0)) + billed
        currencies.setdefault(invoice, set()).add(row.get("BillingCurrency") or "")
    for invoice, amount in sorted(payable.items()):
        total = sums.get(invoice, Decimal(0))
        if total != amount:
            found.append(
                Violation(
                    "invoice-total",
                    f"BilledCost of invoice {invoice} sums to {total}, its payable amount is "
                    f"{amount}",
                )
            )
    for invoice, seen in sorted(currencies.items()):
        if len(seen) > 1:
            found.append(
                Violation(
                    "invoice-currency",
                    f"invoice {invoice} is billed in {len(seen)} currencies: "
                    + ", ".join(sorted(seen)),
                )
            )
    return found


def check(
    columns: Sequence[str], rows: Sequence[Row], payable: Mapping[str, Decimal]
) -> list[Violation]:
    """Every rule: header, each row, and the invoices' totals. Empty means the dataset passes."""
    found = check_columns(columns)
    header = set(columns)
    for number, row in enumerate(rows, start=1):
        if set(row) != header:
            found.append(
                Violation("row-shape", "the row's columns are not the header's", number, None)
            )
        found.extend(check_row(row, number))
    found.extend(check_invoices(rows, payable))
    return found
