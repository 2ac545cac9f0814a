"""The README's walkthrough, run as written (bash, curl, python3) against a live
service: upload, submit, wait, download; the two files it downloads are the
separation of the uploaded recording."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf

from support.audio import speech_plus_noise

README = Path(__file__).resolve().parents[2] / "README.md"


def walkthrough() -> str:
    """The first shell block of "Using the API"."""
    section = README.read_text().split("## Using the API", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def test_the_readme_walkthrough_runs_as_written(live_service, dsp_backend, tmp_path):
    service = live_service({"dsp": dsp_backend})
    mixture, _, sr = speech_plus_noise(snr_db=0.0, seed=3)
    mixture = np.resize(mixture, 8 * sr)  # 8 s, so that the walkthrough's span fits
    sf.write(tmp_path / "session.wav", mixture, sr, subtype="FLOAT")
    env = {**os.environ, "AUDIOLASSO_API_KEY": service.new_key("readme"), "AUDIOLASSO_URL": service.url}
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", walkthrough()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, (run.stdout, run.stderr)
    assert run.stdout.strip().splitlines()[-1] == "COMPLETED", run.stdout
    target, rate = sf.read(tmp_path / "target.wav", dtype="float32")
    residual, _ = sf.read(tmp_path / "residual.wav", dtype="float32")
    assert rate == sr and target.shape == residual.shape == mixture.shape
    np.testing.assert_allclose(target + residual, mixture, atol=1e-5)
    assert 0.05 < np.sum(target**2) / np.sum(mixture**2) < 0.95  # separated: neither all nor nothing
