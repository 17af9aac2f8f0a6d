"""The real `quizgen` console script, in a subprocess: exit codes, messages, never a traceback.

CliRunner catches exceptions inside the test process and hides what a user would see, so
these tests run the installed entry point as a user does (issue 9): 0 success, 1 finished
with something skipped, 2 bad input, 3 an unexpected error (one line, the traceback in a log
file it names), 130 interrupted, leaving no half-written exam.
"""

from __future__ import annotations

import functools
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import midrun
import pytest
from classroom import BANK, make_exam, submission, write_json, write_key

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "banks"
QUIZGEN = shutil.which("quizgen") or str(Path(sys.executable).with_name("quizgen"))
pytestmark = pytest.mark.skipif(
    not Path(QUIZGEN).exists(), reason="the quizgen console script is not installed"
)


@pytest.fixture()
def env(tmp_path: Path) -> dict[str, str]:
    """This checkout on the path; log files land in a folder of the test's own."""
    logs = tmp_path / "logs"
    logs.mkdir()
    return {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(logs), "COLUMNS": "200"}


def run(env: dict[str, str], *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [QUIZGEN, *args], capture_output=True, text=True, env=env, timeout=300, **kwargs
    )


def _no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stdout + result.stderr


def _log_named_in(stderr: str) -> Path:
    match = re.search(r"details in (\S+\.log)", stderr)
    assert match, stderr
    return Path(match.group(1))


def test_a_broken_user_template_is_bad_input_named_at_its_line(env, tmp_path):
    """An instructor's template is their input: exit 2 with its file and line, no exam."""
    templates = tmp_path / "templates" / "html"
    templates.mkdir(parents=True)
    (templates / "paper.html.j2").write_text("{% if %}\n", encoding="utf-8")
    out = tmp_path / "exam"
    args = ["generate", str(BANK), "--count", "2", "--out", str(out), "--format", "html"]
    result = run(env, *args, "--templates", str(templates.parent))
    assert result.returncode == 2
    _no_traceback(result)
    assert "paper.html.j2:1: template failed" in result.stderr
    assert not (out / "key.json").exists()


def test_a_paper_template_cannot_print_the_seed(env, tmp_path):
    templates = tmp_path / "templates" / "md"
    templates.mkdir(parents=True)
    (templates / "paper.md.j2").write_text("{{ exam.seed }}\n", encoding="utf-8")
    args = ["generate", str(BANK), "--count", "1", "--out", str(tmp_path / "exam")]
    result = run(env, *args, "--format", "md", "--templates", str(templates.parent))
    assert result.returncode == 2
    assert "has no attribute 'seed'" in result.stderr
    _no_traceback(result)


def _limit_file_size(size: int = 20_000) -> None:
    """A full disk, as the kernel reports it: writes beyond ``size`` bytes fail with EFBIG."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def test_a_write_error_is_exit_3_and_leaves_no_half_written_exam(env, tmp_path):
    out = tmp_path / "exam"
    args = ["generate", str(BANK), "--count", "30", "--out", str(out), "--format", "html"]
    result = run(env, *args, preexec_fn=_limit_file_size)
    assert result.returncode == 3
    _no_traceback(result)
    assert "could not write or read a file (File too large" in result.stderr
    assert _log_named_in(result.stderr).exists()
    assert not out.exists() or not any(out.iterdir())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".exam")] == []


@pytest.fixture()
def exam_dir(tmp_path: Path) -> Path:
    exam = make_exam(3)
    folder = tmp_path / "exam"
    write_key(exam, folder)
    subs = folder / "submissions"
    subs.mkdir()
    for student in ("s1", "s2"):
        write_json(subs / f"{student}.json", submission(exam, student))
    return folder


def test_a_mistyped_submissions_folder_is_exit_2(env, exam_dir, tmp_path):
    out = tmp_path / "grades"
    result = run(
        env, "grade", str(exam_dir / "key.json"), str(exam_dir / "submisions"), "--out", str(out)
    )
    assert result.returncode == 2
    _no_traceback(result)
    assert "no such submissions file or folder" in result.stderr
    assert "did you mean 'submissions'?" in result.stderr
    assert not out.exists()


def test_rejections_are_exit_1_and_good_submissions_exit_0(env, exam_dir, tmp_path):
    key = str(exam_dir / "key.json")
    subs = exam_dir / "submissions"
    ok = run(env, "grade", key, str(subs), "--out", str(tmp_path / "ok"))
    assert ok.returncode == 0, ok.stderr
    (subs / "s3.json").write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    bad = run(env, "grade", key, str(subs), "--out", str(tmp_path / "bad"))
    assert bad.returncode == 1
    _no_traceback(bad)
    assert "nested more than 32 levels deep" in bad.stderr
    rows = (tmp_path / "bad" / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert [r.split(",")[2] for r in rows[1:]] == ["needs manual grading"] * 2 + ["missing"]


def test_first_keeps_the_first_submission(env, exam_dir, tmp_path):
    exam = make_exam(3)
    subs = exam_dir / "submissions"
    later = submission(exam, "s1", {"shared-weights": False})
    write_json(subs / "z-s1-again.json", later)
    key = str(exam_dir / "key.json")
    latest = run(env, "grade", key, str(subs), "--out", str(tmp_path / "latest"))
    first = run(env, "grade", key, str(subs), "--out", str(tmp_path / "first"), "--first")
    assert (latest.returncode, first.returncode) == (1, 1)
    assert "(the last one read" in latest.stderr or "(the latest file" in latest.stderr
    assert "s1.json" in latest.stderr.split("rejected:")[1]
    assert "(the first one read (--first))" in first.stderr
    totals = [
        (tmp_path / name / "grades.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[3]
        for name in ("latest", "first")
    ]
    assert totals == ["0", "10"]  # the later file answered one question, wrongly


def test_a_hostile_bank_is_exit_2_with_the_location(env, tmp_path):
    bank = tmp_path / "b.yaml"
    bank.write_text(
        BANK.read_text(encoding="utf-8").replace("points: 2", "points: " + "9" * 5000, 1),
        encoding="utf-8",
    )
    result = run(env, "check", str(bank), "--variants", "2")
    assert result.returncode == 2
    _no_traceback(result)
    assert re.search(
        r"b\.yaml:\d+:\d+: questions\[0\]\.points: a number of 5,000 digits", result.stderr
    )


# --- the seed --------------------------------------------------------------------------------


def test_generate_without_a_seed_draws_a_secret_one(env, tmp_path):
    out = tmp_path / "exam"
    result = run(env, "generate", str(BANK), "--count", "2", "--out", str(out))
    assert result.returncode == 0, result.stderr
    key = json.loads((out / "key.json").read_bytes().splitlines()[0])  # the v2 header line
    assert re.fullmatch(r"[0-9a-f]{32}", key["seed"])
    assert "random seed was drawn" in result.stdout and key["seed"] not in result.stdout
    assert "warning" not in result.stderr
    for paper in (out / "papers").iterdir():
        text = paper.read_text(encoding="utf-8")
        assert key["seed"] not in text and key["fingerprint"] in text
    template = json.loads((out / "submissions" / "s001.json").read_text(encoding="utf-8"))
    assert template["exam"] == key["fingerprint"]


@pytest.mark.parametrize(
    ("seed", "warned"),
    [
        ("7", True),
        ("2026-midterm", True),
        ("aaaaaaaaaaaaaaaaaaaaaaaa", True),
        ("f3Kq9-Zp2m-Lx7w-Rb4t-Hn8c", False),
    ],
)
def test_a_guessable_seed_is_warned_about(env, tmp_path, seed: str, warned: bool):
    args = ["generate", str(BANK), "--count", "1", "--out", str(tmp_path / "e"), "--format", "md"]
    result = run(env, *args, "--seed", seed)
    assert result.returncode == 0
    assert ("the seed is guessable" in result.stderr) is warned


# --- Ctrl-C and the progress bar -------------------------------------------------------------


def _interrupted(process: subprocess.Popen, ready) -> tuple[str, str]:
    """Ctrl-C ``process`` at a moment ``ready()`` holds, provably mid-run; its output."""
    midrun.stop_when(process, ready)
    midrun.signal_stopped(process, signal.SIGINT)
    code, stdout, stderr = midrun.finish(process, timeout=60)
    assert code == 130, f"exit {code}, not 130, after Ctrl-C mid-run; stderr:\n{stderr}"
    assert "interrupted" in stderr and "Traceback" not in stdout + stderr, stderr
    return stdout, stderr


def _generating(env: dict[str, str], tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    out = tmp_path / "exam"
    args = ["generate", str(BANK), "--count", "150", "--out", str(out), "--seed", "x" * 32]
    return midrun.start([QUIZGEN, *args], env), out


def _writing(tmp_path: Path) -> bool:
    """generate's staged folder holds papers: it is writing files, not yet swapping them in."""
    return any(any(p.glob("papers/*")) for p in tmp_path.glob(".exam.*.partial") if p.is_dir())


def test_ctrl_c_during_generate_leaves_no_half_written_exam(env, tmp_path):
    process, out = _generating(env, tmp_path)
    _interrupted(process, lambda: _writing(tmp_path))
    assert not out.exists() or not any(out.iterdir())
    assert list(tmp_path.glob(".exam.*")) == []


def test_ctrl_c_is_taken_when_the_tests_run_with_it_ignored(env, tmp_path):
    """Regression (session 13: both Ctrl-C tests exited 0 in a suite a script started in
    the background, where SIGINT is ignored and every child inherits that): the command
    under test gets Ctrl-C's default action back, so the Ctrl-C tests test quizgen, not
    how their own runner was started."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as `pytest ... &` in a script
    try:
        process, out = _generating(env, tmp_path)
    finally:
        signal.signal(signal.SIGINT, previous)
    _interrupted(process, lambda: _writing(tmp_path))
    assert not out.exists() or not any(out.iterdir())


def test_ctrl_c_during_export_leaves_no_file(env, tmp_path):
    out = tmp_path / "quiz.xml"
    args = ["export", str(SHIPPED), "--to", "moodle", "--variants", "400", "--seed", "1"]
    process = midrun.start([QUIZGEN, *args, "--out", str(out)], env)

    def exporting() -> bool:  # its temporary file is open: the command runs, it has not ended
        return any(tmp_path.glob(".quiz.xml.*.tmp")) and not out.exists()

    _interrupted(process, exporting)
    assert list(tmp_path.iterdir()) == [tmp_path / "logs"]


def _with_terminal(env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run with stderr on a pseudo-terminal; return the exit code and what it showed."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [QUIZGEN, *args], env=env, stdout=subprocess.DEVNULL, stderr=follower
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    return process.wait(timeout=120), shown.decode("utf-8", "replace")


def test_a_progress_bar_on_a_terminal_only(env, tmp_path):
    args = ["generate", str(BANK), "--count", "40", "--seed", "y" * 32, "--format", "md"]
    code, shown = _with_terminal(env, *args, "--out", str(tmp_path / "tty"))
    assert code == 0
    assert "drawing papers" in shown or "writing files" in shown
    plain = run(env, *args, "--out", str(tmp_path / "pipe"))
    assert plain.returncode == 0
    assert "drawing papers" not in plain.stderr and "writing files" not in plain.stderr


def test_a_failed_grade_write_leaves_the_earlier_grades_whole(env, exam_dir, tmp_path):
    key, subs, out = str(exam_dir / "key.json"), str(exam_dir / "submissions"), tmp_path / "g"
    assert run(env, "grade", key, subs, "--out", str(out)).returncode == 0
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (exam_dir / "submissions" / "s1.json").unlink()  # the rerun would change the grades
    limit = functools.partial(_limit_file_size, 4_000)  # grading.json is larger
    again = run(env, "grade", key, subs, "--out", str(out), "--force", preexec_fn=limit)
    assert again.returncode == 3
    _no_traceback(again)
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".g.")] == []


_INTERRUPTED_WHILE_LOADING = """
import sys
from importlib.metadata import entry_points


class CtrlCWhileLoading:  # Ctrl-C pressed while the command-line interface is imported
    def find_spec(self, name, path=None, target=None):
        if name == "quizgen.cli":
            raise KeyboardInterrupt
        return None


(script,) = [e for e in entry_points(group="console_scripts") if e.name == "quizgen"]
sys.meta_path.insert(0, CtrlCWhileLoading())
script.load()()
"""


def test_ctrl_c_while_the_command_loads_exits_130_without_a_traceback(
    env: dict[str, str],
) -> None:
    """The installed console script's entry, interrupted while it imports the CLI (a few
    tenths of a second, seconds on a busy machine): the exit and message of a Ctrl-C, not
    a traceback of the import."""
    result = subprocess.run(
        [sys.executable, "-c", _INTERRUPTED_WHILE_LOADING, "check", "banks"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 130, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "interrupted" in result.stderr
