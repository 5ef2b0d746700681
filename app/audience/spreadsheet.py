"""CSV that a spreadsheet opens as data, never as formulas.

Excel, LibreOffice and Google Sheets run a cell that begins with ``=``, ``+``, ``-`` or ``@``
as a formula (and a leading tab or carriage return hides such a start), so a poll answer
``=HYPERLINK(...)`` or ``+cmd|...`` in an export would run on the presenter's machine. Following
OWASP's rule for CSV injection, every text cell that begins with one of those characters is
written with a single quote in front, which spreadsheets show as text. Numbers the app computes
(counts, totals, means) stay numbers. Every CSV Chorus writes goes through ``csv_text``; JSON
exports are not touched and stay exact.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet should see it: text that could start a formula, quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """The rows as CSV text, every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
