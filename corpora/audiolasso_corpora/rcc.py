"""Read files out of Qt resource bundles (``.rcc``), as shipped by ``gcompris-qt-data``.

Only the standard library is needed. A file inside a bundle is named
``BUNDLE.rcc!inner/path`` (the convention of the dev corpus's ``case.json``).
"""

from __future__ import annotations

import struct
import zlib
from functools import lru_cache
from pathlib import Path

_COMPRESSED = 0x01
_DIRECTORY = 0x02
_COMPRESSED_ZSTD = 0x04


class RccBundle:
    """One ``.rcc`` file: ``names()`` lists its files, ``read(name)`` returns their bytes."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.blob = self.path.read_bytes()
        if self.blob[:4] != b"qres":
            raise ValueError(f"{path}: not a Qt resource bundle")
        self.version, self.tree, self.data, self.names_at = struct.unpack(">IIII", self.blob[4:20])
        self.entry = 14 if self.version < 2 else 22
        self._files: dict[str, tuple[int, int]] = {}
        self._walk(0, "")

    def _name(self, offset: int) -> str:
        at = self.names_at + offset
        (length,) = struct.unpack(">H", self.blob[at : at + 2])
        return self.blob[at + 6 : at + 6 + 2 * length].decode("utf-16-be")

    def _walk(self, node: int, prefix: str) -> None:
        at = self.tree + node * self.entry
        name_off, flags = struct.unpack(">IH", self.blob[at : at + 6])
        name = "" if node == 0 else self._name(name_off)
        path = f"{prefix}/{name}" if prefix else name
        if flags & _DIRECTORY:
            count, first = struct.unpack(">II", self.blob[at + 6 : at + 14])
            for child in range(first, first + count):
                self._walk(child, path)
        else:
            (data_off,) = struct.unpack(">I", self.blob[at + 10 : at + 14])
            self._files[path] = (data_off, flags)

    def names(self) -> list[str]:
        return sorted(self._files)

    def read(self, name: str) -> bytes:
        data_off, flags = self._files[name]
        at = self.data + data_off
        (length,) = struct.unpack(">I", self.blob[at : at + 4])
        raw = self.blob[at + 4 : at + 4 + length]
        if flags & _COMPRESSED:
            return zlib.decompress(raw[4:])
        if flags & _COMPRESSED_ZSTD:
            raise ValueError(f"{name}: zstd-compressed resource not supported")
        return raw


@lru_cache(maxsize=32)
def bundle(path: str) -> RccBundle:
    return RccBundle(path)


def read_member(spec: str, root: str | Path = "/usr/share") -> bytes:
    """Bytes of ``"gcompris-qt/rcc/X.rcc!inner/path"`` (relative to ``root``) or of a plain file path."""
    if "!" not in spec:
        p = Path(spec)
        return (p if p.is_absolute() else Path(root) / p).read_bytes()
    outer, inner = spec.split("!", 1)
    p = Path(outer)
    return bundle(str(p if p.is_absolute() else Path(root) / p)).read(inner)
