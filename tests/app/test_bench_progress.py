"""bench shows the same live bar as batch on a terminal, and is quiet in a log."""

from __future__ import annotations

import io

from opsplan.app.batch import BatchProgress
from opsplan.app.cli import main


def test_the_bar_counts_done_and_failed_and_names_the_set():
    out = io.StringIO()
    bar = BatchProgress(stream=out, tty=True, label="bench jobshop")
    bar.start(3, 0)
    bar.advance()
    bar.advance(failed=True)
    bar.advance()
    bar.stop()
    text = out.getvalue()
    assert (bar.done, bar.failed) == (3, 1)
    assert "bench jobshop" in text and "3/3" in text and "1 failed" in text


def test_bench_is_quiet_without_a_terminal(capsys):
    """Before, a log got a '[k/n] instance with solver (Ns elapsed)' line per solve."""
    assert main(["bench", "jobshop", "--solver", "dispatch:spt,dispatch:mwkr", "--instances", "ft06,la01"]) == 0
    captured = capsys.readouterr()
    assert "elapsed)" not in captured.err and "[1/4]" not in captured.err
    assert "ft" in captured.out  # the per-family table is still printed
