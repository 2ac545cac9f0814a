"""The bank, small enough to travel to a GPU machine, and unpacked there.

    python -m audiolasso_learned.training.pack .audiolasso/learned/bank.npz .gpu/bank        # here
    python -m audiolasso_learned.training.pack --unpack .gpu/bank /tmp/bank.npz               # there

The GPU machine has no Debian packages to render the bank with and takes a working tree of at most
64 MiB, so the 864 MB float16 bank travels as Ogg Opus (~40 MB for its 2.7 hours), in shards that unpack
in parallel. Opus runs at 48 kHz: each clip is resampled to 48 kHz, scaled to a peak of 0.9 (the bank
stores clips at RMS 0.1, some peaks above 1) and concatenated into its shard; unpacking undoes both.
Tones and voices keep their character at 31 kbit/s; noise does not (white noise loses 3-5 dB between 1.5
and 7.5 kHz there, and a network trained on coded noise failed on real noise: docs/learned.md), so
noise-like clips get more bits (``KBPS``) and the procedural noises are not packed at all: unpacking
makes them again with the bank's own generator (``sources.noise``, the same seed: checked when packing).
A mixture is built from the unpacked clips and its target is one of them, so examples stay exact.

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

from audiolasso_learned import SAMPLE_RATE
from audiolasso_learned.training import bank as bank_io
from audiolasso_learned.training import prompts, sources
from audiolasso_learned.training.mixtures import sample
from serve_app.audio.resample import resample
from serve_app.understanding import embedding
from serve_app.understanding.catalog import CONCEPTS

OPUS_RATE = 48_000  # one of the few rates Opus takes
PEAK = 0.9
KBPS = {"stem": 31, "solo": 31, "speech": 31, "event": 44, "ambience": 82, "noise": 82}  # by clip kind
LEVEL = {31: 0.9, 44: 0.85, 82: 0.7}  # libsndfile's Opus compression level for each, measured here
SHARDS = {31: 16, 44: 4, 82: 4}


def _from_opus_rate(x: np.ndarray, n: int) -> np.ndarray:
    """Back at the bank's rate, exactly ``n`` samples long."""
    y = resample(x, OPUS_RATE, SAMPLE_RATE)[:n]
    return np.pad(y, (0, n - len(y)))


def pack(bank: Path, out: Path, seed: int, check: int) -> None:
    start = time.time()
    with np.load(bank) as data:
        meta = bank_io.read_meta(data)
        audio = [data[f"audio/{i}"] for i in range(len(meta))]
    pack_audio(meta, audio, out, seed)
    enumerated, sampled = set(enumerated_phrases(meta)), sampled_phrases(bank, check)
    missed = sum(p not in enumerated for p in sampled)
    print(f"{missed} of {len(sampled)} sampled examples read a phrase the enumeration missed (now added)")
    phrases = sorted(enumerated | set(sampled))
    write_phrases(out / "phrases.npz", phrases)
    size = sum(f.stat().st_size for f in out.iterdir())
    print(f"{len(meta)} clips, {len(phrases)} phrases -> {out} ({size / 1e6:.1f} MB, {time.time() - start:.0f} s)")


def _procedural(meta: list[dict]) -> dict[int, tuple[str, int]]:
    """Clip index -> (noise kind, its number within the kind) for the bank's procedural noises, in the
    order ``sources.bank_items`` made them."""
    out, counts = {}, {kind: 0 for kind in sources.NOISE_KINDS}
    for i, m in enumerate(meta):
        kind = m["source"].removeprefix("numpy ")
        if m["kind"] == "noise" and kind in counts:
            out[i] = (kind, counts[kind])
            counts[kind] += 1
    return out


def regenerate(kind: str, number: int, seed: int) -> np.ndarray:
    return bank_io.stored(sources.procedural_noise(kind, number, seed))


def pack_audio(meta: list[dict], audio: list[np.ndarray], out: Path, seed: int) -> None:
    """The clips as Opus shards and ``meta.json`` (each record gains where its clip lies, or how to make it
    again); ``seed`` is the bank's."""
    out.mkdir(parents=True, exist_ok=True)
    procedural = _procedural(meta)
    for i, (kind, number) in procedural.items():
        if not np.array_equal(regenerate(kind, number, seed), audio[i]):
            raise ValueError(f"clip {i} ({kind} {number}) is not what seed {seed} makes: pass the bank's --seed")
        meta[i]["regenerate"] = [kind, number, seed]
    for kbps, shards in SHARDS.items():
        clips = [i for i, m in enumerate(meta) if KBPS[m["kind"]] == kbps and i not in procedural]
        for shard in range(shards):
            name, pieces, offset = f"shard_{kbps}k_{shard:02d}.opus", [], 0
            for i in clips[shard::shards]:
                x = resample(audio[i].astype(np.float32), SAMPLE_RATE, OPUS_RATE)
                scale = float(np.max(np.abs(x)) / PEAK) or 1.0
                meta[i].update(shard=name, start=offset, frames=len(x), samples=len(audio[i]), scale=scale)
                pieces.append(x / scale)
                offset += len(x)
            if pieces:  # a small bank may leave a shard empty
                sf.write(
                    out / name,
                    np.concatenate(pieces),
                    OPUS_RATE,
                    format="OGG",
                    subtype="OPUS",
                    compression_level=LEVEL[kbps],
                )
    (out / "meta.json").write_text(json.dumps(meta))


def enumerated_phrases(meta: list[dict]) -> list[str]:
    """Every name in the bank and the catalog, read through every template (with and without marks),
    and the catalog's labels (which join the phrase in the query serving sends)."""
    names = {n for m in meta for n in m["names"]} | set(prompts.MUSIC_NAMES) | set(prompts.VOCAL_NAMES)
    names |= {n for c in CONCEPTS for n in prompts.own_names(c.name)}
    out = {
        prompts.read_phrase(p, marked)
        for p in prompts.KARAOKE + prompts.VAGUE + prompts.NAMELESS_MARKED
        for marked in (False, True)
    }
    out |= {c.label for c in CONCEPTS}
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


def _unpack(job: tuple[Path, str, list[tuple[int, dict]]]) -> list[tuple[int, np.ndarray]]:
    """One shard's clips, or (shard "") clips made again."""
    folder, shard, clips = job
    if not shard:
        return [(i, regenerate(*m["regenerate"])) for i, m in clips]
    x, _ = sf.read(folder / shard, dtype="float32")
    return [
        (i, (_from_opus_rate(x[m["start"] : m["start"] + m["frames"]], m["samples"]) * m["scale"]).astype(np.float16))
        for i, m in clips
    ]


def unpack(folder: Path, out: Path) -> None:
    start = time.time()
    meta = json.loads((folder / "meta.json").read_text())
    by_shard: dict[str, list[tuple[int, dict]]] = {}
    for i, m in enumerate(meta):
        by_shard.setdefault(m.get("shard", ""), []).append((i, m))
    made = by_shard.pop("", [])
    jobs = [(folder, shard, clips) for shard, clips in by_shard.items()]
    jobs += [(folder, "", made[k::8]) for k in range(8)]
    arrays: dict[str, np.ndarray] = {}
    with Pool(16) as pool:
        for clips in pool.imap_unordered(_unpack, jobs):
            arrays.update({f"audio/{i}": a for i, a in clips})
    bank_io.write(out, meta, arrays)
    print(f"{len(meta)} clips unpacked ({len(made)} made again) -> {out} ({time.time() - start:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="bank.npz (pack) or a packed folder (--unpack)")
    parser.add_argument("out", type=Path)
    parser.add_argument("--unpack", action="store_true")
    parser.add_argument("--seed", type=int, default=0, help="the seed the bank was built with")
    parser.add_argument("--check", type=int, default=3000, help="sampled examples whose phrases join the table")
    args = parser.parse_args()
    if args.unpack:
        unpack(args.source, args.out)
    else:
        pack(args.source, args.out, args.seed, args.check)


if __name__ == "__main__":
    main()
