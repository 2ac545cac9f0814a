"""Audio containers the service reads and writes, and the output formats a job may ask for.

Names of containers and sample encodings are libsndfile's (``soundfile``), which does all
the reading and writing: WAV, FLAC, Ogg Vorbis, Ogg Opus and MP3 included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import soundfile as sf

from serve_app.errors import ErrorType, ServiceError

# Container -> (MIME type, file extension). A file's type comes from its decoded content,
# never from what a client claimed.
CONTAINERS: dict[str, tuple[str, str]] = {
    "WAV": ("audio/wav", "wav"),
    "WAVEX": ("audio/wav", "wav"),
    "RF64": ("audio/wav", "wav"),
    "W64": ("audio/x-w64", "w64"),
    "FLAC": ("audio/flac", "flac"),
    "OGG": ("audio/ogg", "ogg"),
    "MP3": ("audio/mpeg", "mp3"),
    "AIFF": ("audio/aiff", "aiff"),
    "CAF": ("audio/x-caf", "caf"),
}

OutputFormat = Literal["wav", "wav16", "wav24", "wav32", "flac", "flac16", "mp3", "ogg", "opus", "same"]

# What each output format promises, for the API's description of `output_format`.
OUTPUT_FORMATS_DOC = (
    "`wav` (default): 32-bit float, so target + residual reproduces the mixture to float32 rounding "
    "(the only such format; every other one rounds or compresses each track on its own); "
    "`wav16`, `wav24`, `wav32`: PCM of that many bits; `flac` (24-bit) and `flac16`: lossless PCM; "
    "`mp3` (at most 2 channels), `ogg` "
    "(Vorbis) and `opus` (Ogg Opus): lossy, far smaller; `same`: the input's container, sample rate, "
    "channels and sample encoding (e.g. 16-bit FLAC in, 16-bit FLAC out). Samples beyond full scale are "
    "clipped in every format but float WAV. mp3 and opus accept only some sample rates: other rates are "
    "resampled to the nearest one they accept (the track's `sample_rate` says which) with a warning."
)


@dataclass(frozen=True)
class Encoding:
    """How to write a track: libsndfile's container and sample encoding, and the container's limits."""

    container: str
    subtype: str
    sample_rates: tuple[int, ...] = ()  # the only rates the codec takes; empty: any
    max_channels: int | None = None

    @property
    def content_type(self) -> str:
        return CONTAINERS[self.container][0]

    @property
    def extension(self) -> str:
        return "opus" if self.subtype == "OPUS" else CONTAINERS[self.container][1]

    @property
    def exact(self) -> bool:
        """Whether a track keeps every float32 sample as it is (so target + residual = mixture)."""
        return self.subtype in ("FLOAT", "DOUBLE")

    def check_channels(self, channels: int) -> None:
        """Refuse, before any work, audio with more channels than the container holds."""
        if self.max_channels is not None and channels > self.max_channels:
            raise ServiceError(
                f"{self.extension} holds at most {self.max_channels} channels and this audio has {channels}; "
                "choose another output_format (wav, flac, ogg and opus take more).",
                type=ErrorType.UNSUPPORTED_OUTPUT_FORMAT,
                field="input.output_format",
                status_code=422,
            )

    def rate_for(self, sample_rate: int) -> int:
        """The rate to write audio of ``sample_rate`` at: itself, or the nearest higher one the
        codec takes (the highest when none is)."""
        if not self.sample_rates or sample_rate in self.sample_rates:
            return sample_rate
        return min((r for r in self.sample_rates if r >= sample_rate), default=max(self.sample_rates))


_MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
_OPUS_RATES = (8000, 12000, 16000, 24000, 48000)

ENCODINGS: dict[str, Encoding] = {
    "wav": Encoding("WAV", "FLOAT"),
    "wav16": Encoding("WAV", "PCM_16"),
    "wav24": Encoding("WAV", "PCM_24"),
    "wav32": Encoding("WAV", "PCM_32"),
    "flac": Encoding("FLAC", "PCM_24"),
    "flac16": Encoding("FLAC", "PCM_16"),
    "mp3": Encoding("MP3", "MPEG_LAYER_III", _MP3_RATES, max_channels=2),
    "ogg": Encoding("OGG", "VORBIS"),
    "opus": Encoding("OGG", "OPUS", _OPUS_RATES),
}


def encoding_for(fmt: str, source_container: str, source_subtype: str) -> Encoding:
    """The encoding of output format ``fmt``; for ``same``, the source file's own (its container
    and sample encoding; a source libsndfile can read but not write comes out as float WAV)."""
    if fmt != "same":
        return ENCODINGS[fmt]
    if source_container == "MP3":  # layer I and II in, layer III out
        return ENCODINGS["mp3"]
    for encoding in ENCODINGS.values():
        if (encoding.container, encoding.subtype) == (source_container, source_subtype):
            return encoding
    if source_container in CONTAINERS and sf.check_format(source_container, source_subtype):
        return Encoding(source_container, source_subtype)  # e.g. 16-bit AIFF, 8-bit WAV, float W64
    return ENCODINGS["wav"]
