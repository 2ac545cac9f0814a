"""Probe and decode uploaded audio with libsndfile, refusing bad input early.

Every limit is checked against the file header before any sample is read, so
a small compressed file that claims hours of audio costs nothing. Headers can
be approximate (MP3), so the decoded length is checked again while reading.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import soundfile as sf
from pydantic import BaseModel

from serve_app.config import AudioLimits
from serve_app.errors import AudioError, ErrorType

ACCEPTED_FORMATS = "WAV, FLAC, OGG (Vorbis or Opus), MP3, AIFF, CAF, W64 or RF64"
_QUOTED_PATH = re.compile(r"Error opening '.*?': ")
_BLOCK_FRAMES = 1 << 18  # decode in blocks so an understated header cannot overrun the limits


class AudioInfo(BaseModel):
    """What the header of an audio file says."""

    sample_rate: int
    channels: int
    frames: int
    duration: float
    format: str
    subtype: str


def probe(path: str | os.PathLike, limits: AudioLimits | None = None) -> AudioInfo:
    """Read the header of ``path`` and check it against ``limits``.

    Raises :class:`AudioError` when the file is empty, undecodable, or outside
    the limits (``AudioLimits()`` from the environment when none are given).
    """
    limits = limits or AudioLimits()
    if Path(path).stat().st_size == 0:
        raise AudioError("The audio file is empty.", type=ErrorType.EMPTY_AUDIO)
    try:
        header = sf.info(os.fspath(path))
    except (sf.SoundFileError, RuntimeError) as exc:
        raise AudioError(
            f"The audio could not be decoded ({_reason(exc)}). Accepted formats: {ACCEPTED_FORMATS}.",
            type=ErrorType.UNSUPPORTED_AUDIO,
        ) from exc
    info = AudioInfo(
        sample_rate=header.samplerate,
        channels=header.channels,
        frames=header.frames,
        duration=header.frames / header.samplerate if header.samplerate > 0 else 0.0,
        format=header.format,
        subtype=header.subtype,
    )
    _check_limits(info, limits)
    _check_complete(header.extra_info, info)
    return info


def decode(path: str | os.PathLike, limits: AudioLimits | None = None) -> tuple[np.ndarray, int]:
    """Decode ``path`` to float32 samples shaped (channels, frames) and its sample rate."""
    limits = limits or AudioLimits()
    info = probe(path, limits)
    max_frames = _max_frames(info.sample_rate, info.channels, limits)
    blocks: list[np.ndarray] = []
    total = 0
    try:
        with sf.SoundFile(os.fspath(path)) as f:
            for block in f.blocks(blocksize=_BLOCK_FRAMES, dtype="float32", always_2d=True):
                total += len(block)
                if total > max_frames:
                    raise _too_long(limits, total / info.sample_rate)
                blocks.append(block.T.copy())  # (channels, frames): no transposed copy of the whole
    except (sf.SoundFileError, RuntimeError) as exc:
        raise AudioError(
            f"The audio is corrupt or truncated: decoding failed after {total / info.sample_rate:.1f} s "
            f"({_reason(exc)}).",
            type=ErrorType.CORRUPT_AUDIO,
        ) from exc
    if total == 0:
        raise AudioError("The audio file contains no samples.", type=ErrorType.EMPTY_AUDIO)
    audio = np.concatenate(blocks, axis=1)
    del blocks
    if not np.isfinite(audio).all():
        raise AudioError("The audio contains NaN or infinite sample values.", type=ErrorType.INVALID_AUDIO_SAMPLES)
    return audio, info.sample_rate


def _reason(exc: Exception) -> str:
    """libsndfile's explanation without the server-side file path it quotes."""
    return _QUOTED_PATH.sub("", str(exc)).removeprefix("Error : ").strip() or "unknown error"


def _check_limits(info: AudioInfo, limits: AudioLimits) -> None:
    if info.frames <= 0:
        raise AudioError("The audio file contains no samples.", type=ErrorType.EMPTY_AUDIO)
    if info.channels > limits.max_channels:
        raise AudioError(
            f"The audio has {info.channels} channels; at most {limits.max_channels} are accepted.",
            type=ErrorType.TOO_MANY_CHANNELS,
        )
    if not limits.min_sample_rate <= info.sample_rate <= limits.max_sample_rate:
        raise AudioError(
            f"The sample rate {info.sample_rate} Hz is outside the accepted range "
            f"{limits.min_sample_rate}-{limits.max_sample_rate} Hz.",
            type=ErrorType.UNSUPPORTED_SAMPLE_RATE,
        )
    if info.duration > limits.max_duration_s:
        raise _too_long(limits, info.duration)
    decoded_bytes = info.frames * info.channels * 4
    if decoded_bytes > limits.max_decoded_bytes:
        raise AudioError(
            f"The audio would decode to {decoded_bytes} bytes; at most "
            f"{limits.max_decoded_bytes} are accepted. Send a shorter recording or fewer channels.",
            type=ErrorType.AUDIO_TOO_LARGE,
        )


# libsndfile's header report for WAV-like files: "data : 88200 (should be 44078)".
_DATA_SIZE = re.compile(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)
# A streaming writer that did not know the length writes 0 or the 32-bit maximum.
_UNKNOWN_SIZES = (0, 0xFFFFFFFF, 0x7FFFFFFF)


def _check_complete(report: str, info: AudioInfo) -> None:
    """Refuse a file whose header promises more audio than it holds (a cut-off download
    or copy): serving what is there would quietly lose the rest."""
    match = _DATA_SIZE.search(report)
    if not match:
        return
    declared, present = int(match[1]), int(match[2])
    if declared > present and declared not in _UNKNOWN_SIZES:
        promised = declared / max(present, 1) * info.duration
        raise AudioError(
            f"The file is truncated: its header promises {promised:.1f} s of audio but it holds "
            f"{info.duration:.1f} s. Upload the complete file.",
            type=ErrorType.CORRUPT_AUDIO,
        )


def _max_frames(sample_rate: int, channels: int, limits: AudioLimits) -> int:
    by_duration = int(limits.max_duration_s * sample_rate)
    by_size = limits.max_decoded_bytes // (4 * channels)
    return min(by_duration, by_size)


def _too_long(limits: AudioLimits, duration: float) -> AudioError:
    return AudioError(
        f"The audio lasts {duration:.1f} s; at most {limits.max_duration_s:g} s are accepted.",
        type=ErrorType.AUDIO_TOO_LONG,
    )
