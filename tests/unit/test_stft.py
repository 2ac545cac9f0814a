"""The numpy STFT the Separators run, held to torch's (the reference the backends were built and trained on)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from serve_app.audio import stft as transform


@pytest.mark.parametrize(
    ("n_fft", "hop", "samples", "pad_mode"),
    [
        (2048, 512, 480_000, "constant"),  # a dsp chunk
        (4096, 2048, 300, "constant"),  # shorter than a frame
        (16384, 4096, 99_999, "constant"),  # the hum detector's long frames
        (2048, 512, 44_100 * 3 + 7, "reflect"),  # the learned network's front end
    ],
)
def test_round_trip_matches_torch(n_fft, hop, samples, pad_mode):
    rng = np.random.default_rng(samples)
    x = rng.standard_normal((2, samples)).astype(np.float32)
    window = torch.hann_window(n_fft)
    expected = torch.stft(torch.from_numpy(x), n_fft, hop, window=window, pad_mode=pad_mode, return_complex=True)
    spec = transform.stft(x, n_fft, hop, pad_mode=pad_mode)
    assert spec.dtype == np.complex64 and spec.shape == tuple(expected.shape)
    assert spec.shape[-1] == transform.frame_count(samples, hop)
    np.testing.assert_allclose(spec, expected.numpy(), atol=1e-6 * np.abs(spec).max())

    mask = rng.random(spec.shape).astype(np.float32)
    y = transform.istft(spec * mask, n_fft, hop, samples)
    reference = torch.istft(torch.from_numpy(spec * mask), n_fft, hop, window=window, length=samples).numpy()
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_allclose(y, reference, atol=1e-6 * np.abs(reference).max())
    # Unmasked, the round trip gives the signal back.
    np.testing.assert_allclose(transform.istft(spec, n_fft, hop, samples), x, atol=1e-5)


def test_a_longer_length_is_padded_with_silence():
    x = np.random.default_rng(0).standard_normal(4096).astype(np.float32)
    y = transform.istft(transform.stft(x, 1024, 256), 1024, 256, 6000)
    assert y.shape == (6000,)
    np.testing.assert_allclose(y[:4096], x, atol=1e-5)
    assert np.all(y[4096 + 512 :] == 0)


def test_the_hop_must_divide_the_frame():
    with pytest.raises(ValueError, match="must divide"):
        transform.istft(np.zeros((513, 4), np.complex64), 1024, 300, 1000)
