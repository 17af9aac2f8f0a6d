"""The key file (issue 14): ``quizgen-exam/2`` written as papers stream, read back lazily.

What a user relies on: the key reads back exactly the papers that were drawn; a v1 key
written by earlier versions grades the same; grading reads only the students it grades; a
damaged key is refused with a message; the output does not depend on ``--jobs``; a large
class's answer key comes as pages of at most 100 papers with an index.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from classroom import BANK, SEED, make_exam, submission, write_json, write_key

from quizgen.errors import UsageError
from quizgen.fingerprint import Fingerprinter, compute_fingerprint
from quizgen.generate.write import KEY_PAGE, write_exam
from quizgen.keyfile import KEY_FORMAT, KeyPapers, open_key, student_rows
from quizgen.render import get_renderer


def _v2(exam, folder: Path) -> Path:
    write_exam(exam, folder, [get_renderer("md")])
    return folder / "key.json"


def test_v2_key_reads_back_every_paper_as_drawn(tmp_path: Path) -> None:
    exam = make_exam(8)
    key = _v2(exam, tmp_path)
    assert key.read_bytes().startswith(b'{"format":"' + KEY_FORMAT.encode() + b'"')
    back = open_key(key)
    assert isinstance(back.papers, KeyPapers)
    assert (back.title, back.seed, back.fingerprint) == (exam.title, exam.seed, exam.fingerprint)
    assert [p.model_dump_json() for p in back.papers] == [p.model_dump_json() for p in exam.papers]
    assert back.papers.paper("s5").model_dump_json() == exam.papers[4].model_dump_json()
    assert back.papers.paper("nobody") is None
    rows = student_rows(back)
    assert [(r.student_id, r.name, r.number) for r in rows] == [
        (p.student_id, p.name, p.number) for p in exam.papers
    ]


def test_shared_texts_and_variants_are_stored_once(tmp_path: Path) -> None:
    exam = make_exam(30)
    key = _v2(exam, tmp_path)
    lines = [json.loads(line) for line in key.read_bytes().splitlines()[1:-2]]
    texts = [line["value"] for line in lines if "text" in line]
    variants = [line["variant"]["uid"] for line in lines if "variant" in line]
    assert len(texts) == len(set(texts)) and len(variants) == len(set(variants))
    drawn = {v.uid for p in exam.papers for v in p.variants}
    assert set(variants) == drawn
    for line in lines:
        if "text" in line:  # content-addressed: the name is the text's hash
            digest = hashlib.sha256(line["value"].encode()).hexdigest()[:32]
            assert line["text"] == digest


def test_streamed_fingerprint_equals_the_whole_exams() -> None:
    exam = make_exam(5)
    hasher = Fingerprinter(exam.model_copy(update={"papers": []}))
    for paper in exam.papers:
        hasher.add(paper)
    assert hasher.hexdigest() == compute_fingerprint(exam) == exam.fingerprint


def _grade(quizgen_cli, key: Path, subs: Path, out: Path) -> dict[str, bytes]:
    (run,) = quizgen_cli(["grade", key, subs, "--out", out])
    assert run.code == 0, run.stderr
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.*"))}


def test_a_v1_key_grades_exactly_as_its_v2_twin(tmp_path: Path, quizgen_cli) -> None:
    exam = make_exam(6)
    v1 = write_key(exam, tmp_path / "v1")  # a key as quizgen-exam/1 (written by key_json)
    assert json.loads(v1.read_text(encoding="utf-8"))["format"] == "quizgen-exam/1"
    v2 = _v2(exam, tmp_path / "v2")
    subs = tmp_path / "subs"
    subs.mkdir()
    for sid in ("s1", "s3", "s4"):
        write_json(subs / f"{sid}.json", submission(exam, sid))
    old = _grade(quizgen_cli, v1, subs, tmp_path / "g1")
    new = _grade(quizgen_cli, v2, subs, tmp_path / "g2")
    assert old.keys() == new.keys() and "feedback/s3.html" in new
    differ = [name for name in old if old[name] != new[name] and name != "timing.csv"]
    assert differ == []
    rows = (tmp_path / "g2" / "grades.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 1 + 6  # the three who did not submit are listed as missing


def test_grade_reads_only_the_papers_it_grades(tmp_path: Path, quizgen_cli) -> None:
    """Damage the record of a student who did not submit: the others grade as before."""
    exam = make_exam(6)
    key = _v2(exam, tmp_path / "exam")
    data = key.read_bytes()
    start = data.index(b'{"student":"s2"')
    end = data.index(b"\n", start)
    key.write_bytes(data[:start] + b"#" * (end - start) + data[end:])
    subs = tmp_path / "subs"
    subs.mkdir()
    write_json(subs / "s1.json", submission(exam, "s1"))
    files = _grade(quizgen_cli, key, subs, tmp_path / "g")
    assert b"s2" in files["grades.csv"] and "feedback/s1.html" in files
    write_json(subs / "s2.json", submission(exam, "s2"))  # now its paper is needed
    (run,) = quizgen_cli(["grade", key, subs, "--out", tmp_path / "g2"])
    assert run.code == 2 and "damaged key" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b[:-30], "cut off"),
        (lambda b: b[: len(b) // 2], "cut off"),
        (lambda b: b.replace(b'"index":', b'"indey":'), "no index"),
    ],
)
def test_a_damaged_key_is_refused_with_a_message(tmp_path: Path, damage, message) -> None:
    key = _v2(make_exam(3), tmp_path)
    key.write_bytes(damage(key.read_bytes()))
    with pytest.raises(UsageError, match=message):
        open_key(key)


def _with_index_entry(key: Path, change) -> None:
    """Rewrite the index's first entry with ``change`` (the index starts where it did)."""
    data = key.read_bytes()
    start = data.index(b'{"index":')
    end = data.index(b"\n", start)
    index = json.loads(data[start:end])
    index["index"][0] = change(index["index"][0])
    line = json.dumps(index, separators=(",", ":")).encode()
    key.write_bytes(data[:start] + line + data[end:])


@pytest.mark.parametrize(
    "change",
    [
        lambda e: [7, *e[1:]],  # an id that is a number
        lambda e: [e[0], str(e[1]), *e[2:]],  # an offset that is text
        lambda e: [*e[:2], None, *e[3:]],  # no name
        lambda e: [*e[:3], 1.5, e[4]],  # a number that is not whole
        lambda e: [*e[:4], True],  # points that are a bool
        lambda e: [*e[:4], "5"],  # points that are text
        lambda e: e[:4],  # a field short
        lambda e: [*e, 0],  # a field too many
        lambda e: dict(zip("abcde", e, strict=True)),  # an object
        lambda e: "abcde",  # five characters
    ],
)
def test_a_malformed_index_entry_is_refused(tmp_path: Path, change) -> None:
    key = _v2(make_exam(3), tmp_path)
    assert len(open_key(key).papers) == 3
    _with_index_entry(key, change)
    with pytest.raises(UsageError, match="malformed entry"):
        open_key(key)


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_output_is_byte_identical_for_any_jobs_and_large_keys_come_in_pages(
    tmp_path: Path, quizgen_cli
) -> None:
    count = KEY_PAGE + 30  # two key pages, several pool tasks
    common = ["generate", BANK, "--count", count, "--seed", SEED]
    outs = [tmp_path / "j1", tmp_path / "j2"]
    runs = quizgen_cli(
        [*common, "--jobs", "1", "--out", outs[0]], [*common, "--jobs", "2", "--out", outs[1]]
    )
    assert all(r.code == 0 for r in runs), [r.stderr for r in runs]
    one, two = _tree(outs[0]), _tree(outs[1])
    assert one == two
    pages = sorted(name for name in one if name.startswith("keys/"))
    assert pages == [
        "keys/key-001-100.html",
        "keys/key-001-100.md",
        "keys/key-101-130.html",
        "keys/key-101-130.md",
    ]
    index = (outs[0] / "key.html").read_text(encoding="utf-8")
    assert 'href="keys/key-101-130.html"' in index and "s130" in index
    seen = []
    for page in pages[::2]:
        text = (outs[0] / page).read_text(encoding="utf-8")
        seen += [int(n) for n in re.findall(r'id="paper-(\d+)"', text)]
    assert seen == list(range(1, count + 1))  # every paper on exactly one page, in order


def test_grade_a_shard_of_the_class_with_students(tmp_path: Path, quizgen_cli) -> None:
    exam = make_exam(6)
    key = _v2(exam, tmp_path / "exam")
    subs = tmp_path / "subs"
    subs.mkdir()
    for p in exam.papers:
        write_json(subs / f"{p.student_id}.json", submission(exam, p.student_id))
    out = tmp_path / "g"
    (run,) = quizgen_cli(["grade", key, subs, "--out", out, "--students", "2-3"])
    assert run.code == 0, run.stderr
    assert "skipped 4 submission(s) of other students" in run.stderr
    rows = (out / "grades.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert [r.split(",")[0] for r in rows] == ["s2", "s3"]
    assert sorted(p.name for p in (out / "feedback").iterdir()) == [
        "s2.html",
        "s2.md",
        "s3.html",
        "s3.md",
    ]


@pytest.mark.parametrize(
    ("given", "message"),
    [("0-3", "at least 1"), ("5-2", "at most LAST"), ("a-b", "FIRST-LAST"), ("9", "only 6")],
)
def test_a_bad_students_range_is_refused(tmp_path: Path, quizgen_cli, given, message) -> None:
    exam = make_exam(6)
    key = _v2(exam, tmp_path / "exam")
    (run,) = quizgen_cli(["grade", key, tmp_path, "--out", tmp_path / "g", "--students", given])
    assert run.code == 2 and message in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize(
    "text",
    [
        '{"$text":0}',
        'see {"$text": 12} and \\u0000 "quoted" — ünïcode ' + "x" * 60,
        '"prompt":{"$text":1}' + "y" * 50,
        "\n".join(["a line that is long enough to be stored once as a shared text"] * 3),
    ],
)
def test_texts_that_look_like_references_read_back_unchanged(tmp_path: Path, text: str) -> None:
    """Bank text is the author's: whatever it holds, the key gives it back verbatim."""
    exam = make_exam(3)
    first = exam.papers[0]
    odd = first.variants[0].model_copy(update={"prompt": text, "solution": text + text})
    papers = [first.model_copy(update={"variants": [odd, *first.variants[1:]]})]
    papers += exam.papers[1:]
    changed = exam.model_copy(update={"papers": papers})
    key = _v2(changed, tmp_path)
    back = open_key(key)
    assert [p.model_dump_json() for p in back.papers] == [p.model_dump_json() for p in papers]
