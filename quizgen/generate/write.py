"""Write a generated exam to a folder: papers, answer keys and the frozen ``key.json``.

:func:`write_stream` is what ``quizgen generate`` runs: papers are drawn one at a time into
the key (``quizgen-exam/2``, :mod:`quizgen.keyfile`) while the fingerprint is hashed; then,
the fingerprint known (every paper shows it), papers, submission templates and answer-key
pages are rendered from the key, by ranges of students, in ``jobs`` processes. Memory stays
flat in the size of the class, and the files do not depend on ``jobs``.

:func:`render_key` is the second half alone (``quizgen render``): the files of a range of
students rendered from a frozen key, byte for byte those a whole run writes for them, so a
large class is drawn once and rendered in shards on as many machines as there are.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from json.encoder import encode_basestring as _encode_string  # json.dumps's, in C
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quizgen import collector
from quizgen.errors import CheckRefused
from quizgen.fingerprint import Fingerprinter
from quizgen.keyfile import (
    DrawnPaper,
    KeyWriter,
    Prepared,
    Text,
    open_key,
    prepare_variant,
    student_rows,
)
from quizgen.output import file_stems, write_staged, write_text_atomic
from quizgen.pool import ordered_map
from quizgen.variant import Exam, Paper, Variant

if TYPE_CHECKING:  # drawing (sympy) is imported by whoever draws, not by `quizgen render`
    from quizgen.generate.exam import Draw

__all__ = [
    "KEY_PAGE",
    "MIN_PARALLEL",
    "default_jobs",
    "indented_json",
    "key_json",
    "render_key",
    "stale_files",
    "write_exam",
    "write_stream",
]

#: Students per answer-key page: a class up to this size gets one key file, as before; a
#: larger one gets ``keys/key-<first>-<last>`` pages and ``key.html``/``key.md`` as an index.
#: 100 papers of 33 questions are about 9 MB of HTML, which a browser opens in a second.
KEY_PAGE = 100
#: Students rendered per task of the process pool when the class fits on one key page; a
#: larger class is rendered a key page per task (see :func:`_ranges`).
CHUNK = 50
#: Below this many question variants (students × questions), ``generate`` without
#: ``--jobs`` works in one process: forking workers costs more than they save there
#: (whole-process timings in docs/performance.md, "Small jobs in one process").
MIN_PARALLEL = 2_000

Progress = Callable[[int, int], None]


def default_jobs(students: int, questions: int) -> int:
    """The processes ``generate`` uses when ``--jobs`` is not given: one for a small exam
    (fewer than :data:`MIN_PARALLEL` variants), else one per core."""
    from quizgen.pool import default_jobs as cores

    return 1 if students * questions < MIN_PARALLEL else cores()


def key_json(exam: Exam) -> str:
    """The frozen exam as one JSON document (format ``quizgen-exam/1``, read still)."""
    return exam.model_dump_json(indent=1) + "\n"


def write_exam(
    exam: Exam,
    out: Path,
    renderers: Sequence[Any],
    progress: Progress | None = None,
) -> list[Path]:
    """Write an exam held in memory: the same files as :func:`write_stream` would.

    ``progress`` is called after each paper with (papers done, papers in all).

    Returns:
        The files written, in order.
    """
    head = exam.model_copy(update={"papers": [], "fingerprint": None})
    return write_stream(head, exam.papers, len(exam.papers), out, renderers, progress=progress)


def write_stream(
    head: Exam,
    papers: Iterable[Paper],
    total: int,
    out: Path,
    renderers: Sequence[Any],
    *,
    progress: Progress | None = None,
    drawn: Progress | None = None,
    jobs: int = 1,
    key_only: bool = False,
    started: Callable[[], None] | None = None,
    staged: bool = False,
) -> list[Path]:
    """Write ``key.json`` as ``papers`` arrive, then every file rendered from it.

    Args:
        head: the exam without papers (:func:`~quizgen.generate.exam.exam_head`).
        papers: the papers in order, typically a generator that draws them.
        total: how many papers ``papers`` yields (for progress and file names).
        out: the folder to write into.
        renderers: the paper formats.
        progress: called as files are rendered with (papers done, papers in all).
        drawn: called after each paper is drawn with (done, total).
        jobs: processes to render with (1: this one); the files are the same for any value.
        key_only: write ``key.json`` alone (render it later, in shards: :func:`render_key`).
        started: called once before the first paper is drawn or, when ``papers`` is a
            :class:`~quizgen.generate.exam.Draw` with its pre-check, once the check passed.
        staged: ``out`` is a folder of :func:`~quizgen.output.staged_dir`'s, new and this
            run's alone: files are created in it directly
            (:func:`~quizgen.output.write_staged`), not each renamed into place.

    Returns:
        The files written: key.json, then per range of students their files.

    Raises:
        CheckRefused: the draw's pre-check found errors; nothing is written, ``key.json``
            included.
    """
    with _fewer_collections():
        key = Path(out) / "key.json"
        fingerprint = _write_key(head, papers, total, key, drawn, jobs, started)
        if key_only:
            return [key]
        exam = open_key(key)
        if fingerprint != exam.fingerprint:  # the file is what every paper is rendered from
            raise RuntimeError("key.json does not read back as written")
        return [key, *_render(exam, key, Path(out), renderers, None, progress, jobs, staged)]


def render_key(
    key: Path,
    out: Path,
    renderers: Sequence[Any],
    *,
    students: tuple[int, int] | None = None,
    progress: Progress | None = None,
    jobs: int = 1,
    opened: Exam | None = None,
    staged: bool = False,
) -> list[Path]:
    """Render papers, submission templates and answer-key pages from a frozen ``key.json``.

    Args:
        key: the key file (any format :func:`~quizgen.keyfile.open_key` reads).
        out: the folder to write into.
        renderers: the paper formats.
        students: (first, last), 1-based and inclusive: only these students' files (a
            shard). A key page is written by the shard that holds its first student, whole,
            and a class larger than one page gets the index page in every shard (the same
            bytes), so shards copied into one folder make exactly the files of a whole run.
        progress: called as files are rendered with (papers done, papers in the range).
        jobs: processes to render with; the files are the same for any value.
        opened: ``key`` as :func:`~quizgen.keyfile.open_key` already read it (its index is
            then not read again).
        staged: ``out`` is a new folder of :func:`~quizgen.output.staged_dir`'s (see
            :func:`write_stream`).

    Returns:
        The files written.
    """
    with _fewer_collections():
        exam = opened if opened is not None else open_key(Path(key))
        return _render(exam, Path(key), Path(out), renderers, students, progress, jobs, staged)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Collect young objects every 100,000 allocations instead of 700, after freezing what
    is loaded (banks, templates, caches).

    Drawing and rendering allocate millions of short-lived containers and make almost no
    cycles; the default threshold ran a collection every few hundred of them (150 students:
    9.5 s of CPU against 7.3-8.1 s with this). Memory stays flat: a collection still runs.
    """
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, before[1], before[2])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _render(
    exam: Exam,
    key: Path,
    out: Path,
    renderers: Sequence[Any],
    students: tuple[int, int] | None,
    progress: Progress | None,
    jobs: int,
    staged: bool = False,
) -> list[Path]:
    """Every file of students ``students`` (default: all) rendered from the opened key."""
    rows = student_rows(exam)
    stems = file_stems(r.student_id for r in rows)  # over the class: a shard names files alike
    lo, hi = (0, len(rows)) if students is None else (students[0] - 1, students[1])
    plan = _Plan(key, out, tuple(r.name for r in renderers), _templates(renderers), staged)
    page = KEY_PAGE if len(rows) > KEY_PAGE else len(rows)
    tasks = [(plan, stems[a:b], a, b, whole) for a, b, whole in _ranges(len(rows), page, lo, hi)]
    written: list[Path] = []
    done = 0
    for files, count in ordered_map(_render_range, tasks, jobs):
        written.extend(out / f for f in files)
        done += count
        if progress is not None:
            progress(done, hi - lo)
    if len(rows) > KEY_PAGE:
        written.extend(_write_key_index(exam, rows, out, renderers, staged))
    return written


def _write_key(
    head: Exam,
    papers: Iterable[Paper],
    total: int,
    path: Path,
    drawn: Progress | None,
    jobs: int,
    started: Callable[[], None] | None = None,
) -> str:
    """Stream the papers into the v2 key; return the fingerprint.

    Given a :class:`~quizgen.generate.exam.Draw` and several ``jobs``, the papers are drawn
    in worker processes by ranges of students and written here in order.
    """
    hasher = Fingerprinter(head)
    writer = KeyWriter(path, head)
    try:
        for done, (paper_json, paper, dump) in enumerate(
            _drawn(papers, total, jobs, started), start=1
        ):
            hasher.add_json(paper_json)
            writer.add_drawn(paper, dump)
            if drawn is not None:
                drawn(done, total)
    except BaseException:
        writer.abort()
        raise
    fingerprint = hasher.hexdigest()
    writer.close(fingerprint)
    return fingerprint


DRAW_CHUNK = 50  # students per drawing task


def _drawn(
    papers: Iterable[Paper], total: int, jobs: int, started: Callable[[], None] | None = None
) -> Iterator[tuple[bytes, DrawnPaper, Callable[[str], Prepared]]]:
    """(paper JSON for the fingerprint, the paper's record, its variants' key records by uid,
    :func:`~quizgen.keyfile.prepare_variant`'s).

    A :class:`~quizgen.generate.exam.Draw` that asks for the pre-check is checked first,
    question by question (in the worker processes beside the drawing when there are
    several); ``started`` is called once it passed, before the first paper is yielded.

    Raises:
        CheckRefused: the pre-check found errors (:func:`quizgen.check.quick_check`'s, all
            of them and in its order, whatever else failed); nothing has been yielded.
    """
    # A Draw exists only once its module is loaded; importing that module here would load
    # the drawing (sympy) for callers that never draw, such as `quizgen render`.
    drawing = sys.modules.get("quizgen.generate.exam")
    if drawing is None or not isinstance(papers, drawing.Draw):
        _started(started)
        texts: dict[str, Text] = {}
        for paper in papers:
            yield _drawn_here(paper, texts)
        return
    draw = papers
    if not draw.check:
        _started(started)
        started = None  # called: without a check, the drawing starts now
    else:  # imported once here, not once in every worker
        import quizgen.check
        import quizgen.grade.checkers  # noqa: F401
    try:
        draw.compiled  # noqa: B018 -- compiled once, here: the check and every worker use them
    except Exception:
        _refuse_if_checked(draw)
        raise
    if jobs > 1 and total > DRAW_CHUNK:
        yield from _drawn_in_workers(draw, total, jobs, started)
        return
    try:
        errors = [e for number in range(draw.checks) for e in draw.check_question(number)]
    except Exception:
        _refuse_if_checked(draw)
        raise
    _refuse(errors)
    _started(started)
    texts: dict[str, Text] = {}
    for paper in draw:
        yield _drawn_here(paper, texts)


def _drawn_here(
    paper: Paper, texts: dict[str, Text]
) -> tuple[bytes, DrawnPaper, Callable[[str], Prepared]]:
    """What :func:`_drawn` yields of a paper drawn in this process (``texts``: the
    prepared texts so far, kept across papers)."""
    by_uid = {v.uid: v for v in paper.variants}

    def prepared(uid: str) -> Prepared:
        return prepare_variant(by_uid[uid].model_dump(mode="json"), texts)

    return paper.model_dump_json().encode("utf-8"), DrawnPaper.of(paper), prepared


def _drawn_in_workers(
    draw: Draw, total: int, jobs: int, started: Callable[[], None] | None
) -> Iterator[tuple[bytes, DrawnPaper, Callable[[str], Prepared]]]:
    """:func:`_drawn` in ``jobs`` processes: ``jobs`` tasks that check a share of the
    questions each, then a task per range of students; the checks' results come back first
    (tasks yield in order), while the workers go on to draw. Few check tasks, not one per
    question: on a loaded machine each task handed over costs the parent a wake-up."""
    _DRAWING["draw"] = draw
    _RECORDS.clear()  # uids name variants of this draw's banks only
    cuts = [draw.checks * k // jobs for k in range(jobs + 1)]
    checks = [("check", a, b) for a, b in itertools.pairwise(cuts) if a < b]
    ranges = [("draw", a, min(a + DRAW_CHUNK, total)) for a in range(0, total, DRAW_CHUNK)]
    results = ordered_map(_draw_task, [*checks, *ranges], jobs)
    try:
        errors = []
        try:
            for _ in checks:
                errors.extend(next(results))
        except Exception:
            results.close()  # the workers stop (after the tasks in flight)
            _refuse_if_checked(draw)
            raise
        if errors:
            results.close()
            _refuse(errors)
        _started(started)
        for chunk, dumps in results:
            for paper_json, paper in chunk:
                yield paper_json, paper, dumps.__getitem__
    finally:
        results.close()
        _DRAWING.clear()
        _RECORDS.clear()


def _started(started: Callable[[], None] | None) -> None:
    """Call ``started`` if given."""
    if started is not None:
        started()


def _refuse(errors: list[Any]) -> None:
    """Refuse with the pre-check's ``errors``, if there are any."""
    if errors:
        raise CheckRefused(errors)


def _refuse_if_checked(draw: Draw) -> None:
    """The drawing stopped before the pre-check had its say: say it now, as if it had run
    first (it did, before the pre-check moved beside the drawing); the caller re-raises
    the failure when the check finds nothing."""
    _refuse(draw.refusal())


_DRAWING: dict[str, Draw] = {}  # inherited by forked workers (quizgen.pool)


def _draw_task(kind: str, first: int, end: int) -> Any:
    """A worker's task: the pre-check's errors of questions ``first``..``end`` in the check's
    order (``kind`` "check"), or what :func:`_write_key` needs of students ``first``..``end``
    ("draw")."""
    if kind == "check":
        draw = _DRAWING["draw"]
        return [e for number in range(first, end) for e in draw.check_question(number)]
    return _draw_range(first, end)


def _draw_range(first: int, end: int) -> tuple[list[tuple[bytes, DrawnPaper]], dict[str, Prepared]]:
    """Draw students ``first``..``end`` in a worker: what :func:`_write_key` needs of them.

    The variants' key records are made here (:func:`~quizgen.keyfile.prepare_variant`):
    the parent, which writes the key alone on the cores the workers draw on, only joins
    their bytes, and bytes cost it little to unpickle where nested JSON data cost it about
    as much as writing them did.
    """
    chunk, dumps = [], {}
    texts: dict[str, Text] = {}
    for paper in _DRAWING["draw"].papers(first, end):
        for v in paper.variants:
            if v.uid not in dumps:
                dumps[v.uid] = _record(v, texts)
        chunk.append((paper.model_dump_json().encode("utf-8"), DrawnPaper.of(paper)))
    return chunk, dumps


#: Variant records a drawing worker keeps, by uid, least recently used out first. A
#: variant that many students share (a question with few values) is then prepared once
#: per worker, not once per range: 26 % fewer records made at 1,000 students of
#: rnn-lstm, one worker of two (a few MB; 8,192 or no bound would save 33 %).
RECORDS_KEPT = 4_096
_RECORDS: dict[str, Prepared] = {}  # emptied by the parent before it forks and after


def _record(variant: Variant, texts: dict[str, Text]) -> Prepared:
    """The key record of ``variant``, prepared here (or remembered from an earlier range)."""
    found = _RECORDS.pop(variant.uid, None)
    if found is None:
        found = prepare_variant(variant.model_dump(mode="json"), texts)
        if len(_RECORDS) >= RECORDS_KEPT:
            del _RECORDS[next(iter(_RECORDS))]
    _RECORDS[variant.uid] = found
    return found


@dataclass(frozen=True)
class _Plan:
    """What a rendering process needs to know (picklable)."""

    key: Path
    out: Path
    formats: tuple[str, ...]
    templates: Path | None
    staged: bool = False  # out is a new staged folder: files are created, not renamed in


def _templates(renderers: Sequence[Any]) -> Path | None:
    found = {getattr(r, "template_dir", None) for r in renderers}
    return found.pop() if len(found) == 1 else None


def _ranges(
    count: int, page: int, lo: int = 0, hi: int | None = None
) -> list[tuple[int, int, bool]]:
    """(first, end, writes the key page) of each task over students ``lo``..``hi`` (0-based);
    a page is written by the task holding its first student.

    A class of several key pages is rendered a page per task: the task that writes a page
    reads all its papers and builds their views anyway, so a second task for the same
    students, maybe in another process, would read and build them again. A class on one
    page is split into chunks of :data:`CHUNK`, so that a small class still uses every core.
    """
    hi = count if hi is None else hi
    step = page if count > page else CHUNK
    tasks = []
    for first in range(0, count, max(page, 1)):
        end = min(first + page, count)
        for start in range(first, end, step):
            a, b = max(start, lo), min(start + step, end, hi)
            if a < b:
                tasks.append((a, b, a == first))
    return tasks


_WORKER: dict[tuple[Path, int], tuple[Exam, list[Any]]] = {}


def _open(plan: _Plan) -> tuple[Exam, list[Any]]:
    """The key and the renderers, opened once per process."""
    if (plan.key, os.getpid()) not in _WORKER:
        from quizgen.render import get_renderer

        _WORKER.clear()
        renderers = [get_renderer(name, plan.templates) for name in plan.formats]
        _WORKER[(plan.key, os.getpid())] = (open_key(plan.key), renderers)
    return _WORKER[(plan.key, os.getpid())]


def _render_range(
    plan: _Plan, stems: list[str], first: int, end: int, whole: bool
) -> tuple[list[str], int]:
    """Render students ``first``..``end`` (0-based): papers, submissions, their key page.

    The cycle collector is paused over the task, and what the task leaves alive (the
    renderers' caches of views, texts and variants) is frozen out of its sight at its end.
    Rendering makes no reference cycles (tested: after set-up, rendering leaves none; 200
    and 500 students with the collector off leave the same 145 cyclic objects, all from
    setting up), so the collections it triggered found nothing and only walked those
    caches: 9 collections, 0.55-0.75 s, ~7 % of rendering 500 students. Memory stays flat
    (reference counting frees everything, frozen or not: the same peak RSS); between
    tasks only the progress display runs, and the write's end unfreezes all of it.
    """
    with collector.paused():
        found = _render_task(plan, stems, first, end, whole)
        gc.freeze()  # before the collector is back, or its first collection walks it all
    return found


def _render_task(
    plan: _Plan, stems: list[str], first: int, end: int, whole: bool
) -> tuple[list[str], int]:
    exam, renderers = _open(plan)
    page_end = min(first + KEY_PAGE, len(exam.papers)) if whole else end
    page = exam.papers[first:page_end]  # read once: the papers and, if whole, their key page
    papers = page[: end - first]
    head = exam.model_copy(update={"papers": []})
    files: list[str] = []
    put = write_staged if plan.staged else write_text_atomic

    def write(name: str, text: str) -> None:
        put(plan.out / name, text)
        files.append(name)

    for paper, stem in zip(papers, stems, strict=True):
        for renderer in renderers:
            write(f"papers/{stem}{renderer.extension}", renderer.paper(head, paper))
        write(f"submissions/{stem}.json", _submission_template(head, paper))
    if whole:
        single = page_end - first == len(exam.papers)
        for renderer in renderers:
            name = (
                f"key{renderer.extension}"
                if single
                else key_page_name(first, page_end, len(exam.papers), renderer.extension)
            )
            write(name, renderer.key(head.model_copy(update={"papers": page})))
    return files, len(papers)


def key_page_name(first: int, end: int, total: int, extension: str) -> str:
    """``keys/key-0101-0200.html``: the key page of students ``first``..``end`` (0-based)."""
    width = max(3, len(str(total)))
    return f"keys/key-{first + 1:0{width}d}-{end:0{width}d}{extension}"


def _write_key_index(
    exam: Exam, rows: list, out: Path, renderers: Sequence[Any], staged: bool = False
) -> list[Path]:
    """``key.html``/``key.md`` for a large class: a list of the key pages and who is on each."""
    pages = []
    for first in range(0, len(rows), KEY_PAGE):
        end = min(first + KEY_PAGE, len(rows))
        pages.append((first, end, rows[first].student_id, rows[end - 1].student_id))
    written = []
    for renderer in renderers:
        links = [
            {
                "href": key_page_name(a, b, len(rows), renderer.extension),
                "first": a + 1,
                "last": b,
                "first_id": first_id,
                "last_id": last_id,
            }
            for a, b, first_id, last_id in pages
        ]
        path = out / f"key{renderer.extension}"
        (write_staged if staged else write_text_atomic)(
            path, renderer.key_index(exam, links, len(rows))
        )
        written.append(path)
    return written


def stale_files(out: Path, written: Sequence[Path]) -> list[Path]:
    """Files in the papers/, submissions/ and keys/ folders that this run did not write.

    With ``--force`` an earlier exam's papers (or key pages) can remain beside the new ones;
    an instructor must not hand one out, or mark with one, by mistake.
    """
    fresh = set(written)
    return sorted(
        p
        for folder in ("papers", "submissions", "keys")
        if (out / folder).is_dir()
        for p in (out / folder).iterdir()
        if p.is_file() and p not in fresh
    )


def _submission_template(exam: Exam, paper: Any) -> str:
    from quizgen.grade.submissions import template_for

    return indented_json(template_for(exam, paper)) + "\n"


class _NotPlain(Exception):
    pass


def indented_json(data: Any) -> str:
    """``json.dumps(data, indent=2, ensure_ascii=False)``: the same text, ~10x faster.

    With ``indent`` the standard library encodes in pure Python, and a submission template
    (every question and part of a paper, with its hints) cost ~0.85 ms a student. Here only
    the layout is Python: strings are encoded by the standard library's own C routine.
    Dicts with string keys, lists, strings, integers, booleans and None are written here;
    anything else (floats, other keys, subclasses), and data nested too deep or circular,
    is handed to ``json.dumps`` whole, which writes it or raises as it always did.
    """
    try:
        return "".join(_layout(data, "\n"))
    except (_NotPlain, RecursionError):
        return json.dumps(data, indent=2, ensure_ascii=False)


def _layout(data: Any, newline: str) -> Iterator[str]:
    """The pieces of ``data`` as ``json.dumps(indent=2)`` lays it out at this depth."""
    kind = type(data)
    if kind is str:
        yield _encode_string(data)
    elif kind is dict:
        if not data:
            yield "{}"
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, value in data.items():
            if type(key) is not str:
                raise _NotPlain
            yield separator
            yield _encode_string(key)
            yield ": "
            yield from _layout(value, inner)
            separator = "," + inner
        yield newline + "}"
    elif kind is list:
        if not data:
            yield "[]"
            return
        inner = newline + "  "
        separator = "[" + inner
        for value in data:
            yield separator
            yield from _layout(value, inner)
            separator = "," + inner
        yield newline + "]"
    elif data is None:
        yield "null"
    elif kind is bool:
        yield "true" if data else "false"
    elif kind is int:
        yield int.__repr__(data)
    else:
        raise _NotPlain
