"""The headless path keeps what it computed (issue 23, item 7), and ``opsplan --version``.

* SIGTERM is Ctrl+C for every command: a solve stops and writes its best plan; any other command
  ends "interrupted" with Ctrl+C's exit status, never killed outright (143);
* output paths are checked before any work: a solve is never run only to lose its plan at the save;
* ``1e999``, NaN, Infinity, 5000-digit numbers, duplicate keys and deep nesting are refused at load
  with the file and the JSON path (or line and column);
* a named pipe, a device or a folder given as input is refused at once, never read (or waited on);
* a bad argument value is one line, not a usage block.

Signals are sent to a real ``opsplan`` process; the rest runs ``main([...])`` in this process.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from opsplan.app.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "resources" / "samples"
FT06 = SAMPLES / "ft06.json"
CLI = [sys.executable, "-m", "opsplan.app.cli"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def one_error_line(err: str) -> str:
    """The single line a refused command prints (no usage block, no traceback)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("opsplan: error: ") and "Traceback" not in err, err
    return lines[0]


class Lines:
    """The lines a stream of a child process writes, read by a thread (so waiting can time out)."""

    def __init__(self, stream) -> None:  # noqa: ANN001
        self.q: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:  # noqa: ANN001
        for line in stream:
            self.q.put(line)
        self.q.put("")  # end of stream

    def wait_for(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.q.get(timeout=0.1)
            except queue.Empty:
                continue
            if line == "":
                return False
            self.seen.append(line)
            if text in line:
                return True
        return False

    def rest(self, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.q.get(timeout=0.1)
            except queue.Empty:
                continue
            if line == "":
                break
            self.seen.append(line)
        return "".join(self.seen)


# -- 1. SIGTERM is Ctrl+C -------------------------------------------------------------------------
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_kill_mid_search_writes_the_best_plan_with_ctrl_c_s_exit_status(bench_dir, tmp_path, capsys, sig):
    """`opsplan solve abz7 --solver cpsat --time-limit 60 -o out.json`, signalled once it has a first
    solution: it stops within seconds, exits as Ctrl+C does (0: a plan was found, marked cancelled;
    never 143 / -15, killed), and out.json holds that plan, which `opsplan check` passes."""
    abz7 = bench_dir / "jobshop" / "abz7.txt"
    out = tmp_path / "out.json"
    proc = subprocess.Popen([*CLI, "solve", str(abz7), "--format", "orlib-jobshop", "--solver", "cpsat",
                             "--time-limit", "60", "--threads", "1", "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        err = Lines(proc.stderr)
        assert err.wait_for("objective", 60), err.rest()  # the progress line of a first solution
        t = time.monotonic()
        proc.send_signal(sig)
        stdout = proc.stdout.read()
        proc.wait(timeout=30)
        assert time.monotonic() - t < 10  # the search stopped, not the rest of its 60 s
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, (proc.returncode, err.rest())  # SIGTERM used to give -15 and no plan
    assert "(stopped: cancelled)" in stdout and "checker    0 violation(s)" in stdout
    assert f"saved      {out}" in stdout and "Traceback" not in err.rest()
    rc, text, _ = run(capsys, "check", abz7, out, "--format", "orlib-jobshop")
    assert rc == 0 and "no violations" in text


_SLOW_IMPORT = """
import sys, time
from opsplan.app import cli

def slow_load(*args, **kwargs):  # an import of a big file, still reading when the signal comes
    print("reading", flush=True)
    time.sleep(60)

cli._load_document = slow_load
sys.exit(cli.main(["import", "big.txt", "--format", "orlib-jobshop", "-o", sys.argv[1]]))
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_kill_ends_any_command_as_ctrl_c_does(tmp_path, sig):
    """A command with no stop token of its own (an import still reading, `policy train`, ...) ends on
    SIGTERM exactly as on Ctrl+C: "interrupted", exit 130, nothing half-written. Before, SIGTERM
    killed it outright (-15)."""
    out = tmp_path / "x.json"
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_IMPORT, str(out)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = Lines(proc.stdout)
        assert lines.wait_for("reading", 60), proc.stderr.read()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, (proc.returncode, err)
    assert one_error_line(err) == "opsplan: error: interrupted"
    assert not out.exists()


def test_stop_signals_are_ctrl_c_and_sigterm_by_default():
    """`interrupts(handler)` takes SIGTERM over as well as Ctrl+C, and gives both back after."""
    from opsplan.app.progress import interrupts

    hits: list[str] = []

    def outside(signum, frame) -> None:  # noqa: ANN001 - stands for "not taken over" (and keeps pytest alive)
        hits.append(f"outside {signal.Signals(signum).name}")

    old = signal.signal(signal.SIGTERM, outside), signal.signal(signal.SIGINT, outside)
    try:
        with interrupts(lambda: hits.append("stop")):
            signal.raise_signal(signal.SIGTERM)
            signal.raise_signal(signal.SIGINT)
        assert hits == ["stop", "stop"]
        assert signal.getsignal(signal.SIGTERM) is outside and signal.getsignal(signal.SIGINT) is outside
    finally:
        signal.signal(signal.SIGTERM, old[0])
        signal.signal(signal.SIGINT, old[1])


# -- 2. output paths before any work ---------------------------------------------------------------
@pytest.fixture
def plan_doc(tmp_path):
    """ft06 with one plan (for export and reschedule)."""
    from opsplan.models.io.document import Document, load, save
    from opsplan.solvers import solve

    doc = load(FT06)
    plan = solve(doc.scenario, "dispatch:spt").schedule.renamed("spt")
    path = tmp_path / "planned.json"
    save(Document(doc.scenario, (plan,)), path)
    return path


def _commands(plan_doc: Path, output: str) -> dict[str, list[str]]:
    return {
        "solve": ["solve", str(FT06), "--solver", "dispatch:spt", "-o", output],
        "import": ["import", str(FT06), "-o", output],
        "export": ["export", str(plan_doc), "-o", output],
        "reschedule": ["reschedule", str(plan_doc), "spt", "--down", "M0@10+5", "--solver", "dispatch:spt",
                       "-o", output],
    }


@pytest.mark.parametrize("command", ["solve", "import", "export", "reschedule"])
@pytest.mark.parametrize("bad", ["folder", "file/sub.json", "pipe"])
def test_an_unwritable_output_fails_before_any_work(capsys, tmp_path, plan_doc, command, bad):
    """`-o FOLDER`, `-o existing_file/sub.json` and `-o PIPE_OR_DEVICE` fail at once, exit 2, in one line
    that says why (not "File exists"), before the input is read or anything solved: nothing on stdout.
    Before, solve and reschedule ran the whole solve first, printed it, and then lost the plan; and a
    device or pipe was replaced by a file (never try that here with /dev/null: as root the old code
    replaced the system's /dev/null)."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("a file, not a folder\n")
    os.mkfifo(tmp_path / "pipe")
    output = str(tmp_path / bad)
    rc, out, err = run(capsys, *_commands(plan_doc, output)[command])
    line = one_error_line(err)
    assert rc == 2 and out == "", (out, err)
    assert "File exists" not in line and output in line
    why = {"folder": "is a folder; -o needs a file name", "file/sub.json": "is a file, not a folder",
           "pipe": "is not a regular file"}[bad]
    assert why in line, line


def test_a_missing_output_folder_is_made_and_a_good_output_written(capsys, tmp_path):
    """The check refuses only what cannot be written: a folder that does not exist yet is created."""
    target = tmp_path / "new" / "deeper" / "plan.json"
    rc, out, err = run(capsys, "solve", FT06, "--solver", "dispatch:spt", "-o", target)
    assert rc == 0 and target.is_file() and f"saved      {target}" in out


def test_an_output_in_a_folder_without_write_permission_is_refused(tmp_path, monkeypatch):
    """A folder the user may not write in is named (checked with the user's permissions; root may
    write anywhere, so the permission answer is stubbed here to stand for another user)."""
    from opsplan.app import common
    from opsplan.models.errors import OpsPlanError

    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(common.os, "access", lambda p, mode: False if Path(p) == locked else real_access(p, mode))
    with pytest.raises(OpsPlanError, match=r"cannot be written: no permission to write in .*locked"):
        common.check_output(locked / "plan.json")
    with pytest.raises(OpsPlanError, match=r"no permission to write in .*locked"):  # nor in a folder to make there
        common.check_output(locked / "sub" / "plan.json")
    common.check_output(tmp_path / "plan.json")  # beside it: fine
    with pytest.raises(OpsPlanError, match="is a file; --schedules needs a folder"):
        common.check_output_folder(FT06, "--schedules")


# -- 3. 1e999 -------------------------------------------------------------------------------------
def test_a_non_finite_number_in_a_plan_is_refused_at_load_with_its_json_path(capsys, tmp_path, plan_doc):
    """`1e999` in a plan's extras: `opsplan solve FILE -o x.json` refuses FILE at once, naming the
    file and the JSON path of the number, and writes nothing (before: no path, only the number)."""
    data = json.loads(plan_doc.read_text())
    data["schedules"][0]["extras"] = {"note": 12345.5}
    bad = tmp_path / "inf-extras.json"
    bad.write_text(json.dumps(data, indent=1).replace("12345.5", "1e999"))
    out = tmp_path / "x.json"
    rc, stdout, err = run(capsys, "solve", bad, "--solver", "dispatch:spt", "-o", out)
    line = one_error_line(err)
    assert rc == 2 and stdout == "" and not out.exists()
    assert f"{bad} ($.schedules[0].extras.note): " in line and "1e999" in line and "out of range" in line


# -- 4. pipes, devices, folders as input -----------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["import", "f.txt", "--format", "orlib-jobshop", "-o", "x.json"],
    ["import", "f.txt", "-o", "x.json"],  # the format guessed from the content: nothing read either
    ["solve", "f.txt", "--solver", "dispatch:spt"],
    ["check", str(FT06), "f.txt"],  # a schedule file
], ids=["import", "import-auto", "solve", "check"])
def test_a_named_pipe_as_input_is_refused_at_once(tmp_path, argv):
    """`mkfifo f.txt; opsplan import f.txt --format orlib-jobshop -o x.json` used to wait forever for
    a writer; now it exits 2 at once saying what the path is."""
    os.mkfifo(tmp_path / "f.txt")
    try:
        proc = subprocess.run([*CLI, *argv], cwd=tmp_path, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"opsplan {' '.join(argv)} blocked on a named pipe")
    line = one_error_line(proc.stderr)
    assert proc.returncode == 2 and "f.txt: is a named pipe (FIFO), not a regular file" in line, line
    assert not (tmp_path / "x.json").exists()


def test_a_device_or_a_folder_as_input_is_refused_before_reading(capsys, tmp_path):
    """/dev/zero was read to the 1 GiB limit first; now no byte is read."""
    from opsplan.models.errors import FileFormatError
    from opsplan.models.io.document import read_bytes

    if os.path.exists("/dev/zero"):
        t = time.monotonic()
        rc, _, err = run(capsys, "import", "/dev/zero", "--format", "orlib-jobshop", "-o", tmp_path / "x.json")
        assert rc == 2 and "/dev/zero: is a device, not a regular file" in one_error_line(err)
        assert time.monotonic() - t < 1.0
    rc, _, err = run(capsys, "solve", tmp_path, "--format", "opsplan")
    assert rc == 2 and f"{tmp_path}: is a folder, not a file" in one_error_line(err)
    with pytest.raises(FileFormatError, match="is a folder, not a file"):
        read_bytes(tmp_path)


def test_reading_a_named_pipe_never_blocks(tmp_path):
    """The one place files are read (models.io.document.read_bytes) refuses a pipe without opening
    it for a writer to come: checked in a thread, so a regression fails instead of hanging."""
    from opsplan.models.errors import FileFormatError
    from opsplan.models.io.document import read_bytes

    fifo = tmp_path / "p.json"
    os.mkfifo(fifo)
    box: dict[str, BaseException] = {}

    def read() -> None:
        try:
            read_bytes(fifo)
        except BaseException as e:  # noqa: BLE001 - looked at below
            box["error"] = e

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():  # unblock the reader (a writer that closes at once), then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("read_bytes blocked on a named pipe")
    assert isinstance(box.get("error"), FileFormatError) and "named pipe" in str(box["error"])


# -- 5. JSON parse errors name the file and where --------------------------------------------------
_DIGITS = "7" * 5000
_DEEP_LIST = "[" * 200 + "]" * 200
_VERY_DEEP = '{"a":\n' + "[" * 100_000 + "]" * 100_000 + "}"


@pytest.mark.parametrize("text, where, what", [
    ('{"format": "opsplan", "version": 2, "x": NaN}', "($.x)", "NaN is not a JSON number"),
    ('{"format": "opsplan", "version": 2,\n "y": [1, -Infinity]}', "($.y[1])", "-Infinity is not a JSON number"),
    ('{"format": "opsplan", "z": {"w": Infinity}}', "($.z.w)", "Infinity is not a JSON number"),
    ('{"format": "opsplan", "big": 1e999}', "($.big)", "the number 1e999 is out of range"),
    ('{"format": "opsplan", "n": [0, ' + _DIGITS + "]}", "($.n[1])", "is too long (5000 digits)"),
    ('{"format": "opsplan", "n": -' + _DIGITS + ".5}", "($.n)", "is out of range"),
    ('{"format": "opsplan", "s": {"id": 1, "id": 2}}', '($.s.id)', 'duplicate key "id" in one JSON object'),
    ('{"format": "opsplan", "d": ' + _DEEP_LIST + "}", "($.d[0][0][0]", "nested more than 100 levels deep"),
    (_VERY_DEEP, "(line 2 column 100)", "nested more than 100 levels deep"),
], ids=["nan", "-infinity", "infinity", "1e999", "5000-digits", "5000-digit-float", "duplicate-key",
        "deep", "very-deep"])
def test_a_json_parse_error_names_the_file_and_where(capsys, tmp_path, text, where, what):
    """Each names the file and the JSON path (or line and column) in one line. Before, they named the
    file only; a 5000-digit integer gave Python's own message (sys.set_int_max_str_digits)."""
    f = tmp_path / "bad.json"
    f.write_text(text)
    rc, out, err = run(capsys, "solve", f, "--solver", "dispatch:spt", "-o", tmp_path / "x.json")
    line = one_error_line(err)
    assert rc == 2 and out == ""
    assert line.startswith(f"opsplan: error: {f} {where}"), line
    assert what in line and "set_int_max_str_digits" not in line and len(line) < 300, line


def test_a_schedule_file_s_parse_error_names_where_too(capsys, tmp_path):
    """`opsplan check SCENARIO SCHEDULE`: the schedule file goes through the same parser."""
    sched = tmp_path / "plan.json"
    sched.write_text('{"name": "p", "assignments": [{"task": "a", "start": NaN}]}')
    rc, _, err = run(capsys, "check", FT06, sched)
    assert rc == 2 and f"{sched} ($.assignments[0].start): not valid JSON: NaN" in one_error_line(err)


# -- 6. bad argument values: one line ---------------------------------------------------------------
@pytest.mark.parametrize("argv, expected", [
    (["solve", str(FT06), "--index", "0"], "argument --index: must be at least 1"),
    (["solve", str(FT06), "--jobs", "0"], "argument --jobs: must be at least 1"),
    (["import", str(FT06), "-o", "x.json", "--jobs", "-2"], "argument --jobs: must be at least 1"),
    (["solve", str(FT06), "--time-limit", "-3"], "argument --time-limit: must be a positive number of seconds"),
    (["solve", str(FT06), "--time-limit", "soon"], "argument --time-limit: not a number of seconds"),
    (["solve", str(FT06), "--threads", "-1"], "argument --threads: must be at least 0"),
    (["solve", str(FT06), "--seed", "x"], "argument --seed: invalid int value: 'x'"),
    (["reschedule", str(FT06), "p", "-o", "x.json", "--at", "t"], "argument --at: invalid int value: 't'"),
    (["bench", "jobshop", "--time-limit", "0"], "argument --time-limit: must be a positive number of seconds"),
])
def test_a_bad_argument_value_is_one_line(capsys, argv, expected):
    """`opsplan solve F --index 0` prints `opsplan: error: argument --index: must be at least 1, got 0`
    and exits 2 (before: three lines of usage above it); in every subcommand, bench sets included."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    assert info.value.code == 2 and out == ""
    assert one_error_line(err).startswith(f"opsplan: error: {expected}"), err


def test_a_missing_argument_still_shows_the_usage(capsys):
    """What is not a bad value (a missing or unknown argument) keeps argparse's usage: it shows what is expected."""
    with pytest.raises(SystemExit) as info:
        main(["solve"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.startswith("usage: opsplan solve ") and "required: file" in err


# -- 7. --version ------------------------------------------------------------------------------------
def test_version_prints_the_package_version(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out == f"opsplan {version('opsplan')}\n"


def test_version_without_package_metadata_reads_the_source_tree(capsys, monkeypatch):
    """A source tree (or a bundle) without the distribution's metadata: pyproject.toml's version (was "dev")."""
    import importlib.metadata
    import tomllib

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", missing)
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out == f"opsplan {expected}\n"


def test_version_of_the_installed_command():
    proc = subprocess.run([*CLI, "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("opsplan ") and proc.stdout.count(".") >= 2
