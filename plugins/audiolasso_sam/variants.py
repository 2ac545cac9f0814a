"""The released SAM Audio checkpoints (https://huggingface.co/collections/facebook/sam-audio)."""

from __future__ import annotations

from pydantic import BaseModel


class Variant(BaseModel):
    repo_id: str
    # Working memory per second of audio per item (and per reranking candidate)
    # at float32, dominated by the DAC-VAE decoder's 48 kHz feature maps, for
    # target and residual both. A conservative starting point, not a
    # measurement: bench/sam_gpu_smoke.py fits it on your GPU; set ``activation_mb_per_second``.
    activation_mb_per_second: float


# "-tv" checkpoints: better target correctness and visual prompting (same sizes).
VARIANTS: dict[str, Variant] = {
    name: Variant(repo_id=f"facebook/sam-audio-{name}", activation_mb_per_second=mb)
    for name, mb in (
        ("small", 80.0),
        ("base", 100.0),
        ("large", 120.0),
        ("small-tv", 80.0),
        ("base-tv", 100.0),
        ("large-tv", 120.0),
    )
}
