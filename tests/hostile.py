"""Broken and hostile files, written in place of one student's submission (see issue 9).

Shared by tests/test_hostile_files.py (one at a time) and tests/test_big_class.py (a class).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from pathlib import Path

from classroom import csv_row, submission

from quizgen.variant import Exam

MB = 1024 * 1024


def csv_text(
    rows: list[dict[str, str]], delimiter: str = ",", id_header: str = "student_id"
) -> str:
    fields = [id_header, *rows[0]["answers"]]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow([row["id"], *row["answers"].values()])
    return buffer.getvalue()


def csv_rows(exam: Exam, *students: str) -> list[dict]:
    return [{"id": s, "answers": csv_row(exam, s)} for s in students]


def json_text(exam: Exam, student: str) -> str:
    return json.dumps(submission(exam, student))


# --- builders: each writes one broken file in place of a student's submission --------------

Builder = Callable[..., None]


def nested_json(path: Path, exam: Exam, student: str = "s2") -> None:
    path.write_text("[" * 2048 + "]" * 2048, encoding="utf-8")


def nested_answer(path: Path, exam: Exam, student: str = "s2") -> None:
    text = json_text(exam, student).replace('"vanishing gradient"', "[" * 2000 + "]" * 2000)
    path.write_text(text, encoding="utf-8")


def huge_number_id(path: Path, exam: Exam, student: str = "s2") -> None:
    path.write_text('{"student_id": ' + "7" * 5000 + ', "answers": {}}', encoding="utf-8")


def nul_bytes(path: Path, exam: Exam, student: str = "s2") -> None:
    path.write_bytes(
        json_text(exam, student)
        .encode("utf-8")
        .replace(b'"student_id": "s', b'"student_id": "\x00s')
    )


def fifty_megabytes(path: Path, exam: Exam, student: str = "s2") -> None:
    with open(path, "wb") as handle:  # sparse: the size is read before any byte
        handle.truncate(50 * MB)


def binary_file(path: Path, exam: Exam, student: str = "s2") -> None:
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)


def latin1(path: Path, exam: Exam, student: str = "s2") -> None:
    path.write_bytes(json_text(exam, student).replace("vanishing", "vanishing é").encode("latin-1"))


def duplicate_keys(path: Path, exam: Exam, student: str = "s2") -> None:
    text = json_text(exam, student).replace('"answers": {', '"answers": {"rnn-count": "1", ', 1)
    path.write_text(text, encoding="utf-8")


def symlink_loop(path: Path, exam: Exam, student: str = "s2") -> None:
    os.symlink(path.name, path)


def fifo(path: Path, exam: Exam, student: str = "s2") -> None:
    os.mkfifo(path)


def unterminated_quote(path: Path, exam: Exam, student: str = "s2", *after: str) -> None:
    text = csv_text(csv_rows(exam, student, *after))
    lines = text.split("\r\n")
    lines[1] = lines[1].replace(",true,", ',"true,', 1)  # the first row opens a quote, never closed
    path.write_text("\r\n".join(lines), encoding="utf-8")


def oversized_cell(path: Path, exam: Exam, student: str = "s2", *after: str) -> None:
    rows = csv_rows(exam, student, *after)
    rows[0]["answers"]["why-gates"] = "x" * 200_000
    path.write_text(csv_text(rows), encoding="utf-8")


def bad_json(path: Path, exam: Exam, student: str = "s2") -> None:
    path.write_text(json_text(exam, student)[:-1], encoding="utf-8")


#: Each whole-file breakage: builder and the start of its rejected.csv reason.
BROKEN_FILES: dict[str, tuple[Builder, str]] = {
    "nested JSON": (nested_json, "not valid JSON: nested more than 32 levels deep"),
    "nested answer": (nested_answer, "not valid JSON: nested more than 32 levels deep"),
    "huge number": (huge_number_id, "student_id: String should have at most 200"),
    "NUL byte": (nul_bytes, "a NUL character at line 1"),
    "50 MB file": (fifty_megabytes, "too large: 50.0 MB (the limit is 32.0 MB)"),
    "binary file": (binary_file, "a binary file, not text"),
    "Latin-1": (latin1, "not UTF-8 text (byte"),
    "duplicate keys": (duplicate_keys, "not valid JSON: duplicate key 'rnn-count'"),
    "symlink loop": (symlink_loop, "cannot read: Too many levels of symbolic links"),
    "FIFO": (fifo, "not a regular file"),
    "bad JSON": (bad_json, "not valid JSON: Expecting ',' delimiter"),
}
