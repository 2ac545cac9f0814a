"""A corpus of malformed and hostile audio files, made from scratch."""

from __future__ import annotations

import io
import struct

import numpy as np
import soundfile as sf

SR = 8000


def _encode(audio: np.ndarray, fmt: str, subtype: str | None = None, sr: int = SR) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, audio, sr, format=fmt, subtype=subtype)
    return buf.getvalue()


def valid_wav() -> bytes:
    return _encode(np.random.default_rng(0).standard_normal(SR).astype(np.float32) * 0.1, "WAV", "PCM_16")


def valid_flac() -> bytes:
    return _encode(np.random.default_rng(1).standard_normal(SR * 2).astype(np.float32) * 0.1, "FLAC")


def flac_claiming(seconds: float) -> bytes:
    """A 2 s FLAC whose STREAMINFO claims ``seconds`` of audio: a decompression bomb's header."""
    data = bytearray(valid_flac())
    start = 8 + 10  # 'fLaC' + block header, then 10 bytes before the 64-bit field holding total samples
    field = int.from_bytes(data[start : start + 8], "big")
    field = (field & ~((1 << 36) - 1)) | int(seconds * SR)
    data[start : start + 8] = field.to_bytes(8, "big")
    return bytes(data)


def wav_with(offset: int, fmt: str, value: int) -> bytes:
    data = bytearray(valid_wav())
    data[offset : offset + struct.calcsize(fmt)] = struct.pack(fmt, value)
    return bytes(data)


# name -> (bytes, the AudioError type a client must see)
CORPUS: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "empty_audio"),
    "html-error-page": (b"<html><body>404 Not Found</body></html>", "unsupported_audio"),
    "random-bytes-as-wav": (np.random.default_rng(2).bytes(4096), "unsupported_audio"),
    "riff-header-only": (valid_wav()[:30], "unsupported_audio"),
    "wav-header-no-samples": (valid_wav()[:44], "empty_audio"),
    "wav-zero-channels": (wav_with(22, "<H", 0), "unsupported_audio"),
    "wav-zero-sample-rate": (wav_with(24, "<I", 0), "unsupported_audio"),
    "wav-100-channels": (_encode(np.zeros((100, 100), np.float32), "WAV", "PCM_16"), "too_many_channels"),
    "wav-1khz": (_encode(np.zeros(100, np.float32), "WAV", "PCM_16", sr=1000), "unsupported_sample_rate"),
    "float-wav-nan": (_encode(np.full(SR, np.nan, np.float32), "WAV", "FLOAT"), "invalid_audio_samples"),
    "float-wav-inf": (
        _encode(np.r_[np.zeros(SR - 1), np.inf].astype(np.float32), "WAV", "FLOAT"),
        "invalid_audio_samples",
    ),
    "flac-truncated": (valid_flac()[: len(valid_flac()) // 2], "corrupt_audio"),
    "wav-truncated": (valid_wav()[: len(valid_wav()) // 2], "corrupt_audio"),
    "flac-header-only": (valid_flac()[:50], "unsupported_audio"),
    "flac-claims-two-hours": (flac_claiming(7200), "audio_too_long"),
    "ogg-magic-then-garbage": (b"OggS" + np.random.default_rng(3).bytes(3000), "unsupported_audio"),
}
