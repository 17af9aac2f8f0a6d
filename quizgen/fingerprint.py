"""The exam fingerprint: a short name for an exam that reveals nothing about its seed.

Papers, submission templates and feedback carry the fingerprint; the seed stays in
``key.json``. The fingerprint is a keyed hash (BLAKE2b) of the whole key's contents, keyed by
a slow derivation (scrypt) of the seed. To test a guessed seed against a fingerprint, one
must derive the key and rebuild every paper of the exam, which costs far more than a hash;
the old fingerprint, a hash of the seed and the bank ids, let anyone test a million guesses
a second. It is computed once, when the exam is generated, and stored in ``key.json``, so a
deliberate ``--regrade`` (which changes the contents) keeps the exam's name.
"""

from __future__ import annotations

import functools
import hashlib

from quizgen.rng import stable_hash
from quizgen.variant import Exam, Paper

__all__ = ["Fingerprinter", "compute_fingerprint", "exam_fingerprint", "legacy_fingerprint"]

LENGTH = 16  # hex digits: 64 bits, ample to tell exams apart
_SALT = b"quizgen-exam-fingerprint/1"


@functools.lru_cache(maxsize=8)
def _key(seed: str) -> bytes:
    """The hash key for a seed: scrypt, so each guessed seed costs 8 MiB and milliseconds."""
    return hashlib.scrypt(seed.encode("utf-8"), salt=_SALT, n=2**13, r=8, p=1, dklen=32)


class Fingerprinter:
    """The fingerprint of an exam whose papers arrive one at a time (streaming generation).

    ``head`` is the exam without its papers; :meth:`add` each paper in order. The result is
    :func:`compute_fingerprint` of the whole exam: the hash is over the ``quizgen-exam/1``
    JSON of the header and of each paper, whatever format the key file is written in.
    """

    def __init__(self, head: Exam) -> None:
        self._digest = hashlib.blake2b(key=_key(head.seed), digest_size=32)
        self._chunk(head.model_dump_json(exclude={"fingerprint", "papers"}).encode("utf-8"))

    def _chunk(self, chunk: bytes) -> None:
        self._digest.update(len(chunk).to_bytes(8, "big"))
        self._digest.update(chunk)

    def add(self, paper: Paper) -> None:
        """Hash the next paper."""
        self._chunk(paper.model_dump_json().encode("utf-8"))

    def add_json(self, paper_json: bytes) -> None:
        """Hash the next paper, given as its ``model_dump_json()`` bytes (from a worker)."""
        self._chunk(paper_json)

    def hexdigest(self) -> str:
        """The fingerprint so far (16 hex digits)."""
        return self._digest.hexdigest()[:LENGTH]


def compute_fingerprint(exam: Exam) -> str:
    """The keyed hash of ``exam``'s contents (every field but the fingerprint itself).

    Papers are hashed one at a time, so a large class never builds one giant string.
    """
    hasher = Fingerprinter(exam)
    for paper in exam.papers:
        hasher.add(paper)
    return hasher.hexdigest()


def legacy_fingerprint(exam: Exam) -> str:
    """The fingerprint of a key written before fingerprints were stored (a seed hash).

    Computed once per exam and process: ``grade`` asks for it as it reads the submissions,
    as it admits them and for its report, and rendering asks for it on every paper.
    """
    return _legacy(exam.title, exam.seed, tuple(b.id for b in exam.banks))


@functools.lru_cache(maxsize=8)
def _legacy(title: str, seed: str, banks: tuple[str, ...]) -> str:
    return stable_hash("quizgen-exam", title, seed, *banks)[:LENGTH]


def exam_fingerprint(exam: Exam) -> str:
    """The fingerprint stored in the key, or for an older key, the one it was given then."""
    return exam.fingerprint or legacy_fingerprint(exam)
