"""Benchmark: a 1,000-student, 20-question exam drawn, solved and rendered in both formats.

Prints medians over repeats: question variants per second for drawing+solving, for each
renderer's papers and answer key, the whole pipeline (as ``quizgen generate`` runs it, minus
disk writes and submission templates), and — as a
baseline in the same process — solving the same numeric answers the naive way, with sympy's
``subs``/``evalf`` per variant. Run: ``python bench/bench_generate.py`` (or bench/run.py).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from quizgen.bank.model import load_bank
from quizgen.generate.compile import compile_bank
from quizgen.generate.exam import build_exam, draw_papers, numbered_students
from quizgen.render import get_renderer

ROOT = Path(__file__).resolve().parent.parent
STUDENTS = 1000
QUESTIONS = 20


def _banks():
    # The shipped first bank, then the others, until QUESTIONS questions are taken.
    files = sorted((ROOT / "banks").glob("*.yaml"), key=lambda p: p.name != "rnn-lstm.yaml")
    kept, total = [], 0
    for bank in (load_bank(p) for p in files):
        take = bank.questions[: QUESTIONS - total]
        if take:
            kept.append(bank.model_copy(update={"questions": take}))
            kept[-1]._located = bank._located
            total += len(take)
    if total < QUESTIONS:
        sys.exit(f"the shipped banks hold only {total} questions; the benchmark needs {QUESTIONS}")
    return kept


def _median_time(func, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _draw_cost(banks, students, repeats: int) -> None:
    """CPU per variant of drawing and solving alone (no Exam, no fingerprint), each repeat
    from freshly compiled questions and another seed, so that no solved variant is reused
    across repeats (the values costly formulas remember stay, as they would in one process)."""
    times, count = [], 0
    for repeat in range(repeats):
        compiled = [q for b in banks for q in compile_bank(b)]
        start = time.process_time()
        count = sum(
            len(p.variants)
            for p in draw_papers(banks, students, f"bench-{repeat}", compiled=compiled)
        )
        times.append(time.process_time() - start)
    cpu = statistics.median(times)
    print(
        f"{'draw + solve, CPU':28} {count:6} variants {cpu:7.2f} s {count / cpu:9.0f} variants/s"
        f"  ({1e6 * cpu / count:.0f} us per variant)"
    )


def _draw_goal_cost(repeats: int) -> None:
    """CPU of the drawing side of the goal's command, ``generate banks/rnn-lstm.yaml --count
    1000`` (40 questions, 40,000 variants), in one process: drawing and solving, then the
    distinct variants' key records (:func:`quizgen.keyfile.prepare_variant`). Each repeat
    compiles the bank afresh (no solved variant or part is reused across repeats) and runs
    with the collector as ``generate`` sets it (what is loaded frozen, young collections
    every 100,000 allocations)."""
    import gc

    from quizgen.keyfile import prepare_variant

    bank = load_bank(ROOT / "banks" / "rnn-lstm.yaml")
    students = numbered_students(1000)
    draws, records, count, distinct = [], [], 0, 0
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, before[1], before[2])
    try:
        for repeat in range(repeats):
            compiled = compile_bank(bank)
            start = time.process_time()
            papers = list(draw_papers([bank], students, f"goal-{repeat}", compiled=compiled))
            draws.append(time.process_time() - start)
            start = time.process_time()
            texts: dict = {}
            unique = {v.uid: v for p in papers for v in p.variants}
            for v in unique.values():
                prepare_variant(v.model_dump(mode="json"), texts)
            records.append(time.process_time() - start)
            count, distinct = sum(len(p.variants) for p in papers), len(unique)
            del papers, unique
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
    draw, record = statistics.median(draws), statistics.median(records)
    print(
        f"{'rnn-lstm x 1,000 draw, CPU':28} {count:6} variants {draw:7.2f} s "
        f"{count / draw:9.0f} variants/s  ({1e6 * draw / count:.0f} us per variant)"
    )
    print(
        f"{'  its key records, CPU':28} {distinct:6} distinct {record:7.2f} s "
        f"{distinct / record:9.0f} records/s"
    )


def _compile_and_check(repeats: int) -> None:
    """CPU of what ``generate`` does before the first paper of banks/rnn-lstm.yaml: compile
    every question (the caches of compiled texts and formulas emptied first) and the bank
    pre-check on the compiled questions. Medians of repeats in one process: sympy's own
    caches and the check's first imports are paid in the first repeat only, so a new
    process pays more (about 0.45 s to compile, 0.25 s to check)."""
    from quizgen.generate import compile as compiling
    from quizgen.generate.exam import Draw

    bank = load_bank(ROOT / "banks" / "rnn-lstm.yaml")
    compile_times, check_times = [], []
    for _ in range(repeats):
        compiling._TEXTS.clear()
        compiling._FORMULAS.clear()
        draw = Draw([bank], numbered_students(1), "bench", check=True)
        start = time.process_time()
        draw.compiled  # noqa: B018 -- compiled here, timed
        compile_times.append(time.process_time() - start)
        start = time.process_time()
        errors = [e for number in range(draw.checks) for e in draw.check_question(number)]
        check_times.append(time.process_time() - start)
        assert not errors, errors
    count = len(bank.questions)
    for label, times in (
        ("compile, CPU", compile_times),
        ("pre-check (compiled), CPU", check_times),
    ):
        cpu = statistics.median(times)
        print(f"{label:28} {count:6} questions {cpu:6.2f} s  ({1e3 * cpu / count:.1f} ms each)")


def _naive_solve(banks, exam) -> int:
    """Baseline: substitute each numeric variant's values into its sympy answer and evalf."""
    import sympy

    formulas = {}
    for bank in banks:
        for q in compile_bank(bank):
            if q.spec is not None and q.spec.formula is not None and q.question.kind == "numeric":
                formulas[q.id] = (
                    q.spec.formula.expr,
                    [name for name, _ in q.space.lets],
                    q.space.lets,
                )
    solved = 0
    for paper in exam.papers:
        for v in paper.variants:
            if v.question_id not in formulas:
                continue
            expr, _, lets = formulas[v.question_id]
            env = {
                sympy.Symbol(k, real=True): sympy.Rational(x)
                for k, x in v.values.items()
                if "/" in x or x.lstrip("-").isdigit()
            }
            for name, formula in lets:  # the let chain, the sympy way
                env[sympy.Symbol(name, real=True)] = formula.expr.subs(env)
            expr.subs(env).evalf(30)
            solved += 1
    return solved


def _key_cost(exam, repeats: int) -> tuple[float, float]:
    """Wall seconds (medians) of ``key.json`` as ``generate --jobs N`` makes it: the drawing
    workers prepare each range's variant records and the paper JSON the fingerprint hashes
    (:func:`quizgen.keyfile.prepare_variant`); the parent, alone and in paper order, hashes
    and writes them (the serial part)."""
    import tempfile

    from quizgen.fingerprint import Fingerprinter
    from quizgen.generate.write import DRAW_CHUNK
    from quizgen.keyfile import DrawnPaper, KeyWriter, prepare_variant

    head = exam.model_copy(update={"papers": [], "fingerprint": None})

    def records() -> list:
        ranges = []
        for first in range(0, len(exam.papers), DRAW_CHUNK):
            chunk, prepared, texts = [], {}, {}
            for paper in exam.papers[first : first + DRAW_CHUNK]:
                for v in paper.variants:
                    if v.uid not in prepared:
                        prepared[v.uid] = prepare_variant(v.model_dump(mode="json"), texts)
                chunk.append((paper.model_dump_json().encode(), DrawnPaper.of(paper)))
            ranges.append((chunk, prepared))
        return ranges

    t_records, ranges = _median_time(records, repeats)

    def write() -> None:
        with tempfile.TemporaryDirectory() as folder:
            hasher, writer = Fingerprinter(head), KeyWriter(Path(folder) / "key.json", head)
            for chunk, prepared in ranges:
                for paper_json, paper in chunk:
                    hasher.add_json(paper_json)
                    writer.add_drawn(paper, prepared.__getitem__)
            writer.close(hasher.hexdigest())

    t_write, _ = _median_time(write, repeats)
    return t_records, t_write


def _markdown_texts(exam) -> list[tuple[str, bool]]:
    """The distinct Markdown texts (with their inline flag) the HTML papers and key render."""
    from quizgen.render import mathtext

    seen: dict[tuple[str, bool], None] = {}
    cached = mathtext._markdown

    def spy(text: str, inline: bool, math: str) -> str:
        seen[text, inline] = None
        return cached(text, inline, math)

    mathtext._markdown = spy
    try:
        renderer = get_renderer("html")
        renderer.key(exam)
        for paper in exam.papers:
            renderer.paper(exam, paper)
    finally:
        mathtext._markdown = cached
    return list(seen)


def markdown_shapes(exam, repeats: int) -> None:
    """CPU of the Markdown alone (LMS style: TeX, so no MathML conversion): every distinct text
    of the exam rendered from empty caches, the way a run meets them, by shape (variants that
    differ only in their numbers share one parse) and, as the baseline in the same process,
    each text parsed by markdown-it itself."""
    from markdown_it import MarkdownIt

    from quizgen.render import mathtext

    texts = _markdown_texts(exam)

    def by_shape() -> None:
        mathtext.clear_caches()
        for text, inline in texts:
            mathtext.markdown_to_html(text, inline=inline, math="tex")

    parser: MarkdownIt = mathtext._parser("tex")

    def each_parsed() -> None:
        for text, inline in texts:
            parser.renderInline(text) if inline else parser.render(text)

    for label, func in (
        ("Markdown by shape, CPU", by_shape),
        ("Markdown each parsed, CPU", each_parsed),
    ):
        times = []
        for _ in range(repeats):
            start = time.process_time()
            func()
            times.append(time.process_time() - start)
        cpu = statistics.median(times)
        print(f"{label:28} {len(texts):6} texts    {cpu:7.2f} s {len(texts) / cpu:9.0f} texts/s")


def _line(label: str, count: int, seconds: float) -> None:
    print(f"{label:28} {count:6} variants {seconds:7.2f} s {count / seconds:9.0f} variants/s")


def main(repeats: int = 3) -> None:
    banks = _banks()
    students = numbered_students(STUDENTS)
    variants = STUDENTS * QUESTIONS
    t_build, exam = _median_time(lambda: build_exam(banks, students, "bench"), repeats)
    _line("draw + solve", variants, t_build)
    _draw_cost(banks, students, repeats)
    _draw_goal_cost(repeats)
    _compile_and_check(repeats)
    renderers = [get_renderer("html"), get_renderer("md")]
    papers = keys = 0.0
    for renderer in renderers:
        t_render, _ = _median_time(
            lambda r=renderer: [r.paper(exam, p) for p in exam.papers], repeats
        )
        _line(f"render {renderer.name} papers", variants, t_render)
        t_key, _ = _median_time(lambda r=renderer: r.key(exam), repeats)
        _line(f"render {renderer.name} key", variants, t_key)
        papers, keys = papers + t_render, keys + t_key
    t_records, t_write = _key_cost(exam, repeats)
    _line("key.json records (workers)", variants, t_records)
    _line("key.json written (parent)", variants, t_write)
    t_json = t_records + t_write

    markdown_shapes(exam, repeats)
    student_side = t_build + papers + t_json
    _line("papers: rendered (x2 formats)", 2 * variants, student_side)
    _line("papers+keys: rendered (x2)", 2 * variants, student_side + keys)
    t_naive, solved = _median_time(lambda: _naive_solve(banks, exam), 1)
    t_ours = t_build * solved / variants
    print(
        f"baseline: sympy subs+evalf solves the {solved} numeric variants in {t_naive:.2f} s; "
        f"quizgen draws and solves them in ~{t_ours:.2f} s ({t_naive / t_ours:.0f}x)"
    )


if __name__ == "__main__":
    main()
