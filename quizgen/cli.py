"""The ``quizgen`` command: a thin typer layer over the library.

Commands parse options, call one library function and print. The one place that turns the
project's errors into messages and exit codes is :func:`_reporting`. Heavy modules (sympy)
load inside commands so that ``quizgen --help`` starts fast.

Exit codes: 0 success; 1 finished, but something was skipped (e.g. rejected submissions);
2 bad input (bank, arguments, roster, output folder); 3 an unexpected error (a bug, a broken
template, a failed write): one line on the screen, the traceback in a log file it names;
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from quizgen import collector
from quizgen.errors import CheckRefused, QuizgenError, UsageError, format_error

if TYPE_CHECKING:
    from rich.table import Table  # loaded by the commands that print a table

    from quizgen.export.stream import StreamResult

app = typer.Typer(
    name="quizgen",
    help="Reproducible, auto-graded quizzes from YAML question banks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


EXIT_UNEXPECTED = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def _crash_log(exc: BaseException) -> Path | None:
    """Write the traceback of ``exc`` to a new log file in the temporary folder."""
    import platform
    import tempfile
    import traceback

    from quizgen import __version__

    try:
        fd, name = tempfile.mkstemp(prefix="quizgen-error-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as log:
            log.write(f"quizgen {__version__}, Python {platform.python_version()}\n")
            log.write(f"command: {sys.argv!r}\n\n")
            traceback.print_exception(exc, file=log)
    except OSError:
        return None
    return Path(name)


def _one_line(exc: BaseException) -> str:
    """What went wrong, on one short line."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        text = f"could not write or read a file ({exc.strerror}{where})"
    else:
        text = f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:299] + "…"


def _unexpected(exc: BaseException) -> typer.Exit:
    """Report an error quizgen did not foresee: one line, the traceback in a log file."""
    log = _crash_log(exc)
    where = f"; details in {log}" if log else " (no log file could be written)"
    err.print(
        f"quizgen: unexpected error: {_one_line(exc)}{where}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    return typer.Exit(EXIT_UNEXPECTED)


def _reporting(func: F) -> F:
    """Run a command; turn every error into a message and a documented exit code.

    Quizgen's own errors print their message (exit 2 unless they say otherwise); Ctrl-C
    exits 130; anything else, a bug or a failed write, prints one line naming a log file
    with the traceback and exits 3. Never a traceback on the screen.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except QuizgenError as exc:
            err.print(format_error(exc), markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err.print("quizgen: interrupted; nothing half-written was left", markup=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as exc:  # the last resort: see the docstring
            raise _unexpected(exc) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress-bar callback (done, total) on a terminal; None when output is redirected."""
    if not err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeRemainingColumn(), console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


BanksArg = Annotated[list[Path], typer.Argument(help="Bank files or folders of banks.")]
FormatsOpt = Annotated[str, typer.Option("--format", help="Comma-separated: html, md.")]
TemplatesOpt = Annotated[
    Path | None, typer.Option(help="Folder of templates that override the packaged ones.")
]
ForceOpt = Annotated[bool, typer.Option(help="Write into a non-empty output folder.")]
TimeoutOpt = Annotated[float, typer.Option(help="CPU seconds allowed for one check.", min=0.01)]


@app.command()
@_reporting
def schema(
    submission: Annotated[
        bool, typer.Option("--submission", help="Print the submission file schema instead.")
    ] = False,
) -> None:
    """Print the JSON Schema of the bank format (for editor validation)."""
    if submission:
        from quizgen.grade.submissions import submission_schema

        data = submission_schema()
    else:
        from quizgen.bank.schema import bank_schema

        data = bank_schema()
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")


@app.command()
@_reporting
def check(
    banks: BanksArg,
    variants: Annotated[int, typer.Option(help="Variants drawn per question.", min=1)] = 200,
    need: Annotated[
        int, typer.Option(help="Warn when a question has fewer distinct variants.", min=0)
    ] = 30,
) -> None:
    """Validate banks and sweep their variants: templates, answers, examples, mistakes."""
    from quizgen.bank.load import bank_files, load_banks_partial
    from quizgen.check import check_bank
    from quizgen.errors import BankErrors

    # Every stage runs on what is valid so far, so one run reports every problem.
    loaded, failed = load_banks_partial(banks)
    for bank in loaded:
        report = check_bank(bank, variants=variants, need=need)
        out.print(_check_table(report))
        for q in report.questions:
            for warning in q.warnings:
                err.print(
                    f"warning: {bank.source}: {q.id}: {warning}", markup=False, soft_wrap=True
                )
        failed.extend(report.all_errors())
    if failed:
        files = {str(p): i for i, p in enumerate(bank_files(banks))}
        failed.sort(key=lambda e: (files.get(e.file, -1), e.line or 0, e.column or 0))
        raise BankErrors(failed)
    out.print(f"[green]OK[/green]: {len(loaded)} bank(s) checked")


def _check_table(report: Any) -> Table:
    from rich.table import Table

    table = Table(title=f"{report.file} — {report.bank.title}", title_justify="left")
    numbers = ("variants", "examples", "rounding")
    for name in ("question", "kind", "topic", *numbers, "status"):
        table.add_column(name, justify="right" if name in numbers else "left")
    for q in report.questions:
        status = "[green]ok[/green]" if q.ok else f"[red]{len(q.errors)} error(s)[/red]"
        if q.ok and q.warnings:
            status = "[yellow]warning[/yellow]"
        # the share of variants a careful student who rounds as the solution shows would fail
        share = "—" if q.rounding_share is None else f"{q.rounding_share:.0%}"
        table.add_row(
            q.id, q.kind, q.topic, f"{q.distinct}/{q.sampled}", str(q.examples), share, status
        )
    return table


@app.command()
@_reporting
def new(
    bank: Annotated[Path, typer.Argument(help="The bank file to write, e.g. banks/mine.yaml.")],
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter bank: one question of each kind, passing `quizgen check`."""
    from quizgen.bank.starter import write_starter

    path = write_starter(bank, force=force)
    out.print(f"[green]Wrote[/green] {path}: edit it, then run quizgen check {path}")


@app.command()
@_reporting
def preview(
    banks: BanksArg,
    question: Annotated[str | None, typer.Option(help="Only this question id.")] = None,
    seed: Annotated[str, typer.Option(help="Seed of the variants shown.")] = "preview",
    variants: Annotated[int, typer.Option(help="Students' variants shown.", min=1)] = 2,
    watch: Annotated[
        bool, typer.Option("--watch", help="Serve on 127.0.0.1 and re-render on every save.")
    ] = False,
    port: Annotated[int, typer.Option(help="Port for --watch (0: any free port).")] = 8765,
    out_file: Annotated[
        Path, typer.Option("--out", help="Without --watch: the HTML file to write.")
    ] = Path("preview.html"),
) -> None:
    """Papers and key side by side in a local page; with --watch, live while you edit."""
    from quizgen.preview import PreviewServer, preview_html

    if not watch:
        from quizgen.output import write_text_atomic

        page = preview_html(banks, question=question, seed=seed, variants=variants)
        write_text_atomic(out_file, page)
        out.print(f"[green]Wrote[/green] {out_file}")
        return
    server = PreviewServer(banks, port=port, question=question, seed=seed, variants=variants)
    out.print(f"Preview at {server.url} — re-renders when you save; Ctrl-C stops.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


NoCheckOpt = Annotated[
    bool,
    typer.Option(
        "--no-check", help="Skip the examples and mistake checks run before writing anything."
    ),
]


def _pre_check(banks: list[Any], skip: bool) -> None:
    """Refuse banks whose examples or mistakes are wrong (as `quizgen check` says them)."""
    if skip:
        return
    from quizgen.check import quick_check

    errors = quick_check(banks)
    if errors:
        _refuse(errors)


def _refuse(errors: list[Any]) -> NoReturn:
    """Refuse to write, for the pre-check's errors (`quizgen check`'s messages)."""
    from quizgen.errors import BankErrors

    err.print("refused: `quizgen check` finds errors (--no-check writes anyway)")
    raise BankErrors(errors)


JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        min=1,
        help="Processes to work in (default: the number of cores); the output is the same "
        "for any number.",
    ),
]


@app.command()
@_reporting
def generate(
    banks: BanksArg,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")],
    seed: Annotated[
        str | None,
        typer.Option(
            help="Exam seed: with the bank and student it fixes every draw. A secret: "
            "default, a random 128-bit seed, stored in key.json."
        ),
    ] = None,
    count: Annotated[
        int | None, typer.Option(help="Anonymous students s001, s002, …", min=1)
    ] = None,
    roster: Annotated[
        Path | None, typer.Option(help="CSV with an 'id' column (and optionally 'name').")
    ] = None,
    formats: FormatsOpt = "html,md",
    pick: Annotated[
        int | None, typer.Option(help="Questions per topic for each student (default: all).", min=1)
    ] = None,
    title: Annotated[str | None, typer.Option(help="Exam title (default: first bank's).")] = None,
    templates: TemplatesOpt = None,
    force: ForceOpt = False,
    no_check: NoCheckOpt = False,
    jobs: JobsOpt = None,
    key_only: Annotated[
        bool,
        typer.Option(
            "--key-only",
            help="Write key.json alone; render the papers from it later with `quizgen render` "
            "(in shards, on several machines).",
        ),
    ] = False,
) -> None:
    """Generate one paper per student, the answer key and the frozen key.json."""
    from quizgen.bank import load_banks
    from quizgen.generate.exam import (
        Draw,
        exam_head,
        new_seed,
        numbered_students,
        read_roster,
    )
    from quizgen.generate.write import default_jobs, write_stream
    from quizgen.output import missing_folders, remove_empty, staged_dir

    if (count is None) == (roster is None):
        raise UsageError("give exactly one of --count N or --roster FILE")
    renderers = _renderers(formats, templates)
    students = numbered_students(count) if count is not None else read_roster(roster)
    loaded = load_banks(banks)
    # The pre-check runs beside the drawing (write_stream), yet refuses as if it ran first:
    # before a bad output folder is named, with no seed warning, and with no folder left.
    made = missing_folders(out_dir)
    try:
        target = _out_dir(out_dir, force)
    except UsageError:
        _pre_check(loaded, no_check)
        raise
    exam_seed = seed or new_seed()
    head = exam_head(loaded, exam_seed, pick=pick, title=title)
    papers = Draw(loaded, students, exam_seed, pick=pick, check=not no_check)
    try:
        with staged_dir(target) as stage, _progress("drawing papers, then writing files") as bar:
            # One bar over both halves: papers drawn into key.json, then files rendered from it.
            def half(second: int) -> Callable[[int, int], None] | None:
                return None if bar is None else lambda d, n: bar(second * n + d, 2 * n)

            staged = write_stream(
                head,
                papers,
                len(students),
                stage,
                renderers,
                drawn=half(0),
                progress=half(1),
                jobs=jobs or default_jobs(len(students), sum(len(b.questions) for b in loaded)),
                key_only=key_only,
                started=lambda: _seed_warning(seed),
                staged=True,  # `stage` is new and ours: files are created in it, not renamed
            )
    except CheckRefused as refused:  # the pre-check ran beside the drawing
        remove_empty(made)
        _refuse(refused.errors)
    written = [target / p.relative_to(stage) for p in staged]
    if key_only:
        out.print(
            f"[green]Wrote[/green] the key of {len(students)} student(s) to "
            f"{target / 'key.json'}; render the papers with: quizgen render "
            f"{target / 'key.json'} --out DIR [--students FIRST-LAST]"
        )
    else:
        out.print(
            f"[green]Wrote[/green] {len(students)} paper(s) × {len(renderers)} format(s) and "
            f"the key ({len(written)} files) to {target}"
        )
    if seed is None:
        out.print(
            f"A random seed was drawn and stored in {target / 'key.json'}; keep that file secret."
        )
    _stale_warning(target, written)


@app.command()
@_reporting
def render(
    key: Annotated[Path, typer.Argument(help="The exam's key.json.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")],
    students: Annotated[
        str | None,
        typer.Option(
            "--students",
            metavar="FIRST-LAST",
            help="Render only the papers numbered FIRST to LAST (a shard of a large class).",
        ),
    ] = None,
    formats: FormatsOpt = "html,md",
    templates: TemplatesOpt = None,
    force: ForceOpt = False,
    jobs: JobsOpt = None,
) -> None:
    """Render papers, submission templates and key pages from a frozen key.json.

    The files are those `quizgen generate` writes for the same students, byte for byte.
    """
    from quizgen.generate.write import render_key
    from quizgen.keyfile import open_key, parse_range
    from quizgen.output import staged_dir
    from quizgen.pool import default_jobs

    renderers = _renderers(formats, templates)
    exam = open_key(key)
    total = len(exam.papers)
    bounds = parse_range(students, total) if students is not None else None
    target = _out_dir(out_dir, force)
    with staged_dir(target) as stage, _progress("writing files") as bar:
        staged = render_key(
            key,
            stage,
            renderers,
            students=bounds,
            progress=bar,
            jobs=jobs or default_jobs(),
            opened=exam,
            staged=True,  # `stage` is new and ours: files are created in it, not renamed
        )
    written = [target / p.relative_to(stage) for p in staged]
    first, last = bounds or (1, total)
    out.print(
        f"[green]Wrote[/green] papers {first}-{last} of {total} × {len(renderers)} format(s) "
        f"({len(written)} files) to {target}"
    )
    _stale_warning(target, written)


def _renderers(formats: str, templates: Path | None) -> list[Any]:
    from quizgen.render import get_renderer

    renderers = [
        get_renderer(name.strip(), templates) for name in formats.split(",") if name.strip()
    ]
    if not renderers:
        raise UsageError("--format needs at least one of: html, md")
    return renderers


def _stale_warning(target: Path, written: list[Path]) -> None:
    from quizgen.generate.write import stale_files

    stale = stale_files(target, written)
    if stale:
        shown = ", ".join(str(p.relative_to(target)) for p in stale[:5])
        more = f" and {len(stale) - 5} more" if len(stale) > 5 else ""
        err.print(
            f"warning: {len(stale)} file(s) in {target} are left from an earlier run and are "
            f"not part of this exam: {shown}{more}",
            markup=False,
            soft_wrap=True,
        )


def _seed_warning(seed: str | None) -> None:
    from quizgen.generate.exam import weak_seed

    why = weak_seed(seed) if seed is not None else None
    if why:
        err.print(
            f"warning: the seed is guessable ({why}): a student with the bank could try seeds "
            "until one reproduces their paper, then rebuild every key. Leave --seed out for "
            "a random one (stored in key.json), or use 20 or more random characters.",
            markup=False,
            soft_wrap=True,
        )


@app.command()
@_reporting
def grade(
    key: Annotated[Path, typer.Argument(help="The key.json that `quizgen generate` wrote.")],
    submissions: Annotated[
        list[Path], typer.Argument(help="Submission files (.json, .csv) or folders of them.")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")],
    gradebook: Annotated[
        str | None, typer.Option(help="Also write an LMS import file: canvas or moodle.")
    ] = None,
    assignment: Annotated[
        str | None, typer.Option(help="Grade column in the gradebook file (default: exam title).")
    ] = None,
    regrade: Annotated[
        list[Path] | None,
        typer.Option(help="Re-solve the key from these banks instead of the frozen key."),
    ] = None,
    timeout: TimeoutOpt = 2.0,
    templates: TemplatesOpt = None,
    force: ForceOpt = False,
    first: Annotated[
        bool,
        typer.Option(
            "--first",
            help="Of two submissions by one student, grade the first one read, not the latest.",
        ),
    ] = False,
    overrides: Annotated[
        Path | None,
        typer.Option(
            help="Marks given by hand (a filled-in to-grade.csv: student, question, score, "
            "comment), applied on top of the automatic grades."
        ),
    ] = None,
    students: Annotated[
        str | None,
        typer.Option(
            "--students",
            metavar="FIRST-LAST",
            help="Grade only the papers numbered FIRST to LAST (a shard of a large class); "
            "submissions of other students are skipped.",
        ),
    ] = None,
    jobs: JobsOpt = None,
) -> None:
    """Grade submissions against the frozen key; write grades, feedback and gradebook files.

    Exit code 1 when a submission (or part of one) was rejected: see rejected.csv.
    """
    from quizgen.grade.overrides import read_marks
    from quizgen.grade.pipeline import start_grading
    from quizgen.grade.submissions import read_key, read_submissions
    from quizgen.grade.write import grade_into, gradebook_writer
    from quizgen.output import staged_dir
    from quizgen.pool import default_jobs
    from quizgen.render.feedback import feedback_files

    if gradebook:
        gradebook_writer(gradebook)  # an unknown name fails before any work
    exam = read_key(key)
    marks, bad_marks = read_marks(overrides) if overrides else ([], [])
    if regrade:
        from quizgen.bank import load_banks
        from quizgen.generate.regrade import regrade_exam  # sympy: only when re-solving

        exam, changes = regrade_exam(exam, load_banks(regrade))
        out.print(_regrade_table(changes))
    shard = _students_range(exam, students)  # a bad range fails before any reading
    found = read_submissions(submissions, exam, first=first, jobs=jobs or default_jobs())
    if shard is not None:
        exam, found = _shard(exam, found, shard, students)
    target = _out_dir(out_dir, force)
    found.rejections.extend(bad_marks)
    run = start_grading(exam, found, timeout=timeout, regraded=bool(regrade), validated=True)
    with staged_dir(target) as stage:  # Ctrl-C or a failed write: the old grades stay whole
        # Student by student: each is graded, written and dropped (memory flat in the class).
        done = grade_into(
            stage,
            run,
            marks,
            gradebook=gradebook,
            assignment=assignment,
            feedback=functools.partial(feedback_files, templates=templates),
            jobs=jobs,
            staged=True,
            shown=_GRADE_ROWS,
        )
    report = done.report
    _grade_summary(report, target, len(done.written), (done.students, done.graded, done.manual))
    if report.rejections:
        err.print(f"{len(report.rejections)} rejection(s): see {target / 'rejected.csv'}")
        raise typer.Exit(1)


def _students_range(exam: Any, students: str | None) -> tuple[int, int] | None:
    from quizgen.keyfile import parse_range

    return None if students is None else parse_range(students, len(exam.papers))


def _shard(exam: Any, found: Any, bounds: tuple[int, int], students: str) -> tuple[Any, Any]:
    """The exam cut to ``--students FIRST-LAST`` and the submissions of those students."""
    from quizgen.keyfile import restrict, student_rows

    shard = restrict(exam, *bounds)
    ids = {r.student_id for r in student_rows(shard)}
    kept = [r for r in found.received if r.submission.student_id in ids]
    skipped = len(found.received) - len(kept)
    if skipped:
        err.print(f"--students {students}: skipped {skipped} submission(s) of other students")
    found.received = kept
    return shard, found


def _grade_summary(
    report: Any, target: Path, files: int, counts: tuple[int, int, int] | None = None
) -> None:
    """Print the run's table and counts. ``counts`` (students, graded, manual) when the
    report lists only the first students (a run graded student by student)."""
    every = len(report.students)
    graded = sum(s.status != "missing" for s in report.students)
    by_hand = sum(s.manual for s in report.students)
    every, graded, by_hand = counts or (every, graded, by_hand)
    out.print(_grade_table(report, every))
    for note in report.notes:
        who = f" ({note.student})" if note.student else ""
        err.print(f"note: {note.source}{who}: {note.note}", markup=False, highlight=False)
    for r in report.rejections:
        who = f" ({r.student})" if r.student else ""
        err.print(f"rejected: {r.source}{who}: {r.reason}", markup=False, highlight=False)
    out.print(f"[green]Graded[/green] {graded} of {every} student(s); {files} files in {target}")
    if report.stats.invalid or by_hand:
        out.print(
            f"{report.stats.invalid} answer(s) could not be read (invalid) and {by_hand} "
            f"essay(s) wait for a person: see {target / 'to-grade.csv'}, then pass it back "
            "with --overrides",
            markup=False,
            soft_wrap=True,
        )


_GRADE_ROWS = 40  # longer classes: the first rows, then a pointer to grades.csv


def _grade_table(report: Any, every: int) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=report.exam_title, title_justify="left")
    for name in ("student", "name", "status", "total", "max", "%"):
        table.add_column(name, justify="right" if name in ("total", "max", "%") else "left")
    for s in report.students[:_GRADE_ROWS]:
        status = f"{s.manual} to grade by hand" if s.manual else "graded"
        status = "missing" if s.status == "missing" else status
        numbers = (f"{s.total:g}", f"{s.max:g}", f"{s.percent:.1f}")
        table.add_row(Text(s.student_id), Text(s.name), status, *numbers)
    more = every - _GRADE_ROWS
    if more > 0:
        table.add_row(f"… {more} more in grades.csv", "", "", "", "", "")
    stats = report.stats
    table.caption = (
        f"{stats.checks} checks, {stats.cache_hits} cached verdicts, "
        f"{stats.invalid} invalid answer(s), {len(report.hand_marks)} mark(s) by hand"
    )
    return table


def _regrade_table(changes: list[Any]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"--regrade: {len(changes)} key change(s)", title_justify="left")
    for name in ("student", "question", "part", "change", "old", "new"):
        table.add_column(name)
    for c in changes[:_GRADE_ROWS]:
        cells = (c.student_id, c.question_id, c.part_id, c.change, c.old, c.new)
        table.add_row(*(Text(x) for x in cells))
    if len(changes) > _GRADE_ROWS:
        table.add_row(f"… {len(changes) - _GRADE_ROWS} more", "", "", "", "", "")
    return table


@app.command()
@_reporting
def report(
    grades_dir: Annotated[Path, typer.Argument(help="The folder `quizgen grade --out` wrote.")],
    key: Annotated[
        Path | None, typer.Option(help="The key.json the grades were graded against.")
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out", help="HTML file (default GRADES_DIR/report.html); CSVs go beside it."
        ),
    ] = None,
    templates: TemplatesOpt = None,
) -> None:
    """Item analysis: which questions, variants, options and mistakes worked (HTML + CSV)."""
    from quizgen.report import build_report

    target = out_file if out_file is not None else grades_dir / "report.html"
    analysis, written = build_report(grades_dir, key, target, templates=templates)
    flagged = sum(bool(i.flags) for i in analysis.items)
    differ = sum(p.significant for p in analysis.params)
    out.print(
        f"[green]Wrote[/green] {target} and {len(written) - 1} CSV file(s): "
        f"{analysis.klass.students} student(s), {len(analysis.items)} item(s), "
        f"{flagged} flagged, {differ} parameter split(s) that differ"
    )


@app.command("export")
@_reporting
def export_command(
    banks: BanksArg,
    to: Annotated[str, typer.Option("--to", help="LMS format: canvas, gift, moodle or qti21.")],
    seed: Annotated[str, typer.Option(help="Export seed: with the banks it fixes every variant.")],
    out_file: Annotated[
        Path, typer.Option("--out", help="File to write (.zip for canvas/qti21, .xml, .gift).")
    ],
    variants: Annotated[
        int, typer.Option(help="Distinct variants per question; the LMS draws one.", min=1)
    ] = 20,
    pick: Annotated[
        int | None, typer.Option(help="Questions per topic, chosen once (default: all).", min=1)
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Refuse what the format cannot express instead of a fallback.")
    ] = False,
    title: Annotated[str | None, typer.Option(help="Quiz title (default: first bank's).")] = None,
    templates: TemplatesOpt = None,
    validate: Annotated[
        bool, typer.Option(help="Check the file with quizgen's validators after writing it.")
    ] = False,
    no_check: NoCheckOpt = False,
    manifest: Annotated[
        Path | None,
        typer.Option(
            help="Also write the manifest that `quizgen grade-lms` needs (canvas, moodle)."
        ),
    ] = None,
    jobs: JobsOpt = None,
) -> None:
    """Export banks to an LMS as random pools: N distinct variants per question."""
    with collector.frozen_once_loaded() as loaded:
        from quizgen.bank import load_banks
        from quizgen.export import (
            check_output_path,
            check_variants,
            export_file,
            get_exporter,
        )
        from quizgen.pool import default_jobs

        exporter = get_exporter(to)
        check_variants(variants)  # before the banks are read and checked
        check_output_path(out_file, exporter.suffix)
        if manifest is not None:
            _check_manifest_path(to, manifest)
        banks_read = load_banks(banks)
        loaded()
        try:  # the pre-check runs beside the drawing; its refusal is _pre_check's
            with _progress("drawing and writing pools") as progress:
                result = export_file(
                    banks_read,
                    to,
                    out_file,
                    variants=variants,
                    seed=seed,
                    pick=pick,
                    strict=strict,
                    title=title,
                    template_dir=templates,
                    progress=progress,
                    jobs=jobs or default_jobs(),
                    keep_pools=manifest is not None,
                    check=not no_check,
                )
        except CheckRefused as refused:
            _refuse(refused.errors)
        for warning in result.warnings:
            err.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
        out.print(
            f"[green]Wrote[/green] {len(result.pools)} question pool(s), "
            f"{result.variant_count} variant(s) to {out_file}"
        )
        if manifest is not None:
            _write_manifest(to, out_file, result, title or banks_read[0].title, manifest)
        if validate:
            _report_validation(to, out_file.read_bytes())


def _write_manifest(
    to: str, out_file: Path, result: StreamResult, title: str, manifest: Path
) -> None:
    """The manifest of the export just written, read back from its file (as before)."""
    from quizgen.export import ExportResult, get_exporter
    from quizgen.lms.manifest import build_manifest, write_manifest

    exported = ExportResult(
        format=to,
        suffix=get_exporter(to).suffix,
        data=out_file.read_bytes(),
        pools=tuple(result.pools),
        warnings=tuple(result.warnings),
    )
    write_manifest(build_manifest(exported, title), manifest)
    out.print(f"[green]Wrote[/green] the manifest for `quizgen grade-lms` to {manifest}")


def _check_manifest_path(to: str, manifest: Path) -> None:
    from quizgen.export import check_output_path
    from quizgen.lms.manifest import LMS_FORMATS

    if to not in LMS_FORMATS:
        raise UsageError(f"--manifest is for canvas and moodle exports (grade-lms), not {to}")
    check_output_path(manifest, ".json")


@app.command("grade-lms")
@_reporting
def grade_lms_command(
    responses: Annotated[
        Path, typer.Argument(help="The LMS's response report (CSV) of the exported quiz.")
    ],
    lms: Annotated[
        str,
        typer.Option(
            "--from", help="canvas (Student Analysis CSV) or moodle (Responses report CSV)."
        ),
    ],
    manifest: Annotated[
        Path, typer.Option(help="The manifest that `quizgen export --manifest` wrote.")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")],
    roster: Annotated[
        Path | None,
        typer.Option(
            help="The LMS's gradebook export (CSV): responses of students not in it are rejected."
        ),
    ] = None,
    assignment: Annotated[
        str | None, typer.Option(help="Grade column in the gradebook file (default: quiz title).")
    ] = None,
    timeout: TimeoutOpt = 2.0,
    templates: TemplatesOpt = None,
    force: ForceOpt = False,
) -> None:
    """Grade an LMS's responses to an exported quiz quizgen's way; write its gradebook file.

    Exit code 1 when a row or column was rejected: see rejected.csv.
    """
    from quizgen.lms.manifest import read_manifest
    from quizgen.lms.run import grade_lms, write_lms_grading
    from quizgen.output import staged_dir
    from quizgen.render.feedback import feedback_files

    if lms not in ("canvas", "moodle"):
        raise UsageError(f"unknown LMS '{lms}' (valid: canvas, moodle)")
    loaded = read_manifest(manifest)
    target = _out_dir(out_dir, force)
    graded = grade_lms(loaded, lms, responses, roster=roster, timeout=timeout)
    with staged_dir(target) as stage:
        written = write_lms_grading(
            stage,
            graded,
            loaded,
            assignment=assignment,
            feedback=functools.partial(feedback_files, templates=templates),
        )
    report = graded.report
    _grade_summary(report, target, len(written))
    if report.rejections:
        err.print(f"{len(report.rejections)} rejection(s): see {target / 'rejected.csv'}")
        raise typer.Exit(1)


def _report_validation(fmt: str, data: bytes) -> None:
    from quizgen.export.validate import validate_export

    report = validate_export(fmt, data)
    for skipped in report.skipped:
        err.print(f"validation skipped: {skipped}", markup=False, soft_wrap=True)
    for problem in report.problems:
        err.print(f"invalid: {problem}", markup=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)
    out.print(f"[green]Valid[/green]: {', '.join(report.checks)}")


HistoryOpt = Annotated[
    str | None,
    typer.Option(
        "--history",
        help="History file (default: $QUIZGEN_HISTORY, else the user data folder); "
        "':memory:' saves nothing.",
    ),
]


@app.command()
@_reporting
def practice(
    banks: BanksArg,
    topic: Annotated[
        list[str] | None, typer.Option(help="Only topics under this prefix (repeatable).")
    ] = None,
    question: Annotated[
        list[str] | None, typer.Option(help="Only this question id (repeatable).")
    ] = None,
    count: Annotated[
        int | None, typer.Option(help="Questions to ask (default: each once).", min=1)
    ] = None,
    seed: Annotated[str | None, typer.Option(help="Repeat a session (default: new).")] = None,
    history: HistoryOpt = None,
    review: Annotated[
        bool, typer.Option("--review", help="Ask what is due: missed questions first.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON event per line.")] = False,
) -> None:
    """Practise in the terminal: fresh variants, instant grading, worked solutions.

    Type ? for help, s to skip, h for a hint, sol for the solution, q to quit.
    Exit code 130 after Ctrl-C (answers given are saved).
    """
    from quizgen.practice.terminal import practice as run

    code = run(
        banks,
        topics=topic or (),
        questions=question or (),
        count=count,
        seed=seed,
        history_path=history,
        review=review,
        as_json=as_json,
    )
    raise typer.Exit(code)


@app.command()
@_reporting
def progress(
    history: HistoryOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Mastery per topic from the practice history, and what is due today."""
    from quizgen.practice.terminal import show_progress

    raise typer.Exit(show_progress(history, as_json=as_json))


def _out_dir(path: Path, force: bool) -> Path:
    from quizgen.output import prepare_out_dir

    return prepare_out_dir(path, force)


def main() -> None:
    """Entry point of the ``quizgen`` console script."""
    try:
        app()
    finally:
        # The process ends here. Python's shutdown runs a full collection over every object
        # still alive (sympy's and the banks', about a million): 0.2 s of an export, for
        # memory the system takes back anyway. Frozen objects are skipped.
        import gc

        gc.freeze()


if __name__ == "__main__":
    main()
