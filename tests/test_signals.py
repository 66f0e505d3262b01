"""A run stopped part-way leaves no debris and no half-written file (issue 12).

Each test runs ``python -m ehcp_timeliness report`` on a generated extract big enough to be
caught mid-write (about 60,000 requests: the workbook alone takes seconds), with the system's
temporary folder pointed at a folder of the test's own, and stops it with a signal once its
temporary files exist.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ehcp_timeliness.sample import write_sample

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
#: Every temporary name this tool makes: its own files and its private folders.
TEMP = re.compile(r"^\..+\.ehcp-[^/]+\.part$")


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("extract")
    write_sample(folder, n_requests=60_000, n_plans=20_000)
    return folder


def _start(extract: Path, tmp_path: Path) -> tuple[subprocess.Popen, Path, Path]:
    out, systmp = tmp_path / "out", tmp_path / "systmp"
    out.mkdir()
    systmp.mkdir()
    for name in ("cases.csv", "board.xlsx"):  # last month's outputs
        (out / name).write_text("last month")
    args = [sys.executable, "-m", "ehcp_timeliness", "report", str(extract), "--as-at",
            "2025-03-31", "--cases-out", str(out / "cases.csv"), "--xlsx",
            str(out / "board.xlsx"), "--csv-dir", str(out / "csv")]  # fmt: skip
    env = {**os.environ, "TMPDIR": str(systmp)}
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            text=True)  # fmt: skip
    return proc, out, systmp


def _wait_for(proc: subprocess.Popen, ready, what: str) -> None:
    deadline = time.monotonic() + 120
    while not ready():
        assert proc.poll() is None, f"the run ended before {what}: {proc.stderr.read()}"
        assert time.monotonic() < deadline, f"no {what} within 120 s"
        time.sleep(0.02)


def _workbook_being_written(out: Path):
    return lambda: any(p.name.startswith(".tmp.ehcp-") for p in out.iterdir())


def _sheets_being_written(out: Path):
    """openpyxl has written a temporary sheet into the private folder beside the pack: waiting
    for that, not for a fixed time, keeps the test right on a loaded machine."""

    def ready() -> bool:
        try:
            return any(p.is_dir() and any(p.iterdir()) for p in out.iterdir()
                       if p.name.startswith(".tmp.ehcp-"))  # fmt: skip
        except FileNotFoundError:  # a folder removed as we looked
            return False

    return ready


def _cases_being_written(out: Path):
    return lambda: any(p.name.startswith(".cases.csv.ehcp-") and p.stat().st_size > 0
                       for p in out.iterdir())  # fmt: skip


@pytest.mark.parametrize(
    ("signum", "code", "when"),
    [(signal.SIGTERM, 143, "cases"), (signal.SIGTERM, 143, "workbook"),
     (signal.SIGINT, 130, "workbook")],
)  # fmt: skip
def test_a_stopped_run_removes_its_temporary_files_and_says_so_in_one_line(
    extract, tmp_path, signum, code, when
):
    proc, out, systmp = _start(extract, tmp_path)
    ready = _cases_being_written(out) if when == "cases" else _workbook_being_written(out)
    _wait_for(proc, ready, f"the {when} being written")
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == code, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: stopped by {signal.Signals(signum).name}; no file was left")
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert sorted(p.name for p in out.iterdir()) == ["board.xlsx", "cases.csv"]
    assert (out / "board.xlsx").read_text() == (out / "cases.csv").read_text() == "last month"
    assert list(systmp.iterdir()) == []  # openpyxl's sheets never went to the system's folder


def test_after_sigkill_targets_are_old_or_whole_and_debris_is_recognisable(extract, tmp_path):
    proc, out, systmp = _start(extract, tmp_path)
    _wait_for(proc, _sheets_being_written(out), "openpyxl's temporary sheets")
    proc.kill()
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    targets = {out / "board.xlsx", out / "cases.csv"}
    left = [p for p in out.rglob("*") if p.is_file() and p not in targets]
    assert left and all(any(TEMP.match(part) for part in p.relative_to(out).parts)
                        for p in left), left  # fmt: skip
    assert any(p.parent.name.startswith(".tmp.ehcp-") for p in left)  # openpyxl's, beside us
    debris = [p.name for p in out.iterdir() if TEMP.match(p.name)]
    assert (out / "board.xlsx").read_text() == (out / "cases.csv").read_text() == "last month"
    assert list(systmp.iterdir()) == []

    # The next run in the same place clears debris older than a day, and leaves none itself.
    day_ago = time.time() - 2 * 86400
    for name in debris:
        os.utime(out / name, (day_ago, day_ago))
    small = tmp_path / "small"
    write_sample(small, n_requests=200, n_plans=100)
    args = [sys.executable, "-m", "ehcp_timeliness", "report", str(small), "--as-at",
            "2025-03-31", "--xlsx", str(out / "board.xlsx")]  # fmt: skip
    env = {**os.environ, "TMPDIR": str(systmp)}
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not [p for p in out.iterdir() if TEMP.match(p.name)]
    assert (out / "board.xlsx").read_bytes()[:2] == b"PK"  # a whole workbook, this month's
    assert list(systmp.iterdir()) == []


def test_private_tempdir_takes_tempfile_s_files_and_is_removed_however_the_block_ends(tmp_path):
    import tempfile

    from ehcp_timeliness.write.atomic import private_tempdir

    target = tmp_path / "board.xlsx"
    with pytest.raises(RuntimeError), private_tempdir(target) as folder:
        assert TEMP.match(folder.name) and folder.parent == tmp_path
        assert oct(folder.stat().st_mode & 0o777) == "0o700"
        with tempfile.NamedTemporaryFile(delete=False) as f:
            assert Path(f.name).parent == folder
        raise RuntimeError("the pack failed")
    assert list(tmp_path.iterdir()) == [] and tempfile.tempdir != str(folder)


def test_clean_stale_removes_old_private_folders_too(tmp_path):
    from ehcp_timeliness.write.atomic import clean_stale

    old, live = tmp_path / ".tmp.ehcp-abc.part", tmp_path / ".tmp.ehcp-def.part"
    for folder in (old, live):
        folder.mkdir()
        (folder / "openpyxl.xyz").write_text("person ids")
    day_ago = time.time() - 2 * 86400
    os.utime(old, (day_ago, day_ago))
    assert clean_stale([tmp_path]) == [old]
    assert [p.name for p in tmp_path.iterdir()] == [live.name]
