"""Deterministic zip files: the same entries always give the same bytes.

Entries are written in sorted order with a fixed timestamp (1980-01-01, the zip epoch),
fixed permissions and creator system, and one fixed deflate level, so re-exporting the same
bank with the same seed reproduces the archive byte for byte.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

__all__ = ["zip_bytes"]

EPOCH = (1980, 1, 1, 0, 0, 0)
LEVEL = 6


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """A zip archive of ``files`` (path inside the archive → content), reproducibly."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, whatever machine writes it
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name], compresslevel=LEVEL)
    return buffer.getvalue()
