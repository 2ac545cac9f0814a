"""Write result tracks to files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile as sf

from serve_app.audio.formats import Encoding
from serve_app.audio.resample import resample

_BLOCK_FRAMES = 1 << 16


class _KeepsWriteErrors:
    """A file for soundfile's virtual I/O that remembers why a write failed: libsndfile
    reports any failed write as "System error", and a full disk must be told apart."""

    def __init__(self, file: BinaryIO):
        self.file = file
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        try:
            return self.file.write(data)
        except OSError as exc:
            self.error = exc
            return 0

    def read(self, size: int = -1) -> bytes:
        return self.file.read(size)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        return self.file.tell()


def encode(x: np.ndarray, sr: int, encoding: Encoding, path: str | os.PathLike) -> tuple[int, int]:
    """Write float32 audio shaped (channels, frames) to ``path``; return the file size in bytes
    and the sample rate written (the codec's nearest when it does not take ``sr``). A failed
    write raises its OSError (ENOSPC for a full disk)."""
    encoding.check_channels(x.shape[0])
    rate = encoding.rate_for(sr)
    frames = resample(x, sr, rate).T  # a view: (frames, channels) as soundfile takes them
    with open(path, "w+b") as file:
        sink = _KeepsWriteErrors(file)
        try:
            with sf.SoundFile(sink, "w", rate, x.shape[0], encoding.subtype, format=encoding.container) as out:
                # Block by block: the interleaved (and clipped) copy is a block's, not the track's.
                for start in range(0, len(frames), _BLOCK_FRAMES):
                    block = np.array(frames[start : start + _BLOCK_FRAMES], order="C")  # a copy, always
                    if not encoding.exact:
                        np.clip(block, -1.0, 1.0, out=block)
                    out.write(block)
        except Exception:  # soundfile reports a short write as LibsndfileError or AssertionError
            if sink.error is not None:
                raise sink.error from None
            raise
    return Path(path).stat().st_size, rate
