"""Seeded, platform-stable random streams.

Python promises nothing about how ``random.Random.choice`` or ``shuffle`` turn bits into
picks across versions, so quizgen draws its own: BLAKE2b in counter mode gives 64-bit words,
and rejection sampling maps them to an unbiased index. The same key always yields the same
sequence, on any platform and Python version.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

__all__ = ["Stream", "stable_hash", "stream_for", "streams_for"]

T = TypeVar("T")
_MASK64 = (1 << 64) - 1
_SPAN = 1 << 64
_WORDS = struct.Struct(">8Q")  # a block: eight big-endian 64-bit words


def stable_hash(*parts: object) -> str:
    """A hex digest of ``parts`` joined unambiguously (never Python's ``hash()``)."""
    h = hashlib.blake2b(digest_size=16)
    _feed(h, parts)
    return h.hexdigest()


def _feed(h: Any, parts: tuple[object, ...]) -> None:
    """Each part's length, then the part, into the hash ``h``."""
    for part in parts:
        data = str(part).encode("utf-8")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)


class Stream:
    """A deterministic stream of random draws, keyed by bytes."""

    __slots__ = ("_buffer", "_counter", "_key")

    def __init__(self, key: bytes) -> None:
        self._key = hashlib.blake2b(key, digest_size=32).digest()
        self._counter = 0
        self._buffer: list[int] = []

    def _word(self) -> int:
        if not self._buffer:
            block = hashlib.blake2b(
                self._counter.to_bytes(8, "big"), key=self._key, digest_size=64
            ).digest()
            self._counter += 1
            words = list(_WORDS.unpack(block))
            words.reverse()  # popped from the end: the block's first word first
            self._buffer = words
        return self._buffer.pop()

    def below(self, n: int) -> int:
        """An integer in ``[0, n)``, uniformly, without modulo bias."""
        if n <= 0:
            raise ValueError("below() needs a positive bound")
        if n == 1:
            return 0
        limit = _SPAN - _SPAN % n
        while True:
            word = self._word()
            if word < limit:
                return word % n

    def choice(self, items: Sequence[T]) -> T:
        """One element of ``items``."""
        return items[self.below(len(items))]

    def shuffled(self, items: Sequence[T]) -> list[T]:
        """A new list with ``items`` in a random order (Fisher–Yates)."""
        out = list(items)
        for i in range(len(out) - 1, 0, -1):
            j = self.below(i + 1)
            out[i], out[j] = out[j], out[i]
        return out

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        """``k`` distinct elements of ``items``, in random order."""
        return self.shuffled(items)[:k]


def stream_for(*parts: object) -> Stream:
    """The stream for a key made of ``parts`` (e.g. seed, student, bank, question)."""
    return Stream(stable_hash(*parts).encode("ascii"))


def streams_for(*parts: object) -> Callable[..., Stream]:
    """``stream_for(*parts, *more)`` as a function of ``more``: the streams of one student's
    questions, with what they share (``parts``) hashed once, not once per question."""
    prefix = hashlib.blake2b(digest_size=16)
    _feed(prefix, parts)

    def stream(*more: object) -> Stream:
        h = prefix.copy()
        _feed(h, more)
        return Stream(h.hexdigest().encode("ascii"))

    return stream
