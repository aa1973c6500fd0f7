"""Reading DigitalOcean's billing wire formats: invoice CSVs, dollar amounts, dates. This is
an adapter: what leaves it are domain types (`CsvLine`, `InvoiceDocument`), never a CSV row.

The CSV is read by header name, so column order does not matter. Both formats are accepted:
the current 9 columns and the older 8 without `category`. `USD` values may carry a `$`, a
minus sign on either side of it and thousands separators; dates are `YYYY-MM-DD HH:MM:SS
+0000`; `hours` is empty on Taxes lines; a UTF-8 byte order mark is ignored; quoted fields may
hold commas. A file that cannot be read raises `InvoiceFormatError` naming the line and the
field, so that a person can fix it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from billing_ingest.domain.model import CsvLine, InvoiceDocument, InvoiceFormatError

# column (as normalized) → our field; aliases for spaced headers ("group description")
COLUMNS = {
    "product": "product",
    "group_description": "group_description",
    "description": "description",
    "hours": "hours",
    "duration": "hours",
    "start": "start",
    "start_time": "start",
    "end": "end",
    "end_time": "end",
    "usd": "usd",
    "amount": "usd",
    "project_name": "project_name",
    "category": "category",
}
REQUIRED = ("product", "description", "hours", "start", "end", "usd")
SHOWN = {"usd": "USD"}  # how a field is named in messages, as the file names it


def _error(
    message: str, *, line: int | None = None, field: str | None = None
) -> InvoiceFormatError:
    return InvoiceFormatError(message, line=line, field=SHOWN.get(field, field) if field else None)


_AMOUNT = re.compile(r"^(-)?\s*\$?\s*(-)?((?:\d{1,3}(?:,\d{3})+)|\d+)(?:\.(\d+))?$")
_CSV_DATE = "%Y-%m-%d %H:%M:%S %z"


class AmountError(ValueError):
    pass


def parse_cents(text: str) -> int:
    """'12.34', '$12.34', '-$1.00', '$-1.00', '$1,234.50' → integer cents (half-up past 2 dp)."""
    body = text[1:] if text[:1] == "$" else text
    whole_part, dot, fraction_part = body.partition(".")
    if dot and body.isascii() and whole_part.isdigit() and fraction_part.isdigit():
        if len(fraction_part) != 2:
            return parse_cents_slow(text)
        return int(whole_part) * 100 + int(fraction_part)  # the common case: $12.34
    return parse_cents_slow(text)


def parse_cents_slow(text: str) -> int:
    match = _AMOUNT.match(text.strip())
    if match is None or (match.group(1) and match.group(2)):
        raise AmountError(f"not a dollar amount: {text!r}")
    whole = int(match.group(3).replace(",", ""))
    fraction = match.group(4) or ""
    if len(fraction) <= 2:
        cents = whole * 100 + int((fraction + "00")[:2])
    else:
        value = Decimal(f"{whole}.{fraction}") * 100
        cents = int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return -cents if (match.group(1) or match.group(2)) else cents


def parse_csv_time(text: str) -> datetime:
    """`2026-04-01 00:00:00 +0000` (also RFC 3339 `2026-04-01T00:00:00Z`) → aware UTC."""
    try:
        return datetime.strptime(text, _CSV_DATE).astimezone(UTC)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"not a date (YYYY-MM-DD HH:MM:SS +0000): {text!r}") from exc
    if moment.tzinfo is None:
        raise ValueError(f"a date without a UTC offset: {text!r}")
    return moment.astimezone(UTC)


def _normalize(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def parse_invoice_csv(text: str) -> list[CsvLine]:
    """Every line of an invoice CSV, or `InvoiceFormatError` for the first thing wrong."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise _error("the file is empty: not even a header row")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except (csv.Error, StopIteration) as exc:
        raise _error(f"unreadable header: {exc}", line=1) from exc
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        field = COLUMNS.get(_normalize(name))
        if field is not None and field not in positions:
            positions[field] = index
    missing = [SHOWN.get(f, f) for f in REQUIRED if f not in positions]
    if missing:
        raise _error(
            f"missing column(s) {', '.join(missing)}; the header is {','.join(header)!r}",
            line=1,
        )
    rows = _fast_lines(reader, positions, len(header))
    if rows is not None:
        return rows
    # something is unusual (a blank or ragged row, a field spanning lines, a value that does
    # not parse): read it again row by row, which says exactly where and what
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    next(reader)
    return list(_lines(reader, positions, len(header)))


def _fast_lines(reader: Any, at: dict[str, int], width: int) -> list[CsvLine] | None:
    """The lines of a regular file, read column by column; None when anything is unusual.

    Regular: every row on one physical line with exactly `width` fields and every value
    parsing. Values repeat (dates, amounts, hours, products), so each distinct text is parsed
    once. Anything else returns None and the row-by-row reader gives the exact error.
    """
    first = reader.line_num + 1
    try:
        rows: list[list[str]] = list(reader)
    except csv.Error:
        return None
    count = len(rows)
    if reader.line_num - first + 1 != count and count:
        return None  # a quoted field spans lines: line numbers need the slow reader
    if count == 0:
        return []
    if set(map(len, rows)) != {width}:
        return None

    columns: list[tuple[str, ...]] = list(zip(*rows, strict=True))

    def column(position: int) -> tuple[str, ...]:
        return columns[position]

    def stripped(position: int) -> list[str]:
        values = column(position)
        table = {value: value.strip() for value in set(values)}
        return list(map(table.__getitem__, values))

    def optional(position: int | None) -> list[str | None]:
        if position is None:
            return [None] * count
        values = column(position)
        table = {value: value.strip() or None for value in set(values)}
        return list(map(table.__getitem__, values))

    products = stripped(at["product"])
    if "" in products:
        return None
    descriptions = stripped(at["description"])
    group_at = at.get("group_description")
    groups = stripped(group_at) if group_at is not None else [""] * count

    usd = column(at["usd"])
    cents: dict[str, int] = {}
    try:
        for value in set(usd):
            cents[value] = parse_cents(value)
    except AmountError:
        return None
    amounts = list(map(cents.__getitem__, usd))

    hours_text = column(at["hours"])
    hours_of: dict[str, Decimal | None] = {}
    for value in set(hours_text):
        plain = value.strip()
        if not plain:
            hours_of[value] = None
            continue
        try:
            number = Decimal(plain.replace(",", ""))
        except InvalidOperation:
            return None
        if not number.is_finite():
            return None
        hours_of[value] = number
    hours = list(map(hours_of.__getitem__, hours_text))

    moments: dict[str, datetime | None] = {}

    def dates(position: int) -> list[datetime | None] | None:
        values = column(position)
        for value in set(values):
            if value in moments:
                continue
            plain = value.strip()
            try:
                moments[value] = parse_csv_time(plain) if plain else None
            except ValueError:
                return None
        return list(map(moments.__getitem__, values))

    starts = dates(at["start"])
    ends = dates(at["end"])
    if starts is None or ends is None:
        return None
    return list(
        map(
            CsvLine,
            range(first, first + count),
            products,
            groups,
            descriptions,
            hours,
            starts,
            ends,
            amounts,
            optional(at.get("project_name")),
            optional(at.get("category")),
        )
    )


def _lines(reader: Any, at: dict[str, int], width: int) -> Iterable[CsvLine]:
    product_at, description_at = at["product"], at["description"]
    hours_at, start_at, end_at, usd_at = at["hours"], at["start"], at["end"], at["usd"]
    group_at = at.get("group_description")
    project_at = at.get("project_name")
    category_at = at.get("category")
    dates: dict[str, datetime] = {}
    hours_cache: dict[str, Decimal] = {}
    line_no = 1
    try:
        for row in reader:
            line_no = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line
            if len(row) != width:
                if len(row) < width:
                    raise _error(
                        f"expected {width} fields, found {len(row)} (a truncated row?)",
                        line=line_no,
                    )
                if any(value.strip() for value in row[width:]):
                    raise _error(f"expected {width} fields, found {len(row)}", line=line_no)
            product = row[product_at].strip()
            if not product:
                raise _error("empty", line=line_no, field="product")
            usd = row[usd_at]
            try:
                amount = parse_cents(usd)
            except AmountError as exc:
                raise _error(str(exc), line=line_no, field="usd") from exc
            hours_text = row[hours_at].strip()
            hours: Decimal | None = None
            if hours_text:
                hours = hours_cache.get(hours_text)
                if hours is None:
                    try:
                        hours = Decimal(hours_text.replace(",", ""))
                    except InvalidOperation as exc:
                        raise _error(
                            f"not a number: {hours_text!r}", line=line_no, field="hours"
                        ) from exc
                    if not hours.is_finite():
                        raise _error(f"not a number: {hours_text!r}", line=line_no, field="hours")
                    hours_cache[hours_text] = hours
            moments: list[datetime | None] = []
            for field, position in (("start", start_at), ("end", end_at)):
                value = row[position].strip()
                if not value:
                    moments.append(None)
                    continue
                moment = dates.get(value)
                if moment is None:
                    try:
                        moment = parse_csv_time(value)
                    except ValueError as exc:
                        raise _error(str(exc), line=line_no, field=field) from exc
                    dates[value] = moment
                moments.append(moment)
            yield CsvLine(
                line_no=line_no,
                product=product,
                group_description=row[group_at].strip() if group_at is not None else "",
                description=row[description_at].strip(),
                hours=hours,
                start_at=moments[0],
                end_at=moments[1],
                amount_cents=amount,
                project_name=(row[project_at].strip() or None) if project_at is not None else None,
                category=(row[category_at].strip() or None) if category_at is not None else None,
            )
    except csv.Error as exc:
        raise _error(f"unreadable row: {exc}", line=reader.line_num) from exc


def read_document(text: str) -> InvoiceDocument:
    """The parsed line set of an invoice CSV, with the file's digest."""
    return InvoiceDocument(
        parse_invoice_csv(text), hashlib.sha256(text.encode("utf-8")).hexdigest()
    )
