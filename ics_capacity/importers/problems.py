"""What is wrong with an imported file, said so a person can find and fix it.

Every importer collects all the problems it finds as `ImportProblem`s and raises them together in
one `ImportValidationError`, so a whole report can be shown before anything is written. Rows are
numbered as a spreadsheet shows them: in a file with a header, the header is row 1 and the first
data row is row 2.

The helpers below are shared by the importers: finding columns by meaning (an alias table, not
position), reading a table's records by meaning, and turning text cells into numbers while reporting
every cell that is not one. Reading
files (zips within limits, CSV encodings) is `importers.files`.
"""

import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ics_capacity.domain.errors import ServiceError

MAX_PROBLEMS_IN_MESSAGE = 20
_MAX_VALUE_CHARS = 60
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with an imported file, and where it is.

    Attributes:
        file: The file's name as the user knows it, e.g. "kh03.csv".
        row: Spreadsheet row number (header = row 1), or None if the problem is not in one row.
        column: Column name as the file spells it, or None if the problem is not in one column.
        value: The offending cell text, or None if there is no single offending value.
        reason: What is wrong and what is allowed, e.g. "is negative; beds must be 0 or more."
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file} row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        if self.value is None:
            return f"{where}: {self.reason}"
        value = self.value
        if len(value) > _MAX_VALUE_CHARS:
            value = value[: _MAX_VALUE_CHARS - 3] + "..."
        return f"{where}: '{value}' {self.reason}"


class ImportValidationError(ServiceError):
    """A file could not be imported; `problems` lists everything found wrong with it."""

    def __init__(self, problems: Iterable[ImportProblem]) -> None:
        self.problems: list[ImportProblem] = list(problems)
        super().__init__(_describe(self.problems))


def _describe(problems: Sequence[ImportProblem]) -> str:
    count = len(problems)
    lines = [f"{count} problem{'s' if count != 1 else ''} found:"]
    lines += [f"  {problem}" for problem in problems[:MAX_PROBLEMS_IN_MESSAGE]]
    if count > MAX_PROBLEMS_IN_MESSAGE:
        lines.append(f"  ... and {count - MAX_PROBLEMS_IN_MESSAGE} more")
    return "\n".join(lines)


def normalise_header(name: str) -> str:
    """A column name reduced to what it means: lower case, `_` as space, spaces collapsed."""
    return " ".join(name.replace("_", " ").lower().split())


def find_columns(
    header: Iterable[str],
    aliases: Mapping[str, Sequence[str]],
    *,
    file: str,
    required: Collection[str],
) -> tuple[dict[str, str], list[ImportProblem]]:
    """Finds the columns a reader needs by meaning, whatever their case, spacing or position.

    Args:
        header: Column names as the file's header row spells them.
        aliases: Meaning -> accepted names; the first name is the one the published file uses and
            the one problems mention.
        file: File name for problems.
        required: Meanings that must be present.

    Returns:
        Meaning -> column name as spelled in the file, for every meaning found; and a problem
        (at header row 1) for each required meaning that is missing.
    """
    by_normal = {normalise_header(name): name for name in header}
    found: dict[str, str] = {}
    problems: list[ImportProblem] = []
    for meaning, names in aliases.items():
        match = next((by_normal[n] for n in map(normalise_header, names) if n in by_normal), None)
        if match is not None:
            found[meaning] = match
        elif meaning in required:
            also = f" (also accepted: {', '.join(names[1:])})" if len(names) > 1 else ""
            problems.append(
                ImportProblem(file, 1, names[0], None, f"is missing from the header row{also}.")
            )
    return found, problems


def parse_numbers(
    text: pd.DataFrame,
    *,
    file: str,
    rule: str,
    first_data_row: int = 2,
    whole: bool = False,
    blank_is_zero: bool = False,
    blank_allowed: bool = False,
    thousands: bool = False,
) -> tuple[pd.DataFrame, list[ImportProblem]]:
    """Turns text cells into numbers, reporting every cell that is not an allowed number.

    Vectorised over the whole frame; only bad cells are visited one by one.

    Args:
        text: Cells as read (strings), columns named as in the file, indexed by data-row position
            (0 = first data row).
        file: File name for problems.
        rule: What is allowed, for people, e.g. "beds must be 0 or more".
        first_data_row: Spreadsheet row number of data row 0 (2 below a header, 1 without one).
        whole: Whether values must be whole numbers.
        blank_is_zero: Whether a blank cell means 0.
        blank_allowed: Whether a blank cell is allowed (and left as NaN) when not read as 0.
        thousands: Whether "1,234" is read as 1234.

    Returns:
        The numbers (float64; NaN where a cell is blank and allowed, or bad), and the problems:
        not a number, negative, not whole, or blank where blanks are not allowed.
    """
    cell_text = text.to_numpy()
    blank = (text == "").to_numpy()
    numbers = text.apply(pd.to_numeric, errors="coerce").astype("float64")
    values = numbers.to_numpy(copy=True)
    # Only cells that did not parse are looked at one by one: spaces-only cells are blank, and
    # "1,234" is a number where thousands separators are allowed.
    for i, j in zip(*np.nonzero(~blank & ~np.isfinite(values)), strict=True):
        cell = str(cell_text[i, j]).strip()
        if not cell:
            blank[i, j] = True
        elif thousands and _THOUSANDS.fullmatch(cell):
            values[i, j] = float(cell.replace(",", ""))
    numbers = pd.DataFrame(values, index=text.index, columns=text.columns)
    finite = np.isfinite(values)
    fraction = np.zeros(values.shape, dtype=bool)
    if whole:
        fraction[finite] = values[finite] % 1 != 0
    bad_kinds = [
        (~blank & ~finite, f"is not a number; {rule}."),
        (finite & (values < 0), f"is negative; {rule}."),
        (fraction, f"is not a whole number; {rule}."),
        (blank & (not (blank_is_zero or blank_allowed)), f"is blank; {rule}."),
    ]
    found = sorted(
        (i, j, reason) for mask, reason in bad_kinds for i, j in zip(*np.nonzero(mask), strict=True)
    )
    problems = [
        ImportProblem(
            file,
            int(text.index[i]) + first_data_row,
            str(text.columns[j]),
            str(cell_text[i, j]),
            reason,
        )
        for i, j, reason in found
    ]
    if blank_is_zero:
        numbers = numbers.mask(blank, 0.0)
    bad = np.logical_or.reduce([mask for mask, _ in bad_kinds])
    return numbers.mask(bad), problems


def missing_code_problems(
    file: str,
    column: str,
    asked: Collection[str],
    found: Collection[str],
    what: str,
    *,
    scope: str = "",
) -> list[ImportProblem]:
    """Problems for codes asked for but absent from the file, one per code.

    Args:
        file: File name for problems.
        column: The column searched, as the file spells it.
        asked: Codes the caller asked for.
        found: Codes the file has (within any other filter applied).
        what: What the codes are, e.g. "trust".
        scope: Any other filter applied, e.g. " under ICS QUA".

    Returns:
        One problem per asked-for code the file does not have, in the order asked.
    """
    present = set(found)
    return [
        ImportProblem(
            file, None, column, code, f"is not in this file{scope}; no rows for this {what}."
        )
        for code in dict.fromkeys(asked)
        if code not in present
    ]


# Where a cell is, for its problems: file name, spreadsheet row (None: a form) and column name.
Where = tuple[str, int | None, str]


def records_by_meaning(
    table: pd.DataFrame, columns: Mapping[str, str]
) -> Iterator[tuple[int, Callable[[str], str]]]:
    """Each record of a table of text cells that is not wholly blank, by spreadsheet row.

    Args:
        table: The file's cells as text, rows numbered 0, 1, ... (the header is spreadsheet row 1).
        columns: The file's column for each meaning found (`find_columns`).

    Yields:
        The record's spreadsheet row, and its cell text by meaning ("" where the file has no
        column for that meaning), stripped.
    """
    for row, (_, record) in enumerate(table.iterrows(), start=2):

        def cell(meaning: str, record: pd.Series = record) -> str:
            return str(record[columns[meaning]]).strip() if meaning in columns else ""

        if any(str(v).strip() for v in record.to_numpy()):
            yield row, cell


def locate_and_check_blanks(
    cell: Callable[[str], str],
    columns: Mapping[str, str],
    file: str,
    row: int | None,
    required: Iterable[str],
) -> tuple[Callable[[str], Where], list[ImportProblem]]:
    """Where each field of one record is, for its problems, and a problem per required blank.

    Args:
        cell: The text of a field by its meaning (the importer's `ALIASES`' keys), "" when absent.
        columns: How the problems name each meaning's field (the file's column, a form's label).
        file: How the problems name the source ("staff.csv", "The staff form").
        row: The spreadsheet row (None for a form).
        required: The meanings that must not be blank.

    Returns:
        `where(meaning)` for the record's problems, and the problems for blank required fields.
    """

    def where(meaning: str) -> Where:
        return (file, row, columns.get(meaning, meaning))

    blanks = [ImportProblem(*where(m), None, "is blank.") for m in required if not cell(m)]
    return where, blanks


def raise_problems(file: str, problems: list[ImportProblem], *, rows: int, what: str) -> None:
    """Raises every problem, or that the file has no `what` rows when it has none and no problem.

    Raises:
        ImportValidationError: with the problems, or with the one that the file has no rows.
    """
    if not rows and not problems:
        problems = [ImportProblem(file, None, None, None, f"has no {what} rows.")]
    if problems:
        raise ImportValidationError(problems)
