"""gzip for dumps: ISA-L's (the ``isal`` wheel, several times zlib's speed at level 1,
and smaller output) when it is installed, else the standard library's. Both write and
read the same format, so a dump written by one is read by the other."""

from __future__ import annotations

import gzip
from types import ModuleType
from typing import IO, Any, cast

_fast: ModuleType | None
try:
    from isal import igzip as _fast
except ImportError:  # no wheel for this platform: zlib, slower, same format
    _fast = None

LEVEL = 1  # a dump compresses ~5x even at level 1, at several times level 6's speed


def writer(fileobj: IO[bytes] | Any, name: str, fast: bool = True) -> IO[bytes]:
    """A gzip stream writing into ``fileobj`` (``name`` is the member's stored name)."""
    if fast and _fast is not None:
        return cast(
            IO[bytes],
            _fast.IGzipFile(filename=name, mode="wb", fileobj=fileobj, compresslevel=LEVEL),
        )
    return cast(
        IO[bytes], gzip.GzipFile(filename=name, mode="wb", fileobj=fileobj, compresslevel=LEVEL)
    )


def open_read(path: Any, fast: bool = True) -> IO[bytes]:
    """A gzip file opened for reading."""
    if fast and _fast is not None:
        return cast(IO[bytes], _fast.open(path, "rb"))
    return cast(IO[bytes], gzip.open(path, "rb"))
