"""Deterministic zip files: the same entries always give the same bytes, however they arrive.

Entries are written in sorted order with a fixed timestamp (1980-01-01, the zip epoch),
fixed permissions and creator system, and one fixed deflate level, so re-exporting the same
bank with the same seed reproduces the archive byte for byte. The bytes are those Python's
:mod:`zipfile` writes for such entries (the tests hold it as the oracle); they are written
here because an export makes its entries in another order than the sorted one, one at a
time: :class:`ZipWriter` compresses each entry as it comes (a large one chunk by chunk) into a
temporary spill file and lays the archive out in order when it is closed, so memory holds
one entry's chunk at a time, never the archive.
"""

from __future__ import annotations

import io
import struct
import tempfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

__all__ = ["ZipWriter", "zip_bytes"]

EPOCH = (1980, 1, 1, 0, 0, 0)
LEVEL = 6

# The zip records as zipfile writes them (APPNOTE 4.3.7, 4.3.12, 4.3.14-16).
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_END64 = struct.Struct("<4sQ2H2L4Q")
_LOCATOR64 = struct.Struct("<4sLQL")
_VERSION = 20  # 2.0: deflate
_VERSION64 = 45  # 4.5: zip64 end records
_DEFLATED = 8
_UNIX = 3
_MODE = 0o644 << 16
_UTF8_NAME = 0x800
_DOSDATE = (EPOCH[0] - 1980) << 9 | EPOCH[1] << 5 | EPOCH[2]
_DOSTIME = EPOCH[3] << 11 | EPOCH[4] << 5 | EPOCH[5] // 2
_LIMIT32 = (1 << 31) - 1  # zipfile's ZIP64_LIMIT: past it an entry needs zip64 fields
_MAX_ENTRIES = 0xFFFF


@dataclass(frozen=True)
class _Entry:
    name: bytes
    flags: int
    crc: int
    compressed: int
    size: int
    spill_at: int


class ZipWriter:
    """A reproducible zip archive written to ``out``, entries given in any order.

    Example:
        >>> with ZipWriter(handle) as archive:
        ...     archive.add("b.xml", b"<b/>")
        ...     with archive.entry("a.xml") as write:
        ...         write(b"<a>"); write(b"</a>")

    The archive is written to ``out`` by :meth:`close` (the ``with`` block's end), in sorted
    entry order; nothing is written to ``out`` before.
    """

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._spill = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._entries: dict[str, _Entry] = {}
        self._open = False

    def __enter__(self) -> ZipWriter:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self.close()
        else:
            self._spill.close()

    def add(self, name: str, data: bytes) -> None:
        """Add one entry whose bytes are all at hand."""
        with self.entry(name) as write:
            write(data)

    @contextmanager
    def entry(self, name: str) -> Iterator[Callable[[bytes], None]]:
        """Add one entry written piece by piece: yields a ``write(bytes)`` function.

        Raises:
            ValueError: the archive already holds ``name``, or another entry is open.
        """
        if name in self._entries or self._open:
            raise ValueError(f"zip entry {name!r}: already written, or another entry is open")
        self._open = True
        compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
        start = self._spill.seek(0, io.SEEK_END)
        crc = size = 0

        def write(data: bytes) -> None:
            nonlocal crc, size
            crc = zlib.crc32(data, crc)
            size += len(data)
            self._spill.write(compressor.compress(data))

        yield write
        self._spill.write(compressor.flush())
        compressed = self._spill.tell() - start
        if size > _LIMIT32 or compressed > _LIMIT32:
            raise ValueError(f"zip entry {name!r} is larger than 2 GiB")
        try:
            encoded, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            encoded, flags = name.encode("utf-8"), _UTF8_NAME
        self._entries[name] = _Entry(encoded, flags, crc, compressed, size, start)
        self._open = False

    def close(self) -> None:
        """Write the archive to ``out``: entries in sorted order, then the directory."""
        out, directory = self._out, []
        start = out.tell()
        for name in sorted(self._entries):
            e = self._entries[name]
            offset = out.tell() - start
            out.write(_local_header(e))
            self._spill.seek(e.spill_at)
            _copy(self._spill, out, e.compressed)
            directory.append(_central_header(e, offset))
        self._spill.close()
        at = out.tell() - start
        out.write(b"".join(directory))
        _end_records(out, len(directory), out.tell() - start - at, at)


def _local_header(e: _Entry) -> bytes:
    fields = (_VERSION, 0, e.flags, _DEFLATED, _DOSTIME, _DOSDATE, e.crc, e.compressed, e.size)
    return _LOCAL.pack(b"PK\003\004", *fields, len(e.name), 0) + e.name


def _central_header(e: _Entry, offset: int) -> bytes:
    if offset > _LIMIT32:
        raise ValueError("zip archives over 2 GiB are not written")
    made = (_VERSION, _UNIX, _VERSION, 0, e.flags, _DEFLATED, _DOSTIME, _DOSDATE)
    sizes = (e.crc, e.compressed, e.size, len(e.name), 0, 0, 0, 0, _MODE, offset)
    return _CENTRAL.pack(b"PK\001\002", *made, *sizes) + e.name


def _end_records(out: BinaryIO, count: int, size: int, offset: int) -> None:
    """The end of central directory record; zip64 ones first past 65,535 entries."""
    if count > _MAX_ENTRIES:
        at = offset + size
        out.write(
            _END64.pack(b"PK\x06\x06", 44, _VERSION64, _VERSION64, 0, 0, count, count, size, offset)
        )
        out.write(_LOCATOR64.pack(b"PK\x06\x07", 0, at, 1))
        count = min(count, _MAX_ENTRIES)
    out.write(_END.pack(b"PK\005\006", 0, 0, count, count, size, offset, 0))


def _copy(source: BinaryIO, target: BinaryIO, length: int) -> None:
    while length > 0:
        chunk = source.read(min(length, 1 << 20))
        if not chunk:
            raise OSError("the zip spill file ended early")
        target.write(chunk)
        length -= len(chunk)


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """A zip archive of ``files`` (path inside the archive → content), reproducibly."""
    buffer = io.BytesIO()
    with ZipWriter(buffer) as archive:
        for name, data in files.items():
            archive.add(name, data)
    return buffer.getvalue()
