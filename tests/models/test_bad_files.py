"""Every broken file in tests/data/bad gives exactly one clear error naming the file and where.

File names say the intended format: ``<what>.<format>.<ext>`` (``truncated.orlib-jobshop.txt``)
or ``<what>.fjs``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from opsplan.models.errors import FileFormatError, ValidationError
from opsplan.models.io.importers import import_file, importers

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"

# file name -> (error type, where (line or JSON path), a piece of what is wrong)
EXPECTED: dict[str, tuple[type[Exception], str, str]] = {
    "empty.orlib-jobshop.txt": (FileFormatError, "line 1", "empty file"),
    "truncated.orlib-jobshop.txt": (FileFormatError, "line 3", "file ends after 2 of 3 job lines"),
    "not-integer.orlib-jobshop.txt": (FileFormatError, "line 3", "not an integer: 'x'"),
    "machine-out-of-range.orlib-jobshop.txt": (FileFormatError, "line 4", "machine 7 out of range 0..2"),
    "odd-count.orlib-jobshop.txt": (FileFormatError, "line 3", "expected 6 numbers for 3 machines, got 5"),
    "wrong-pair-count.fjs": (FileFormatError, "line 3", "expected 4 numbers for 2 'machine time' pair(s)"),
    "machine-zero.fjs": (FileFormatError, "line 3", "machine 0 out of range 1..3"),
    "wt40-short.orlib-wt.txt": (FileFormatError, "line 5", "not a multiple of 120"),
    "syntax-error.opsplan.json": (FileFormatError, "line 48 column 15", "not valid JSON"),
    "wrong-version.opsplan.json": (FileFormatError, "$.version", "file version 99"),
    "not-opsplan.opsplan.json": (FileFormatError, "$.format", "not an OpsPlan document"),
    "negative-duration.opsplan.json": (
        FileFormatError,
        "$.scenario.jobs[0].operations[1].modes[0].duration",
        "-2 is below the minimum 0",
    ),
    "missing-field.opsplan.json": (
        FileFormatError,
        "$.scenario.jobs[1].operations[0].modes[0]",
        "'duration' is missing",
    ),
    "unknown-key.opsplan.json": (FileFormatError, "$.scenario.machines[1]", "unknown key 'speed'"),
    "wrong-type.opsplan.json": (FileFormatError, "$.scenario.jobs[0].due", "expected an integer or null"),
    "huge-duration.orlib-jobshop.txt": (FileFormatError, "line 2", "99999999999999999999 is beyond the largest"),
    "huge-duration.opsplan.json": (
        FileFormatError,
        "$.scenario.jobs[0].operations[1].modes[0].duration",
        "is greater than the maximum of 2147483647",
    ),
    "number-too-long.orlib-jobshop.txt": (FileFormatError, "line 2", "number too long: 99999999999999999999..."),
    "form-feed-in-a-line.orlib-jobshop.txt": (FileFormatError, "line 3", "not an integer: 'x'"),
    "too-many-machines.fjs": (FileFormatError, "line 1", "machines: at most 10000 are supported"),
    "lone-surrogate.opsplan.json": (FileFormatError, "$.scenario.name", "invalid Unicode: a lone surrogate"),
    "nested-too-deep.opsplan.json": (
        FileFormatError,
        "$.schedules[0].extras.deep[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]...",
        "nested more than 100 levels deep",
    ),
    "setup-job-twice.opsplan.json": (ValidationError, "setups[0].jobs[1]", "job 'J0' is listed twice"),
    "unknown-machine.opsplan.json": (
        ValidationError,
        "jobs[1].operations[0].modes[0].resource",
        "unknown machine 'M9'",
    ),
}


def _format_of(path: Path) -> str:
    """The intended import format, read from the file name."""
    fmt = path.name.split(".")[1]
    assert fmt in importers(), f"{path.name}: name does not say a known format"
    return fmt


def test_every_bad_file_is_listed():
    """A new bad file must come with its expected error (and no entry may go stale)."""
    assert sorted(p.name for p in BAD.iterdir()) == sorted(EXPECTED)
    assert len(EXPECTED) >= 12


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gives_one_precise_error(name):
    path = BAD / name
    kind, where, what = EXPECTED[name]
    with pytest.raises((FileFormatError, ValidationError)) as info:
        import_file(path, _format_of(path))
    err = info.value
    assert type(err) is kind
    message = str(err)
    assert str(path) in message
    assert where in message
    assert what in message
    if isinstance(err, FileFormatError):
        assert err.path == str(path)
        assert err.where == where
    else:
        assert err.source == str(path)
        assert len(err.issues) == 1
        assert err.issues[0].path == where


def test_missing_file_is_a_file_format_error(tmp_path):
    missing = tmp_path / "nowhere.txt"
    for fmt in importers():
        with pytest.raises(FileFormatError, match="file not found") as info:
            import_file(missing, fmt)
        assert str(missing) in str(info.value)


def test_binary_file_is_refused(tmp_path):
    blob = tmp_path / "picture.fjs"
    blob.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    with pytest.raises(FileFormatError, match="line 1"):
        import_file(blob, "fjs")
