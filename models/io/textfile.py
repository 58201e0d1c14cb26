"""Helpers shared by the importers of plain-text benchmark formats (any kind).

Every problem raises :class:`FileFormatError` naming the file, the line and what is wrong.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from opsplan.models.core import MAX_TIME
from opsplan.models.errors import FileFormatError
from opsplan.models.io.document import decode_text, read_bytes

INT = re.compile(r"[+-]?[0-9]+\Z")
NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z")
# Classic OR-Library banners: "+++++", "-----", "=====".
SEPARATOR = re.compile(r"[+\-=*_~]{3,}\Z")


class Lines:
    """The non-blank lines of a text file with their 1-based line numbers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.source = str(path)
        text = decode_text(read_bytes(path), self.source)
        # only line feeds, carriage returns and their pair end a line (str.splitlines also breaks at
        # form feeds, U+2028, ..., which would put every later error on the wrong line)
        raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if raw and raw[-1] == "":
            raw.pop()
        self.n_raw = len(raw)
        self.items = [(i + 1, line.strip()) for i, line in enumerate(raw) if line.strip()]

    def fail(self, line: int | None, what: str) -> FileFormatError:
        return FileFormatError(self.source, None if line is None else f"line {line}", what)

    def end_line(self) -> int:
        """The last line of the file (where missing data was expected)."""
        return max(1, self.n_raw)

    def ints(self, lineno: int, text: str) -> list[int]:
        out = []
        for tok in text.split():
            if not INT.match(tok):
                raise self.fail(lineno, f"not an integer: {tok!r}")
            try:
                out.append(int(tok))
            except ValueError:  # more digits than Python converts (4300)
                raise self.fail(lineno, f"number too long: {tok[:20]}... ({len(tok)} digits)") from None
        return out


def is_comment(text: str) -> bool:
    return text.startswith("#") or bool(SEPARATOR.match(text))


def starts_numeric(text: str) -> bool:
    first = text.split()[0]
    return bool(NUMBER.match(first))


def data_lines(lines: Lines, what_header: str) -> list[tuple[int, str]]:
    """Drop comments and the free-text banner before the first numeric line."""
    data: list[tuple[int, str]] = []
    for lineno, text in lines.items:
        if is_comment(text):
            continue
        if not data and not starts_numeric(text):
            continue  # banner text such as "instance ft06" or "Fisher and Thompson 6x6 instance"
        data.append((lineno, text))
    if not data:
        where = 1 if not lines.items else None
        msg = "empty file" if not lines.items else "no numeric data found"
        raise lines.fail(where, f"{msg}: expected a first line '{what_header}'")
    return data


def check_index(lines: Lines, fmt: str, index: int | None) -> None:
    if index not in (None, 1):
        raise lines.fail(None, f"a {fmt} file holds one instance; instance {index} does not exist")


def positive(lines: Lines, lineno: int, value: int, what: str) -> int:
    if value < 1:
        raise lines.fail(lineno, f"{what} must be at least 1, got {value}")
    return value


def name_of(path: Path) -> str:
    """The scenario name a file gives: its stem, with bytes that are not UTF-8 (a Latin-1 file
    name on Linux) replaced, so that the document can be saved."""
    return os.fsencode(path.stem).decode("utf-8", "replace")


def time_value(lines: Lines, lineno: int, value: int, what: str) -> int:
    if value < 0:
        raise lines.fail(lineno, f"negative {what} {value}")
    if value > MAX_TIME:
        raise lines.fail(lineno, f"{what} {value} is beyond the largest time {MAX_TIME}")
    return value


def trailing(lines: Lines, rest: list[tuple[int, str]], expected: str) -> None:
    if rest:
        lineno, text = rest[0]
        raise lines.fail(lineno, f"unexpected data after {expected}: {text[:40]!r}")


class Cursor:
    """Reads the numbers of one line in order, failing precisely when the line ends early."""

    def __init__(self, lines: Lines, lineno: int, nums: list[int], who: str) -> None:
        self.lines, self.lineno, self.nums, self.who, self.pos = lines, lineno, nums, who, 0

    @property
    def left(self) -> int:
        return len(self.nums) - self.pos

    def take(self, count: int, what: str) -> list[int]:
        if count > self.left:
            raise self.lines.fail(
                self.lineno, f"{self.who}: line ends early, expected {count} numbers for {what}, got {self.left}"
            )
        out = self.nums[self.pos : self.pos + count]
        self.pos += count
        return out
