"""Decoding limits and errors, resampling, windowing, encoding and SI-SDR."""

from __future__ import annotations

import math

import numpy as np
import pytest
import soundfile as sf

from serve_app.audio import decode as decode_module
from serve_app.audio.chunking import OverlapAdd, excerpts, overlap_add, plan_windows
from serve_app.audio.decode import AudioInfo, decode, probe
from serve_app.audio.encode import encode
from serve_app.audio.formats import ENCODINGS, encoding_for
from serve_app.audio.metrics import si_sdr
from serve_app.audio.resample import resample, resampled_length
from serve_app.config import AudioLimits
from serve_app.errors import AudioError, ServiceError
from support.audio import AUDIO_DIR

LIMITS = AudioLimits()


def write(path, x: np.ndarray, sr: int, **kwargs) -> str:
    sf.write(path, x, sr, **kwargs)
    return str(path)


def tone(seconds: float, sr: int, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    x = 0.5 * np.sin(2 * np.pi * 440 * t)
    return np.stack([x] * channels, axis=1).astype(np.float32)


def error_type(call) -> str:
    with pytest.raises(AudioError) as info:
        call()
    assert info.value.status_code == 422
    return info.value.type


# --- probe / decode -----------------------------------------------------------


def test_probe_reads_the_header():
    info = probe(AUDIO_DIR / "speech.flac", LIMITS)
    assert (info.sample_rate, info.channels, info.format) == (22050, 1, "FLAC")
    assert info.frames == 121275
    assert info.duration == pytest.approx(5.5)


@pytest.mark.parametrize(
    "fmt, subtype", [("WAV", "PCM_16"), ("FLAC", "PCM_24"), ("OGG", "VORBIS"), ("MP3", "MPEG_LAYER_III")]
)
def test_decode_accepted_formats(tmp_path, fmt, subtype):
    path = write(tmp_path / f"a.{fmt.lower()}", tone(1.0, 44100, channels=2), 44100, format=fmt, subtype=subtype)
    audio, sr = decode(path, LIMITS)
    assert sr == 44100
    assert audio.dtype == np.float32 and audio.shape[0] == 2
    # Lossy codecs add priming samples; the length is still about one second.
    assert abs(audio.shape[1] - 44100) < 3000
    assert audio.flags.c_contiguous


def test_decode_float_wav_is_exact(tmp_path):
    x = np.random.default_rng(0).uniform(-1, 1, (1000, 3)).astype(np.float32)
    audio, _ = decode(write(tmp_path / "a.wav", x, 16000, subtype="FLOAT"), LIMITS)
    np.testing.assert_array_equal(audio, x.T)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    assert error_type(lambda: probe(path, LIMITS)) == "empty_audio"


def test_zero_frames(tmp_path):
    path = write(tmp_path / "zero.wav", np.zeros((0, 1), np.float32), 16000)
    assert error_type(lambda: decode(path, LIMITS)) == "empty_audio"


def test_garbage_with_wav_extension(tmp_path):
    path = tmp_path / "noise.wav"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(AudioError) as info:
        probe(path, LIMITS)
    assert info.value.type == "unsupported_audio"
    assert "WAV, FLAC" in info.value.message and "MP3" in info.value.message


def test_truncated_header(tmp_path):
    whole = write(tmp_path / "whole.wav", tone(0.5, 16000), 16000)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(open(whole, "rb").read()[:20])
    assert error_type(lambda: decode(cut, LIMITS)) == "unsupported_audio"


def test_nan_samples(tmp_path):
    x = tone(0.5, 16000)
    x[100, 0] = np.nan
    path = write(tmp_path / "nan.wav", x, 16000, subtype="FLOAT")
    assert error_type(lambda: decode(path, LIMITS)) == "invalid_audio_samples"


def test_inf_samples(tmp_path):
    x = tone(0.5, 16000)
    x[-1, 0] = np.inf
    path = write(tmp_path / "inf.wav", x, 16000, subtype="FLOAT")
    assert error_type(lambda: decode(path, LIMITS)) == "invalid_audio_samples"


def test_too_long_is_refused_from_the_header(tmp_path, monkeypatch):
    path = write(tmp_path / "long.flac", tone(2.0, 16000), 16000)
    limits = AudioLimits(max_duration_s=1.0)

    def no_reading(*args, **kwargs):
        raise AssertionError("samples were read before the limits were checked")

    monkeypatch.setattr(sf.SoundFile, "blocks", no_reading)
    monkeypatch.setattr(sf.SoundFile, "read", no_reading)
    assert error_type(lambda: decode(path, limits)) == "audio_too_long"


def test_understated_header_is_caught_while_reading(tmp_path, monkeypatch):
    # MP3 headers can understate the length; the decoded length is checked too.
    path = write(tmp_path / "long.wav", tone(2.0, 16000), 16000)
    lying = AudioInfo(sample_rate=16000, channels=1, frames=8000, duration=0.5, format="WAV", subtype="PCM_16")
    monkeypatch.setattr(decode_module, "probe", lambda *args: lying)
    assert error_type(lambda: decode(path, AudioLimits(max_duration_s=1.0))) == "audio_too_long"


def test_too_many_channels(tmp_path):
    path = write(tmp_path / "3ch.wav", tone(0.1, 16000, channels=3), 16000)
    assert error_type(lambda: probe(path, AudioLimits(max_channels=2))) == "too_many_channels"


@pytest.mark.parametrize("sr", [4000, 96000])
def test_sample_rate_out_of_range(tmp_path, sr):
    path = write(tmp_path / "a.wav", tone(0.1, sr), sr)
    limits = AudioLimits(min_sample_rate=8000, max_sample_rate=48000)
    assert error_type(lambda: probe(path, limits)) == "unsupported_sample_rate"


def test_decoded_size_too_large(tmp_path):
    path = write(tmp_path / "a.flac", tone(1.0, 16000, channels=2), 16000)
    limits = AudioLimits(max_decoded_bytes=16000 * 2 * 4 - 1)
    assert error_type(lambda: probe(path, limits)) == "audio_too_large"
    assert probe(path, AudioLimits(max_decoded_bytes=16000 * 2 * 4)).frames == 16000


# --- resample -----------------------------------------------------------------


def test_resample_same_rate_is_identity():
    x = np.random.default_rng(0).standard_normal((2, 1000)).astype(np.float32)
    assert resample(x, 48000, 48000) is x


def test_resample_length_and_content():
    x = tone(1.0, 22050, channels=2).T
    y = resample(x, 22050, 48000)
    assert y.shape == (2, 48000) and y.dtype == np.float32
    expected = tone(1.0, 48000).T[0]
    # Edges carry filter transients; the body is the same 440 Hz tone.
    assert si_sdr(y[0, 1000:-1000], expected[1000:-1000]) > 40


@pytest.mark.parametrize(("from_sr", "to_sr"), [(44100, 48000), (48000, 44100), (22050, 16000), (8000, 8000)])
@pytest.mark.parametrize("n", [1, 147, 160, 44101, 100003])
def test_resampled_length_is_what_resample_returns(from_sr, to_sr, n):
    # The worker plans a member's chunks from this before it resamples the mixture.
    x = np.zeros((1, n), np.float32)
    assert resampled_length(n, from_sr, to_sr) == resample(x, from_sr, to_sr).shape[1]


# --- windows and overlap-add --------------------------------------------------


@pytest.mark.parametrize("n", [1, 255, 256, 257, 1000, 12345])
def test_plan_windows_cover_the_signal(n):
    windows = plan_windows(n, window=256, overlap=64)
    assert windows[0][0] == 0 and windows[-1][1] == n
    for (s0, e0), (s1, _) in zip(windows, windows[1:], strict=False):
        assert e0 - s0 == 256
        assert e0 - s1 == 64
    last = windows[-1][1] - windows[-1][0]
    assert 0 < last <= 256 and (len(windows) == 1 or last > 64)


def test_short_signal_gives_one_window():
    assert plan_windows(100, window=480000, overlap=48000) == [(0, 100)]


@pytest.mark.parametrize("overlap", [-1, 129])
def test_plan_windows_rejects_bad_overlap(overlap):
    with pytest.raises(ValueError):
        plan_windows(1000, window=256, overlap=overlap)


@pytest.mark.parametrize("n", [100, 1000, 5001])
def test_overlap_add_identity_reconstructs(n):
    x = np.random.default_rng(n).standard_normal((2, n)).astype(np.float32)
    windows = plan_windows(n, window=512, overlap=128)
    # Batching pads every piece to the full window; the padding must be ignored.
    pieces = [np.pad(x[:, s:e], ((0, 0), (0, 512 - (e - s))), constant_values=99.0) for s, e in windows]
    y = overlap_add(pieces, windows, n)
    assert y.shape == x.shape and y.dtype == np.float32
    np.testing.assert_allclose(y, x, atol=1e-6)


def test_overlap_add_crossfades_between_windows():
    windows = plan_windows(1000, window=600, overlap=200)  # [(0, 600), (400, 1000)]
    y = overlap_add([np.zeros(600), np.ones(600)], windows, 1000)
    assert (y[:400] == 0).all() and (y[600:] == 1).all()
    fade = y[400:600]
    assert (np.diff(fade) > 0).all() and 0 < fade[0] < 0.01 and 0.99 < fade[-1] < 1


def test_pieces_blended_as_they_arrive_give_the_same_signal():
    """The worker blends each channel's pieces in the order they come back, not all at the end."""
    n = 3000
    x = np.random.default_rng(5).standard_normal((2, n)).astype(np.float32)
    windows = plan_windows(n, window=512, overlap=128)
    blend = OverlapAdd(windows, n, (2,))
    arrivals = [(ch, i) for ch in range(2) for i in range(len(windows))]
    for ch, i in reversed(arrivals):
        s, e = windows[i]
        blend.add(i, x[ch, s:e] * 0.5, at=(ch,))
    np.testing.assert_array_equal(blend.result(), overlap_add([x[:, s:e] * 0.5 for s, e in windows], windows, n))


def test_overlap_add_rejects_short_pieces():
    windows = plan_windows(1000, window=600, overlap=200)
    with pytest.raises(ValueError):
        overlap_add([np.zeros(600), np.zeros(500)], windows, 1000)


# --- encode -------------------------------------------------------------------


def test_encode_wav_is_exact(tmp_path):
    # Longer than a few of the blocks encode writes at a time, and not a multiple of one.
    x = np.random.default_rng(1).uniform(-1.5, 1.5, (2, 3 * 65536 + 4800)).astype(np.float32)
    path = tmp_path / "out.wav"
    size, rate = encode(x, 48000, ENCODINGS["wav"], path)
    assert size == path.stat().st_size > x.nbytes and rate == 48000
    y, sr = sf.read(path, dtype="float32", always_2d=True)
    assert sr == 48000
    np.testing.assert_array_equal(y.T, x)


@pytest.mark.parametrize(
    ("fmt", "subtype", "bits"),
    [
        ("flac", "PCM_24", 24),
        ("flac16", "PCM_16", 16),
        ("wav16", "PCM_16", 16),
        ("wav24", "PCM_24", 24),
        ("wav32", "PCM_32", 32),
    ],
)
def test_encode_pcm_rounds_to_its_bit_depth_and_clips(tmp_path, fmt, subtype, bits):
    x = np.random.default_rng(2).uniform(-1, 1, (1, 4800)).astype(np.float32)
    x[0, :2] = [1.7, -3.0]
    encoding = ENCODINGS[fmt]
    path = tmp_path / f"out.{encoding.extension}"
    assert encode(x, 44100, encoding, path) == (path.stat().st_size, 44100)
    assert sf.info(path).subtype == subtype and not encoding.exact
    y, _ = sf.read(path, dtype="float64", always_2d=True)
    step = 2.0 ** (1 - bits)
    np.testing.assert_allclose(y.T[0, :2], [1.0, -1.0], atol=step)
    np.testing.assert_allclose(y.T[0, 2:], x[0, 2:], atol=max(step, 2**-24))


@pytest.mark.parametrize(
    ("fmt", "rate_in", "rate_out"),
    [
        ("mp3", 44100, 44100),
        ("mp3", 96000, 48000),
        ("ogg", 44100, 44100),
        ("opus", 44100, 48000),
        ("opus", 16000, 16000),
    ],
)
def test_encode_lossy_keeps_the_sound_and_takes_a_rate_the_codec_accepts(tmp_path, fmt, rate_in, rate_out):
    x = (0.5 * np.sin(2 * np.pi * 440 * np.arange(rate_in) / rate_in)).astype(np.float32)[None]
    encoding = ENCODINGS[fmt]
    path = tmp_path / f"out.{encoding.extension}"
    size, rate = encode(x, rate_in, encoding, path)
    assert rate == rate_out and size < x.nbytes / 4
    y, sr = sf.read(path, dtype="float32")
    assert sr == rate_out and sf.info(path).format == encoding.container
    # A compressed tone is still that tone (codec delay aside): compare the spectra's peaks.
    assert abs(np.argmax(np.abs(np.fft.rfft(y))) * sr / len(y) - 440) < 5


def test_mp3_refuses_more_than_two_channels(tmp_path):
    with pytest.raises(ServiceError) as info:
        encode(np.zeros((3, 4410), np.float32), 44100, ENCODINGS["mp3"], tmp_path / "x.mp3")
    assert info.value.type == "unsupported_output_format" and info.value.field == "input.output_format"


@pytest.mark.parametrize(
    ("container", "subtype", "expected"),
    [
        ("FLAC", "PCM_16", ("FLAC", "PCM_16")),
        ("WAV", "PCM_U8", ("WAV", "PCM_U8")),
        ("AIFF", "PCM_16", ("AIFF", "PCM_16")),
        ("OGG", "OPUS", ("OGG", "OPUS")),
        ("MP3", "MPEG_LAYER_II", ("MP3", "MPEG_LAYER_III")),
        ("WAV", "IMA_ADPCM", ("WAV", "IMA_ADPCM")),
        ("SD2", "PCM_16", ("WAV", "FLOAT")),  # read, but not a container the service writes
    ],
)
def test_same_keeps_the_inputs_container_and_encoding(container, subtype, expected):
    encoding = encoding_for("same", container, subtype)
    assert (encoding.container, encoding.subtype) == expected


def test_content_types_and_extensions():
    assert {f: (e.content_type, e.extension) for f, e in ENCODINGS.items()} == {
        "wav": ("audio/wav", "wav"),
        "wav16": ("audio/wav", "wav"),
        "wav24": ("audio/wav", "wav"),
        "wav32": ("audio/wav", "wav"),
        "flac": ("audio/flac", "flac"),
        "flac16": ("audio/flac", "flac"),
        "mp3": ("audio/mpeg", "mp3"),
        "ogg": ("audio/ogg", "ogg"),
        "opus": ("audio/ogg", "opus"),
    }


# --- SI-SDR -------------------------------------------------------------------


def test_si_sdr_is_scale_and_offset_invariant():
    ref = np.random.default_rng(3).standard_normal(10000)
    assert si_sdr(ref, ref) > 100
    assert si_sdr(3.0 * ref + 0.5, ref) > 100


def test_si_sdr_matches_a_known_ratio():
    rng = np.random.default_rng(4)
    ref = rng.standard_normal(100000)
    noise = rng.standard_normal(100000)
    noise -= (noise @ ref) / (ref @ ref) * ref  # orthogonal, so the ratio is exact
    noise *= math.sqrt((ref @ ref) / (noise @ noise)) / 10  # 20 dB below
    assert si_sdr(ref + noise, ref) == pytest.approx(20.0, abs=0.05)


def test_excerpts_take_at_most_total_seconds_spread_over_a_long_recording():
    sr = 100
    audio = np.arange(300 * sr, dtype=np.float32)  # 5 minutes, each sample its own index
    sampled = excerpts(audio, sr, total_s=30.0, piece_s=10.0)
    assert len(sampled) == 30 * sr
    assert sampled[0] == 0 and sampled[-1] == audio[-1]  # from the first second to the last
    np.testing.assert_array_equal(sampled[10 * sr : 11 * sr], audio[145 * sr : 146 * sr])  # the middle one
    np.testing.assert_array_equal(excerpts(audio[: 30 * sr], sr), audio[: 30 * sr])
    np.testing.assert_array_equal(excerpts(audio, sr, total_s=5.0), audio[: 5 * sr])  # one piece, no longer
    with pytest.raises(ValueError, match="mono"):
        excerpts(np.stack([audio, audio]), sr)
