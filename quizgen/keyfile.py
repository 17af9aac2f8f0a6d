"""The key file (``key.json``): write it student by student, read back only what is asked.

Format ``quizgen-exam/2`` (documented in ``docs/key-format.md``) is JSON Lines: a header, then
shared texts and distinct variants, each written once where first used and referred to by
its byte offset, then one short line per student, then an index of the students and a
fixed-width trailer that says where the index starts. A reader opens the header and the
index, and seeks to the students it needs; nothing holds the whole class at once. Keys in the
older one-document format ``quizgen-exam/1`` are still read (whole, as before).

The in-memory model is unchanged: :class:`~quizgen.variant.Exam` with its papers. For a v2
key the papers are a :class:`KeyPapers` sequence that loads a paper when it is asked for.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, NamedTuple

from pydantic import ValidationError
from pydantic_core import from_json

from quizgen import collector
from quizgen.errors import UsageError
from quizgen.inputs import KEY_BYTES, InputError, read_text
from quizgen.output import INCOMPLETE
from quizgen.variant import Exam, Paper, Variant

__all__ = [
    "KEY_FORMAT",
    "DrawnPaper",
    "KeyPapers",
    "KeyWriter",
    "StudentRow",
    "key_format",
    "open_key",
    "paper_of",
    "papers_by_id",
    "parse_range",
    "restrict",
    "scan_key",
    "student_rows",
]

KEY_FORMAT = "quizgen-exam/2"
V1_FORMAT = "quizgen-exam/1"

#: Strings at least this long are stored once and referred to (prompts, solutions, options).
SHARED_TEXT = 48
#: The writer remembers this many texts and variants per kind; past it, it starts afresh
#: (a text is then stored again: correct, a little larger, and memory stays flat).
REMEMBERED = 50_000
#: Variants (a few kB each as objects) and texts a reader keeps; a miss costs one seek.
READ_VARIANTS = 4_000
READ_TEXTS = 20_000
_TRAILER = '{{"index_at":{:020d}}}\n'
_TRAILER_BYTES = len(_TRAILER.format(0))
_LINE_BYTES = 64 * 1024 * 1024  # one record; a variant is a few kB


class StudentRow(NamedTuple):
    """What the index says of a student: enough to list them without their paper.

    A tuple in the order of the index's entries, so a 100,000-student index is read quickly.
    """

    student_id: str
    offset: int
    name: str
    number: int
    points: float


# --- writing ---------------------------------------------------------------------------------


class DrawnPaper(NamedTuple):
    """A paper as the writer needs it: who, and the uids of its variants in order."""

    student_id: str
    name: str
    number: int
    points: float
    uids: tuple[str, ...]

    @classmethod
    def of(cls, paper: Paper) -> DrawnPaper:
        """The record of a paper in memory."""
        points = sum(v.points for v in paper.variants)
        uids = tuple(v.uid for v in paper.variants)
        return cls(paper.student_id, paper.name, paper.number, points, uids)


def _header(exam: Exam, fingerprint: str) -> bytes:
    head = {
        "format": KEY_FORMAT,
        "title": exam.title,
        "course": exam.course,
        "seed": exam.seed,
        "fingerprint": fingerprint,
        "pick": exam.pick,
        "banks": [b.model_dump(mode="json") for b in exam.banks],
    }
    return _line(head)


def _line(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


#: A text as a drawing process hands it over: its digest, and its whole record line.
Text = tuple[str, bytes]
#: A variant's record line, prepared where it was drawn (:func:`prepare_variant`): bytes
#: with a :data:`Text` wherever the line refers to a shared text. The writer fills in each
#: text's offset (writing the text first if it is new) and joins: no JSON is made there.
#: Or, rarely, the variant's JSON data itself, which the writer turns into the line.
Prepared = tuple[bytes | Text, ...] | dict[str, Any]

_no_default = json.JSONEncoder().default  # json.dumps's: raises TypeError


def _c_line_encoder(string: Callable[[str], str]) -> Callable[[Any, int], Any]:
    """json's C encoder as ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))``
    sets it up (check_circular, default, strings, no indent, separators, sort_keys, skipkeys,
    allow_nan), with ``string`` encoding every string."""
    return c_make_encoder({}, _no_default, string, None, ":", ",", False, False, True)


def _c_encoder_works() -> bool:
    """Whether this Python's json has the C encoder, taking the arguments it took in
    3.10-3.13 and writing what json.dumps writes. ``c_make_encoder`` is not public: if a
    Python changes it, the records are made the old way rather than failing."""
    if c_make_encoder is None:
        return False
    sample = {"a": [1, 2.5, -0.0, 'é\x00"', None, True, {"b": "c"}]}
    expected = json.dumps({"variant": sample}, ensure_ascii=False, separators=(",", ":"))
    try:
        return "".join(_c_line_encoder(encode_basestring)({"variant": sample}, 0)) == expected
    except Exception:  # any failure means: do not use it
        return False


_C_ENCODER = _c_encoder_works()


def prepare_variant(data: dict[str, Any], texts: dict[str, Text] | None = None) -> Prepared:
    """A variant's key record, ready for :meth:`KeyWriter.add_drawn`, made by the process
    that drew it: the line the writer writes, cut where a long string becomes a reference
    to its text record (whose offset only the writer knows).

    The line is json.dumps's own encoder's output, with every string it encodes passed
    through a function of ours instead of the usual C routine (which it calls for the
    others): a long one is written as a raw NUL, which json.dumps never writes (it escapes
    one in a string as \\u0000), so the line is cut at its NULs.

    Args:
        data: the variant's ``model_dump(mode="json")``.
        texts: a cache text -> :data:`Text` that the caller keeps across variants.

    Returns:
        The pieces of the line: bytes, and a :data:`Text` for each long string in the
        order the line holds them; or ``data`` itself, unprepared (the writer then makes
        the line from it, as it used to), if a key is that long or this Python's json has
        no C encoder that works as it did (:func:`_c_encoder_works`).
    """
    if not _C_ENCODER:
        return data
    found: list[str] = []

    def string(text: str) -> str:
        if len(text) >= SHARED_TEXT:
            found.append(text)
            return "\x00"
        return encode_basestring(text)

    cuts = "".join(_c_line_encoder(string)({"variant": data}, 0)).split("\x00")
    if any(cut.startswith(":") for cut in cuts[1:]):
        return data  # a key of SHARED_TEXT characters: keys are never shared
    cache = {} if texts is None else texts
    pieces: list[bytes | Text] = []
    for cut, text in zip(cuts[:-1], found, strict=True):
        pieces.append(cut.encode("utf-8"))
        record = cache.get(text)
        if record is None:
            if len(cache) >= REMEMBERED:
                cache.clear()
            record = cache[text] = _text_record(text)
        pieces.append(record)
    pieces.append((cuts[-1] + "\n").encode("utf-8"))
    return tuple(pieces)


def _text_record(text: str) -> Text:
    """A shared text's name in the key (its content hash) and its record line."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    return digest, _line({"text": digest, "value": text})


class KeyWriter:
    """Writes a v2 key as papers arrive; :meth:`close` adds the index and the fingerprint.

    The header is written first with a placeholder fingerprint of the same length, and
    rewritten in place at the end, so every offset is final when it is written.
    """

    def __init__(self, path: Path, exam: Exam) -> None:
        self._exam = exam
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._at = 0  # where the next record starts (kept here: tell() costs a system call)
        self._write(_header(exam, "0" * 16))
        self._texts: dict[str, int] = {}
        self._variants: dict[str, int] = {}
        self._index: list[list[Any]] = []

    def _write(self, data: bytes) -> int:
        at = self._at
        self._file.write(data)
        self._at = at + len(data)
        return at

    def _text(self, digest: str, line: bytes) -> int:
        """The offset of the text named ``digest``; its ``line`` is written if it is new."""
        at = self._texts.get(digest)
        if at is None:
            if len(self._texts) >= REMEMBERED:
                self._texts.clear()
            at = self._texts[digest] = self._write(line)
        return at

    def _variant(self, uid: str, prepared: Callable[[str], Prepared]) -> int:
        at = self._variants.get(uid)
        if at is None:
            pieces = prepared(uid)
            if type(pieces) is dict:  # not prepared (a long key; no C encoder): made here
                line = _line({"variant": self._shared(pieces)})
            else:
                line = b"".join(
                    piece if type(piece) is bytes else b'{"$text":%d}' % self._text(*piece)
                    for piece in pieces
                )
            if len(self._variants) >= REMEMBERED:
                self._variants.clear()
            at = self._variants[uid] = self._write(line)
        return at

    def _shared(self, data: Any) -> Any:
        """``data`` with every long string value replaced by a reference to its text line."""
        if isinstance(data, str):
            if len(data) < SHARED_TEXT:
                return data
            return {"$text": self._text(*_text_record(data))}
        if isinstance(data, dict):
            return {k: self._shared(v) for k, v in data.items()}
        if isinstance(data, list):
            return [self._shared(v) for v in data]
        return data

    def add(self, paper: Paper) -> None:
        """Append one student's paper (its new texts and variants first)."""
        by_uid = {v.uid: v for v in paper.variants}
        self.add_drawn(
            DrawnPaper.of(paper), lambda uid: prepare_variant(by_uid[uid].model_dump(mode="json"))
        )

    def add_drawn(self, paper: DrawnPaper, prepared: Callable[[str], Prepared]) -> None:
        """Append a paper drawn elsewhere: ``prepared(uid)`` gives a variant's record as
        :func:`prepare_variant` made it, asked for only when the key does not hold it yet."""
        refs = [self._variant(uid, prepared) for uid in paper.uids]
        line = {
            "student": paper.student_id,
            "name": paper.name,
            "number": paper.number,
            "points": paper.points,
            "variants": refs,
        }
        at = self._write(_line(line))
        self._index.append([paper.student_id, at, paper.name, paper.number, paper.points])

    def close(self, fingerprint: str) -> None:
        """Write the index and the trailer, then the real fingerprint into the header."""
        at = self._write(_line({"index": self._index}))
        self._file.write(_TRAILER.format(at).encode("ascii"))
        header = _header(self._exam, fingerprint)
        if len(header) != len(_header(self._exam, "0" * 16)):
            raise ValueError("a fingerprint must be 16 characters")
        self._file.seek(0)
        self._file.write(header)
        self._file.close()

    def abort(self) -> None:
        """Close without finishing (the staged folder is thrown away)."""
        self._file.close()


# --- reading ---------------------------------------------------------------------------------


class _Corrupt(Exception):
    pass


# A reference as the writer writes it. In a JSON string a quote is escaped, so this cannot
# match inside one.
_REF_BYTES = re.compile(rb'\{"\$text":(\d+)\}')
_TEXT_PREFIX = b'{"text":"'


def _text_json(raw: bytes, at: int) -> bytes:
    """The JSON string of a text record ``{"text":"<32 hex>","value":"…"}``, unparsed."""
    head = len(_TEXT_PREFIX) + 32 + len(b'","value":')
    if not (
        raw.startswith(_TEXT_PREFIX)
        and raw[head - 9 : head] == b',"value":'
        and raw.endswith(b'"}\n')
        and raw[head : head + 1] == b'"'
    ):
        raise _Corrupt(f"no text at byte {at}")
    return raw[head:-2]


_new_row = partial(tuple.__new__, StudentRow)
_INDEX_TYPES = ({str}, {int}, {str}, {int}, {float, int})  # of each column of the index


class _Reader:
    """Random and sequential access to the records of a v2 key file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file: IO[bytes] = open(self.path, "rb")  # noqa: SIM115 - lives with the exam
        self._pid = os.getpid()
        self._variants: dict[int, Variant] = {}
        self._texts: dict[int, str] = {}

    def record(self, at: int) -> dict[str, Any]:
        return self._parse(self.raw(at), at)

    def raw(self, at: int) -> bytes:
        """The line at byte ``at``, newline included."""
        if self._pid != os.getpid():
            # A forked worker (--jobs): a file inherited from the parent shares its position
            # with every other worker, so each process opens its own.
            self._file = open(self.path, "rb")  # noqa: SIM115
            self._pid = os.getpid()
        self._file.seek(at)
        return self._file.readline(_LINE_BYTES)

    def _parse(self, raw: bytes, at: int) -> dict[str, Any]:
        if not raw.endswith(b"\n"):
            raise _Corrupt(f"the record at byte {at} is cut off or longer than 64 MB")
        try:
            data = from_json(raw)  # pydantic-core's parser: twice as fast as json on these
        except ValueError as exc:
            raise _Corrupt(f"the record at byte {at} is not JSON ({exc})") from None
        if type(data) is not dict:
            raise _Corrupt(f"the record at byte {at} is not an object")
        return data

    def remember(self, at: int, raw: bytes) -> None:
        """Keep a text record met while scanning (saves a seek when it is used)."""
        if len(self._texts) >= READ_TEXTS:
            self._texts.clear()
        self._texts[at] = _text_json(raw, at)

    def text_json(self, at: int) -> bytes:
        """The text record's value as it stands in the file: a JSON string."""
        found = self._texts.get(at)
        if found is None:
            if len(self._texts) >= READ_TEXTS:
                self._texts.clear()
            found = self._texts[at] = _text_json(self.raw(at), at)
        return found

    def expanded(self, raw: bytes, at: int, skip: frozenset[str] = frozenset()) -> Any:
        """A variant record's data with its texts in place (``skip``: left as "")."""
        if skip:
            line = self._skipping(raw, skip)
        else:  # cut at the references: line, offset, line, offset, …, line
            pieces = _REF_BYTES.split(raw)
            texts, text_json = self._texts, self.text_json
            pieces[1::2] = [texts.get(ref) or text_json(ref) for ref in map(int, pieces[1::2])]
            line = b"".join(pieces)
        data = self._parse(line, at).get("variant")
        if type(data) is not dict:
            raise _Corrupt(f"no variant at byte {at}")
        return data

    def _skipping(self, raw: bytes, skip: frozenset[str]) -> bytes:
        """``raw`` with its texts in place, those of the fields in ``skip`` as ""."""
        fields = tuple(f'"{name}":'.encode() for name in skip)
        texts, text_json = self._texts, self.text_json

        def text(match: re.Match[bytes]) -> bytes:
            if raw.endswith(fields, 0, match.start()):
                return b'""'
            at = int(match.group(1))
            return texts.get(at) or text_json(at)

        return _REF_BYTES.sub(text, raw)

    def variant(self, at: int) -> Variant:
        # Least recently used out first: a variant many students share stays read, where
        # clearing the whole cache when full re-read and re-validated it for the next student
        # (37,600 validations for 1,000 students of a 40-question bank).
        found = self._variants.pop(at, None)
        if found is None:
            data = self.expanded(self.raw(at), at)
            try:
                found = Variant.model_validate(data)
            except ValidationError as exc:
                raise _Corrupt(f"the variant at byte {at} is not valid ({exc})") from None
            if len(self._variants) >= READ_VARIANTS:
                del self._variants[next(iter(self._variants))]
        self._variants[at] = found
        return found

    def paper(self, row: StudentRow) -> Paper:
        data = self.record(row.offset)
        refs = data.get("variants")
        if data.get("student") != row.student_id or type(refs) is not list:
            raise _Corrupt(f"the index points to the wrong line for student {row.student_id}")
        variants = [self.variant(at) for at in refs]
        return Paper.model_construct(
            student_id=row.student_id, name=row.name, number=row.number, variants=variants
        )

    def index(self) -> list[StudentRow]:
        size = os.fstat(self._file.fileno()).st_size
        if size < _TRAILER_BYTES:
            raise _Corrupt("the file ends before its index")
        self._file.seek(size - _TRAILER_BYTES)
        tail = self._file.read()
        # Fixed width with leading zeros (not JSON numbers): parsed by hand.
        if not (tail.startswith(b'{"index_at":') and tail.endswith(b"}\n")):
            raise _Corrupt("the last line is not the index trailer (is the file cut off?)")
        try:
            at = int(tail[12:-2])
        except ValueError:
            raise _Corrupt(
                "the last line is not the index trailer (is the file cut off?)"
            ) from None
        with collector.paused():  # 600,000 new objects for 100,000 students, no cycles
            rows = self.record(at).get("index")
            if type(rows) is not list:
                raise _Corrupt(f"no index at byte {at}")
            try:  # StudentRow(*entry) for each, without a Python call per entry
                if not set(map(len, rows)) <= {len(StudentRow._fields)}:
                    raise TypeError
                found = list(map(_new_row, rows))
            except TypeError:
                raise _Corrupt("the index has a malformed entry") from None
        # Column by column, at C speed: str, int, str, int, float or int.
        for at, allowed in enumerate(_INDEX_TYPES):
            if not set(map(type, map(itemgetter(at), found))) <= allowed:
                raise _Corrupt("the index has a malformed entry")
        return found


def scan_key(
    path: Path, skip: frozenset[str] = frozenset()
) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """Every record of a v2 key in file order: (offset, kind, data), texts filled in.

    Kinds: ``header``, ``variant`` (data: the variant as in ``quizgen-exam/1``) and
    ``student`` (data: ``student``, ``name``, ``number``, ``points`` and ``variants``, the
    offsets of the student's variant records). For a reader that wants every student (the
    item report) without building pydantic objects; one pass, memory bounded by the caches.
    Fields named in ``skip`` (e.g. ``prompt``, ``solution``) are left as references.

    Raises:
        UsageError: the file cannot be read or a record is damaged.
    """
    reader = _Reader(path)
    try:
        with open(path, "rb") as handle:
            at = 0
            for raw in iter(lambda: handle.readline(_LINE_BYTES), b""):
                if raw.startswith(b'{"index'):
                    return
                if raw.startswith(_TEXT_PREFIX):
                    reader.remember(at, raw)
                elif raw.startswith(b'{"variant":'):
                    yield at, "variant", reader.expanded(raw, at, skip)
                else:
                    data = reader._parse(raw, at)
                    yield at, "header" if at == 0 else "student", data
                at += len(raw)
    except _Corrupt as exc:
        raise UsageError(f"{path}: damaged key ({exc})") from None
    except OSError as exc:
        raise UsageError(f"cannot read key {path}: {exc.strerror}") from None


class KeyPapers(Sequence[Paper]):
    """The papers of a v2 key, read from the file when they are asked for.

    Iterating reads them in order (memory stays flat); :meth:`paper` reads one student's;
    :meth:`rows` lists every student without reading a paper.
    """

    def __init__(self, reader: _Reader, rows: list[StudentRow]) -> None:
        self._reader = reader
        self._rows = rows
        self._by_id = {r.student_id: r for r in rows}

    def rows(self) -> list[StudentRow]:
        """Every student in paper order: id, name, number, points."""
        return self._rows

    def paper(self, student_id: str) -> Paper | None:
        """One student's paper, or None if the student is not in the exam."""
        row = self._by_id.get(student_id)
        return None if row is None else self._load(row)

    def _load(self, row: StudentRow) -> Paper:
        try:
            return self._reader.paper(row)
        except _Corrupt as exc:
            raise UsageError(f"{self._reader.path}: damaged key ({exc})") from None

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self._load(r) for r in self._rows[i]]
        return self._load(self._rows[i])

    def __iter__(self) -> Iterator[Paper]:
        for row in self._rows:
            yield self._load(row)

    def __contains__(self, paper: object) -> bool:
        return isinstance(paper, Paper) and paper.student_id in self._by_id


def parse_range(text: str, total: int) -> tuple[int, int]:
    """``"101-200"`` (or ``"7"``) → (first, last), 1-based and inclusive, within 1..total.

    Raises:
        UsageError: not a range of paper numbers, or empty within the exam.
    """
    first, _, last = text.strip().partition("-")
    try:
        a, b = int(first), int(last or first)
    except ValueError:
        raise UsageError(
            f"--students {text!r}: expected paper numbers FIRST-LAST, e.g. 1-500"
        ) from None
    if a < 1 or b < a:
        raise UsageError(f"--students {text!r}: FIRST must be at least 1 and at most LAST")
    if a > total:
        raise UsageError(f"--students {text!r}: the exam has only {total} paper(s)")
    return a, min(b, total)


def restrict(exam: Exam, first: int, last: int) -> Exam:
    """``exam`` with only the papers numbered ``first``..``last`` (by position, 1-based).

    Grading a range of students is how a large class is split over machines: each shard
    reads the index and its own papers only.
    """
    papers = exam.papers
    if isinstance(papers, KeyPapers):
        kept: Sequence[Paper] = KeyPapers(papers._reader, papers.rows()[first - 1 : last])
    else:
        kept = list(papers[first - 1 : last])
    return exam.model_copy(update={"papers": kept})


def student_rows(exam: Exam) -> list[StudentRow]:
    """Every student of ``exam`` (id, name, number, points) without loading a v2 key's papers."""
    if isinstance(exam.papers, KeyPapers):
        return exam.papers.rows()
    return [
        StudentRow(p.student_id, -1, p.name, p.number, sum(v.points for v in p.variants))
        for p in exam.papers
    ]


def paper_of(exam: Exam, student_id: str) -> Paper | None:
    """One student's paper (read from the file for a v2 key), None if not in the exam."""
    if isinstance(exam.papers, KeyPapers):
        return exam.papers.paper(student_id)
    return next((p for p in exam.papers if p.student_id == student_id), None)


def papers_by_id(exam: Exam) -> dict[str, Paper] | KeyPapers:
    """A mapping-like view student id → paper with ``get``; lazy for a v2 key."""
    if isinstance(exam.papers, KeyPapers):
        return _LazyById(exam.papers)  # type: ignore[return-value]
    return {p.student_id: p for p in exam.papers}


class _LazyById:
    """``papers_by_id`` for a v2 key: ``in`` asks the index; ``[]`` reads the paper.

    Nothing is kept: each grading stage reads a paper once, and keeping them all would make
    memory grow with the class (the reader's variant cache serves students who share one).
    """

    def __init__(self, papers: KeyPapers) -> None:
        self._papers = papers
        self._ids = papers._by_id  # the index's own lookup: no second set of 100,000 ids

    def __contains__(self, student_id: object) -> bool:
        return student_id in self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(r.student_id for r in self._papers.rows())

    def __getitem__(self, student_id: str) -> Paper:
        paper = self._papers.paper(student_id)
        if paper is None:
            raise KeyError(student_id)
        return paper

    def get(self, student_id: str, default: Any = None) -> Any:
        return self[student_id] if student_id in self._ids else default


# --- opening either format -------------------------------------------------------------------


def _incomplete(path: Path) -> None:
    if (Path(path).parent / INCOMPLETE).exists():
        raise UsageError(
            f"{Path(path).parent} is incomplete: quizgen was stopped while writing this exam",
            hint="generate the exam again (same banks, roster and the seed in key.json)",
        )


def key_format(path: Path) -> str | None:
    """``quizgen-exam/2`` when the file starts with a v2 header, else None (v1 or not a key)."""
    with open(path, "rb") as handle:
        first = handle.readline(64 * 1024)
    if not first.startswith(b'{"format":"quizgen-exam/2"'):
        return None
    return KEY_FORMAT


def _open_v2(path: Path) -> Exam:
    hint = "pass the key.json that `quizgen generate` wrote"
    reader = _Reader(path)
    try:
        head = reader.record(0)
        rows = reader.index()
        exam = Exam.model_construct(
            title=head["title"],
            course=head.get("course"),
            seed=head["seed"],
            fingerprint=head.get("fingerprint"),
            pick=head.get("pick"),
            banks=[_bank(b) for b in head["banks"]],
            papers=KeyPapers(reader, rows),
        )
    except (_Corrupt, KeyError, TypeError, ValidationError) as exc:
        raise UsageError(f"{path}: not a readable quizgen key ({exc})", hint=hint) from None
    return exam


def _bank(data: Any) -> Any:
    from quizgen.variant import BankRef

    return BankRef.model_validate(data)


def _open_v1(path: Path) -> Exam:
    try:
        text = read_text(Path(path), KEY_BYTES)
    except InputError as exc:
        raise UsageError(f"cannot read key {path}: {exc.message}", hint=exc.hint) from None
    try:
        return Exam.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        if first["type"] == "json_invalid":
            raise UsageError(f"{path}: not valid JSON ({first['msg']})") from None
        raise UsageError(
            f"{path}: not a quizgen key ({where or 'top level'}: {first['msg']})",
            hint="pass the key.json that `quizgen generate` wrote",
        ) from None


def open_key(path: Path) -> Exam:
    """The exam of a key file in either format.

    A ``quizgen-exam/2`` key is opened, not loaded: its papers are a :class:`KeyPapers`
    sequence. A ``quizgen-exam/1`` key (at most 1 GB) is parsed whole, as before.

    Raises:
        UsageError: the folder is incomplete, or the file cannot be read or is not a key.
    """
    _incomplete(path)
    try:
        v2 = key_format(Path(path)) == KEY_FORMAT
    except OSError as exc:
        raise UsageError(f"cannot read key {path}: {exc.strerror}") from None
    return _open_v2(Path(path)) if v2 else _open_v1(Path(path))
