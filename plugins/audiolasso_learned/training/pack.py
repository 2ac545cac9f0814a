"""The bank, small enough to travel to a GPU machine, and unpacked there.

    python -m audiolasso_learned.training.pack .audiolasso/learned/bank.npz .gpu/bank        # here
    python -m audiolasso_learned.training.pack --unpack .gpu/bank /tmp/bank.npz               # there

The GPU machine has no Debian packages to render the bank with and takes a working tree of at most
64 MiB, so the 864 MB float16 bank travels as Ogg Opus (``--kbps``, about 32 kbit/s: ~40 MB for its
2.7 hours), in shards that unpack in parallel. Opus runs at 48 kHz: each clip is resampled to 48 kHz,
scaled to a peak of 0.9 (the bank stores clips at RMS 0.1, some peaks above 1) and concatenated into its
shard; unpacking undoes both. Lossy on purpose: a mixture is built from the unpacked clips and its target
is one of them, so examples stay exact; only the sources' fine texture differs from the bank's.

The machine has no MiniLM either: ``phrases.npz`` holds the embedding of every phrase the sampler can
condition on (every name in the bank and the catalog through every template, plus the phrases of
``--check`` sampled examples, which also measures how many a run would miss; the trainer drops a missed
example and counts it).
"""

from __future__ import annotations

import argparse
import json
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from audiolasso_learned import SAMPLE_RATE
from audiolasso_learned.training import bank as bank_io
from audiolasso_learned.training import prompts
from audiolasso_learned.training.mixtures import sample
from serve_app.understanding import embedding
from serve_app.understanding.catalog import CONCEPTS

OPUS_RATE = 48_000
UP, DOWN = 160, 147  # 44.1 kHz -> 48 kHz
assert SAMPLE_RATE * UP // DOWN == OPUS_RATE
PEAK = 0.9
SHARDS = 16


def _to_opus_rate(x: np.ndarray) -> np.ndarray:
    return resample_poly(x.astype(np.float32), UP, DOWN).astype(np.float32)


def _from_opus_rate(x: np.ndarray, n: int) -> np.ndarray:
    y = resample_poly(x, DOWN, UP)[:n]
    return np.pad(y, (0, n - len(y))).astype(np.float32)


def _compression_level(kbps: float) -> float:
    """libsndfile maps Opus compression 0..1 onto a bitrate; measured here: 0.9 -> 31, 0.85 -> 44 kbit/s."""
    return float(np.clip(0.9 - (kbps - 31) * 0.05 / 13, 0.0, 1.0))


def pack(bank: Path, out: Path, kbps: float, check: int) -> None:
    start = time.time()
    with np.load(bank) as data:
        meta = json.loads(bytes(data["meta"]).decode())
        audio = [data[f"audio/{i}"].astype(np.float32) for i in range(len(meta))]
    pack_audio(meta, audio, out, kbps)
    enumerated, sampled = set(enumerated_phrases(meta)), sampled_phrases(bank, check)
    missed = sum(p not in enumerated for p in sampled)
    print(f"{missed} of {len(sampled)} sampled examples read a phrase the enumeration missed (now added)")
    phrases = sorted(enumerated | set(sampled))
    write_phrases(out / "phrases.npz", phrases)
    size = sum(f.stat().st_size for f in out.iterdir())
    print(f"{len(meta)} clips, {len(phrases)} phrases -> {out} ({size / 1e6:.1f} MB, {time.time() - start:.0f} s)")


def pack_audio(meta: list[dict], audio: list[np.ndarray], out: Path, kbps: float) -> None:
    """The clips as Opus shards and ``meta.json`` (each record gains where its clip lies)."""
    out.mkdir(parents=True, exist_ok=True)
    level = _compression_level(kbps)
    for shard in range(SHARDS):
        pieces, offset = [], 0
        for i in range(shard, len(meta), SHARDS):
            x = _to_opus_rate(audio[i])
            scale = float(np.max(np.abs(x)) / PEAK) or 1.0
            meta[i].update(shard=shard, start=offset, frames=len(x), samples=len(audio[i]), scale=scale)
            pieces.append(x / scale)
            offset += len(x)
        if not pieces:  # a bank of fewer clips than shards
            continue
        sf.write(
            out / f"shard_{shard:02d}.opus",
            np.concatenate(pieces),
            OPUS_RATE,
            format="OGG",
            subtype="OPUS",
            compression_level=level,
        )
    (out / "meta.json").write_text(json.dumps(meta))


def enumerated_phrases(meta: list[dict]) -> list[str]:
    """Every name in the bank and the catalog, read through every template (with and without marks)."""
    names = {n for m in meta for n in m["names"]} | set(prompts.MUSIC_NAMES) | set(prompts.VOCAL_NAMES)
    names |= {n for c in CONCEPTS for n in prompts.own_names(c.name)}
    out = {
        prompts.read_phrase(p, marked)
        for p in prompts.KARAOKE + prompts.VAGUE + prompts.NAMELESS_MARKED
        for marked in (False, True)
    }
    for name in sorted(names):
        for template in prompts.all_templates():
            if "{t}" in template:
                for marked in (False, True):
                    out.add(prompts.read_phrase(prompts.fill(template, name, "music"), marked))
    return sorted(out)


def sampled_phrases(bank: Path, count: int) -> list[str]:
    """The phrases of ``count`` training examples (seeds far from any run's)."""
    clips = bank_io.load(bank, "train")
    return [sample(clips, 900_000_000 + i, 1.0).phrase for i in range(count)]


def write_phrases(path: Path, phrases: list[str]) -> None:
    vectors = np.concatenate([embedding.encode(phrases[i : i + 256]) for i in range(0, len(phrases), 256)])
    np.savez(path, phrases=np.frombuffer(json.dumps(phrases).encode(), np.uint8), vectors=vectors.astype(np.float16))


def read_phrases(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        phrases = json.loads(bytes(data["phrases"]).decode())
        return dict(zip(phrases, data["vectors"].astype(np.float32), strict=True))


def _unpack_shard(args: tuple[Path, int, list[tuple[int, dict]]]) -> list[tuple[int, np.ndarray]]:
    folder, shard, clips = args
    x, _ = sf.read(folder / f"shard_{shard:02d}.opus", dtype="float32")
    return [
        (i, (_from_opus_rate(x[m["start"] : m["start"] + m["frames"]], m["samples"]) * m["scale"]).astype(np.float16))
        for i, m in clips
    ]


def unpack(folder: Path, out: Path) -> None:
    start = time.time()
    meta = json.loads((folder / "meta.json").read_text())
    jobs = [(folder, s, [(i, m) for i, m in enumerate(meta) if m["shard"] == s]) for s in range(SHARDS)]
    jobs = [job for job in jobs if job[2]]
    arrays: dict[str, np.ndarray] = {}
    with Pool(min(SHARDS, 16)) as pool:
        for clips in pool.imap_unordered(_unpack_shard, jobs):
            arrays.update({f"audio/{i}": a for i, a in clips})
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds as its bool flag
    print(f"{len(meta)} clips unpacked -> {out} ({time.time() - start:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="bank.npz (pack) or a packed folder (--unpack)")
    parser.add_argument("out", type=Path)
    parser.add_argument("--unpack", action="store_true")
    parser.add_argument("--kbps", type=float, default=31.0)
    parser.add_argument("--check", type=int, default=3000, help="sampled examples whose phrases join the table")
    args = parser.parse_args()
    if args.unpack:
        unpack(args.source, args.out)
    else:
        pack(args.source, args.out, args.kbps, args.check)


if __name__ == "__main__":
    main()
