"""Generate a corpus in the dev corpus's exact format from one split's sources.

    python -m audiolasso_corpora.make {heldout|tune} OUT_DIR [--seed N] [--only CASE_ID ...]

Output: ``OUT_DIR/CASE_ID/{mixture,target,residual}.flac`` (mono, 44.1 kHz, 16-bit; the mixture peaks at
-1 dBFS and equals target + residual sample for sample) and ``case.json`` (id, category, prompt, spans,
sample_rate, duration, sources, notes, tags). Deterministic in (split, seed): every case draws from its own
generator ``default_rng([seed, category index, case index])``.

Only the split's own sources (``sources.py``) are used; ``tune`` and ``heldout`` use nothing the dev corpus uses.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from . import events as ev
from . import music, noise, speech
from .audio import SR, active_rms, activity, fade, lowpass, normalise, place, reverb, rms, room_ir, runs
from .prompts import PromptPicker
from .sources import SEED_BASE, Source, get, is_reserved, sources

CATEGORIES = ("music_instrument", "vocal_over_music", "speech_in_noise", "sound_event")
CAT_SHORT = {"music_instrument": "mus", "vocal_over_music": "voc", "speech_in_noise": "sin", "sound_event": "evt"}
DEFAULT_SEED = {"heldout": 31337, "tune": 27182}
PREFIX = {"heldout": "ho", "tune": "tu"}
DURATIONS = (7.5, 8.0, 8.5, 9.0, 9.5)
PEAK_DBFS = -1.0

# --------------------------------------------------------------------------------------------------
# instruments
# --------------------------------------------------------------------------------------------------
KINDS = {  # kind -> (concept, {GM program: prompt name})
    "drums": ("drums", {}),
    "bass": (
        "bass",
        {
            32: "upright bass",
            33: "bass guitar",
            34: "bass guitar",
            35: "fretless bass",
            36: "slap bass",
            38: "synth bass",
        },
    ),
    "piano": ("piano", {0: "piano", 1: "piano", 2: "electric grand piano", 4: "electric piano", 5: "electric piano"}),
    "guitar_ac": ("guitar", {24: "acoustic guitar", 25: "acoustic guitar"}),
    "guitar_el": ("guitar", {27: "electric guitar", 29: "overdriven guitar", 30: "distorted guitar"}),
    "strings": ("strings", {48: "strings", 49: "string section", 44: "tremolo strings"}),
    "violin": ("strings", {40: "violin"}),
    "brass": ("brass", {56: "trumpet", 57: "trombone", 61: "brass section", 60: "French horn"}),
    "woodwinds": ("woodwinds", {65: "alto sax", 66: "tenor sax", 71: "clarinet", 73: "flute", 68: "oboe"}),
    "organ": ("organ_synth", {16: "organ", 17: "organ", 18: "rock organ", 19: "church organ"}),
    "synth_lead": ("organ_synth", {80: "synth lead", 81: "synth lead"}),
    "synth_pad": ("organ_synth", {88: "synth pad", 89: "synth pad", 94: "synth pad", 95: "synth pad"}),
}
SYNTH_KINDS = {  # split -> kind -> (source id, synth family, prompt name)
    "heldout": {
        "bass": ("synth_karplus_strong", "bass", "bass"),
        "guitar_ac": ("synth_karplus_strong", "guitar", "acoustic guitar"),
        "piano": ("synth_modal", "piano", "piano"),
    },
    "tune": {
        "piano": ("synth_fm", "piano", "electric piano"),
        "bass": ("synth_fm", "bass", "synth bass"),
        "brass": ("synth_fm", "brass", "brass"),
        "organ": ("synth_fm", "organ_synth", "organ"),
        "woodwinds": ("synth_fm", "woodwinds", "clarinet"),
    },
}
MIDI_SOURCES = {"heldout": ("csound_gmbank", "freepats"), "tune": ("opl3_fm",)}
DRUM_SOURCES = {
    "heldout": ("avl_black_pearl", "avl_red_zeppelin", "csound_gmbank", "freepats"),
    "tune": ("h2_colombo", "h2_millo_ml2", "h2_millo_ml3", "opl3_fm"),
}
OCTAVE = {"violin": 0, "brass": 0, "woodwinds": 0, "synth_lead": 0, "guitar_el": -12}
PROGRAM_OCTAVE = {57: -12, 60: -12, 66: -12, 70: -12, 42: -24}


def _programs(source_id: str, kind: str) -> list[int]:
    progs = list(KINDS[kind][1])
    if source_id == "freepats":
        have, _ = music.freepats_map()
        progs = [p for p in progs if p in have]
    return progs


def choose_instrument(
    split: str,
    kind: str,
    rng: np.random.Generator,
    source_id: str | None = None,
    program: int | None = None,
    synth_prob: float = 0.3,
) -> dict:
    """An instrument of ``kind`` from the split's palette: {source, program, family, drums, name, concept}."""
    concept = KINDS[kind][0]
    if kind == "drums":
        sid = source_id or str(rng.choice(DRUM_SOURCES[split]))
        return {
            "source": get(sid),
            "program": None,
            "family": None,
            "drums": True,
            "name": "drums",
            "concept": "drums",
            "kind": kind,
        }
    syn = SYNTH_KINDS[split].get(kind)
    if (source_id is None and syn and rng.random() < synth_prob) or (syn and source_id == syn[0]):
        return {
            "source": get(syn[0]),
            "program": None,
            "family": syn[1],
            "drums": False,
            "name": syn[2],
            "concept": concept,
            "kind": kind,
        }
    sid = source_id or str(rng.choice(MIDI_SOURCES[split]))
    progs = _programs(sid, kind)
    if not progs:
        sid = MIDI_SOURCES[split][0]
        progs = _programs(sid, kind)
    prog = int(program if program is not None else rng.choice(progs))
    return {
        "source": get(sid),
        "program": prog,
        "family": None,
        "drums": False,
        "name": KINDS[kind][1][prog],
        "concept": concept,
        "kind": kind,
    }


def inst_label(inst: dict) -> str:
    s: Source = inst["source"]
    if inst["drums"]:
        return f"drum kit ({s.label})"
    if s.kind == "synthesis":
        return f"{s.path.split(':')[-1]} synthesis ({inst['family']})"
    return f"GM program {inst['program']} ({music.GM_NAMES.get(inst['program'], '?')})"


def part_meta(inst: dict, song: music.Song, part: str, stem: str) -> dict:
    s: Source = inst["source"]
    kind = {"soundfont": "midi_render", "sample_kit": "sample_kit_render", "synthesis": "synthesis"}[s.kind]
    m = {
        "stem": stem,
        "part": part,
        "kind": kind,
        "generator": "audiolasso_corpora.music.make_song",
        **song.describe(),
        "instrument": inst_label(inst),
        "package": s.package or "(numpy, this repository)",
    }
    if s.kind == "soundfont":
        m["soundfont"] = Path(s.path).name
        m["renderer"] = (
            "fluidsynth 2.3.1 (-R 0 -C 0, float)"
            if s.extra.get("engine") == "fluidsynth"
            else "TiMidity++ 2.14 (FreePats only, no reverb/chorus, 24-bit)"
        )
    elif s.kind == "sample_kit":
        m["kit"] = Path(s.path).name
        m["renderer"] = "audiolasso_corpora.music.render_hydrogen (velocity layers)"
    m["license"] = s.licence
    return m


ROLE_LEVEL_DB = {"drums": 0.0, "bass": -1.0, "chords": -2.0, "melody": 0.0, "pad": -6.0, "call": 0.0, "response": 0.0}
ROLE_OF_KIND = {
    "drums": "drums",
    "bass": "bass",
    "piano": "chords",
    "guitar_ac": "chords",
    "organ": "chords",
    "strings": "pad",
    "synth_pad": "pad",
    "violin": "melody",
    "brass": "melody",
    "woodwinds": "melody",
    "synth_lead": "melody",
    "guitar_el": "chords",
}
CHORD_KINDS = {
    "rock": ["guitar_el", "organ"],
    "folk": ["guitar_ac"],
    "ballad": ["piano", "guitar_ac"],
    "waltz": ["piano", "guitar_ac"],
    "bossa": ["guitar_ac", "piano"],
    "funk": ["guitar_el", "piano", "organ"],
    "electro": ["synth_lead", "piano"],
    "shuffle": ["piano", "organ", "guitar_el"],
    "pop": ["piano", "guitar_ac", "guitar_el"],
}
MELODY_KINDS = ["brass", "woodwinds", "violin", "synth_lead", "guitar_el"]
PAD_KINDS = ["strings", "synth_pad", "organ"]


def arrange(
    split: str, rng: np.random.Generator, style: str, fixed: dict[str, dict], pad_prob: float = 0.6, melody: bool = True
) -> dict[str, dict]:
    """Instruments per role; ``fixed`` roles are given, the others avoid the fixed roles' concepts."""
    taken = {i["concept"] for i in fixed.values()}
    out = dict(fixed)

    def pick(role: str, options: list[str]) -> None:
        if role in out:
            return
        opts = [k for k in options if KINDS[k][0] not in taken]
        if not opts:
            return
        inst = choose_instrument(split, str(rng.choice(opts)), rng)
        out[role] = inst
        taken.add(inst["concept"])

    if "drums" not in out:
        out["drums"] = choose_instrument(split, "drums", rng)
    if "bass" not in out:
        out["bass"] = choose_instrument(split, "bass", rng)
    pick("chords", CHORD_KINDS[style])
    if melody:
        pick("melody", MELODY_KINDS)
    if rng.random() < pad_prob or "pad" in fixed:
        pick("pad", PAD_KINDS)
    return out


def render_role(inst: dict, notes: list, rng: np.random.Generator, dur: float) -> np.ndarray:
    shift = PROGRAM_OCTAVE.get(inst["program"], OCTAVE.get(inst["kind"], 0)) if not inst["drums"] else 0
    if inst["kind"] == "synth_lead" and notes and max(n[2] for n in notes) < 70:
        shift = 12
    notes = music.part_pitch_shift(notes, shift) if shift else notes
    x = music.render_part(
        inst["source"], notes, rng, dur + 0.5, program=inst["program"], family=inst["family"], drums=inst["drums"]
    )
    return x


def render_song(
    song: music.Song, roles: dict[str, dict], rng: np.random.Generator, n: int, target_roles: set[str]
) -> tuple[np.ndarray, np.ndarray, list[dict], dict[str, np.ndarray]]:
    """(target, residual, sources meta, per-role audio) for ``song`` with instruments ``roles``."""
    dur = n / SR
    t = np.zeros(n, np.float32)
    r = np.zeros(n, np.float32)
    meta: list[dict] = []
    stems: dict[str, np.ndarray] = {}
    for role in ("drums", "bass", "chords", "melody", "call", "response", "pad"):
        if role not in roles or not song.parts.get(role):
            continue
        x = render_role(roles[role], song.parts[role], rng, dur)[:n]
        is_t = role in target_roles
        level = rng.uniform(-1.5, 1.5) if is_t and len(target_roles) == 1 else ROLE_LEVEL_DB[role] + rng.uniform(-2, 2)
        x = normalise(x) * 10 ** (level / 20)
        x = fade(x, 0.0, 0.05)
        stems[role] = x
        (t if is_t else r)[:] += x
        meta.append(part_meta(roles[role], song, role, "target" if is_t else "residual"))
    return t, r, meta, stems


# --------------------------------------------------------------------------------------------------
# speech
# --------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=512)
def _tts(source_id: str, text: str, stretch: float, f0: tuple | None, seed: int) -> tuple[np.ndarray, str]:
    x, meta = speech.speak(get(source_id), text, np.random.default_rng(seed), stretch=stretch, f0=f0)
    return x, json.dumps(meta)


def tts(
    source: Source, text: str, rng: np.random.Generator, stretch: float | None = None, f0: tuple | None = None
) -> tuple[np.ndarray, dict]:
    stretch = round(float(stretch if stretch is not None else rng.uniform(0.92, 1.12)), 3)
    x, meta = _tts(source.id, text, stretch, f0, int(rng.integers(1 << 30)))
    return x.copy(), json.loads(meta)


def voice_f0(source: Source, rng: np.random.Generator) -> tuple | None:
    if source.id == "festival_ked":
        return (round(float(rng.uniform(92, 125)), 1), round(float(rng.uniform(10, 22)), 1))
    return None


def sentences_for(split: str, source: Source, rng: np.random.Generator, k: int) -> list[str]:
    lang = source.extra.get("lang", "en")
    if source.kind == "speech_recording":
        names = list(speech.ASTERISK_PROMPTS)
        rng.shuffle(names)
        return ["|".join(names[i * 2 : i * 2 + 2]) for i in range(k)]
    pool = list(speech.SENTENCES[split].get(lang) or speech.SENTENCES[split]["en"])
    rng.shuffle(pool)
    return pool[:k]


def speech_track(
    split: str,
    source: Source,
    rng: np.random.Generator,
    n: int,
    start_s: float | None = None,
    stem: str = "target",
    role: str | None = None,
    end_margin_s: float = 0.25,
    max_sentences: int = 4,
) -> tuple[np.ndarray, list[dict], list[tuple[int, int]]]:
    """A voice saying sentences one after another from ``start_s`` until the clip is (nearly) full."""
    out = np.zeros(n, np.float32)
    pos = int((start_s if start_s is not None else rng.uniform(0.2, 0.6)) * SR)
    metas: list[dict] = []
    segs: list[tuple[int, int]] = []
    texts = sentences_for(split, source, rng, 8)
    shorts = (
        list(speech.SENTENCES[split].get("short_en", []))
        if source.extra.get("lang", "en") == "en" and source.kind != "speech_recording"
        else []
    )
    f0 = voice_f0(source, rng)
    stretch = float(rng.uniform(0.92, 1.12))
    for text in texts + shorts:
        if len(segs) >= max_sentences or pos > n - int(0.8 * SR):
            break
        x, meta = tts(source, text, rng, stretch, f0)
        if pos + len(x) > n - int(end_margin_s * SR):
            continue
        out[pos : pos + len(x)] += x
        segs.append((pos, pos + len(x)))
        meta = {"stem": stem, **meta}
        if role:
            meta["role"] = role
        metas.append(meta)
        pos += len(x) + int(rng.uniform(0.25, 0.7) * SR)
    if not segs:  # one cut-down sentence
        x, meta = tts(source, texts[0], rng, stretch, f0)
        x = fade(x[: n - pos - int(end_margin_s * SR)], 0.0, 0.1)
        out[pos : pos + len(x)] += x
        segs.append((pos, pos + len(x)))
        metas.append({"stem": stem, **meta, "note": "cut at the end of the clip"})
    return out, metas, segs


BABBLE_VOICES = {
    "heldout": [
        "flite_rms",
        "flite_slt",
        "festival_cz_krb",
        "festival_cz_ph",
        "festival_fi_lj",
        "festival_fi_mv",
        "festival_ca_ona",
        "festival_slt_hts",
    ],
    "tune": ["festival_ked", "flite_awb", "festival_cz_dita", "festival_cz_machac", "festival_it_lp", "festival_it_pc"],
}


def babble(
    split: str, rng: np.random.Generator, n: int, exclude: str = "", talkers: int | None = None, stem: str = "residual"
) -> tuple[np.ndarray, list[dict], str]:
    """Several voices of the split talking at once, in a synthetic room, low-passed."""
    voices = [v for v in BABBLE_VOICES[split] if v != exclude]
    k = talkers or int(rng.integers(5, 8))
    out = np.zeros(n, np.float32)
    metas = []
    for i in range(k):
        src = get(voices[i % len(voices)])
        texts = sentences_for(split, src, rng, 3)
        stretch = float(rng.uniform(0.9, 1.1))
        parts = []
        for text in texts:
            x, meta = tts(src, text, rng, stretch, voice_f0(src, rng))
            parts += [x, np.zeros(int(rng.uniform(0.1, 0.4) * SR), np.float32)]
        y = np.concatenate(parts)
        y = np.tile(y, int(np.ceil(n / len(y))) + 1)
        y = np.roll(y, int(rng.integers(len(y))))[:n]
        out += normalise(y) * 10 ** (rng.uniform(-3, 3) / 20)
        metas.append({"stem": stem, **meta, "text": " | ".join(texts), "role": "babble talker"})
    rt = float(rng.uniform(0.3, 0.7))
    out = lowpass(reverb(out, room_ir(rng, rt)), float(rng.uniform(5500, 7500)))
    return normalise(out), metas, f"{k} background talkers, synthetic room RT60 {rt:.1f} s, low-passed"


# --------------------------------------------------------------------------------------------------
# spans
# --------------------------------------------------------------------------------------------------
def _db(x: np.ndarray, hop: int) -> np.ndarray:
    frames = int(np.ceil(len(x) / hop))
    xp = np.pad(np.asarray(x, np.float64), (0, frames * hop - len(x)))
    e = (xp.reshape(frames, hop) ** 2).mean(axis=1)
    return 10 * np.log10(e / (e.max() + 1e-20) + 1e-20)


def make_spans(
    target: np.ndarray,
    rng: np.random.Generator,
    other: np.ndarray | None = None,
    max_include: int = 3,
    max_exclude: int = 2,
    min_s: float = 0.3,
) -> list[dict]:
    """Correct hints: include = the target sounds there; exclude = only non-target sound there.

    With ``other`` (a competing similar source) an include span also needs ``other`` silent and an exclude
    span needs ``other`` sounding, so the spans say which of the two is meant.
    """
    hop = int(0.01 * SR)
    td = _db(target, hop)
    inc_mask = td > -30
    exc_mask = td < -60
    if other is not None:
        od = _db(other, hop)
        inc_mask &= od < -55
        exc_mask &= od > -30
    else:  # bridge short dips inside one sounding stretch
        for a, b in runs(~inc_mask):
            if b - a < 25 and a > 0:
                inc_mask[a:b] = True
        inc_mask &= td > -60
    dur = len(target) / SR
    out = []
    for mask, include, k in ((inc_mask, True, max_include), (exc_mask, False, max_exclude)):
        cands = []
        for a, b in runs(mask):
            s, e = a * hop / SR, b * hop / SR
            if not include:
                s, e = s + 0.05, e - 0.05
            s, e = max(s, 0.05), min(e, dur - 0.05)
            if e - s >= min_s:
                cands.append((s, e))
        if len(cands) > k:
            idx = sorted(rng.choice(len(cands), k, replace=False))
            cands = [cands[i] for i in idx]
        for s, e in cands:
            if include:
                out.append({"start": round(s, 2), "end": round(e, 2), "include": True})
            else:
                out.append(
                    {"start": float(np.ceil(s * 100) / 100), "end": float(np.floor(e * 100) / 100), "include": False}
                )
    return sorted(out, key=lambda d: d["start"])


# --------------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------------
def check_spans(cid: str, target: np.ndarray, spans: list[dict]) -> None:
    """Every include span has the target sounding over most of it; every exclude span has it (nearly) silent."""
    hop = int(0.01 * SR)
    td = _db(target, hop)
    for s in spans:
        a, b = int(s["start"] * SR / hop), int(np.ceil(s["end"] * SR / hop))
        seg = td[a:b]
        if s["include"]:
            assert np.mean(seg > -40) > 0.5, f"{cid}: include span {s} where the target is mostly silent"
        else:
            assert seg.max() < -50, f"{cid}: exclude span {s} where the target sounds ({seg.max():.1f} dB)"


def write_case(
    out_dir: Path,
    cid: str,
    category: str,
    prompt: str,
    spans: list[dict],
    target: np.ndarray,
    residual: np.ndarray,
    srcs: list[dict],
    notes: str,
    tags: list[str],
) -> dict:
    """Scale so the mixture peaks at -1 dBFS, quantise target and residual to 16 bit, mixture = their sum."""
    mix = target.astype(np.float64) + residual.astype(np.float64)
    g = 10 ** (PEAK_DBFS / 20) / np.max(np.abs(mix))
    ti = np.round(target.astype(np.float64) * g * 32768).astype(np.int64)
    ri = np.round(residual.astype(np.float64) * g * 32768).astype(np.int64)
    mi = ti + ri
    for name, a in (("target", ti), ("residual", ri), ("mixture", mi)):
        if a.max() > 32767 or a.min() < -32768:
            raise ValueError(f"{cid}: {name} clips")
    d = out_dir / cid
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    for name, a in (("mixture", mi), ("target", ti), ("residual", ri)):
        sf.write(d / f"{name}.flac", a.astype(np.int16), SR, subtype="PCM_16", format="FLAC")
    m2, _ = sf.read(d / "mixture.flac", dtype="int16")
    t2, _ = sf.read(d / "target.flac", dtype="int16")
    r2, _ = sf.read(d / "residual.flac", dtype="int16")
    assert np.array_equal(m2.astype(np.int32), t2.astype(np.int32) + r2.astype(np.int32)), cid
    check_spans(cid, ti.astype(np.float64) / 32768, spans)
    for s in srcs:
        for k in ("file", "soundfont", "path"):
            v = s.get(k)
            for item in v if isinstance(v, list) else [v]:
                if item and is_reserved(path=str(item)):
                    raise RuntimeError(f"{cid}: reserved material in sources")
    meta = {
        "id": cid,
        "category": category,
        "prompt": prompt,
        "spans": spans,
        "sample_rate": SR,
        "duration": round(len(mi) / SR, 3),
        "sources": srcs,
        "notes": notes,
    }
    if tags:
        meta["tags"] = tags
    (d / "case.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    return meta


def scale_to(
    x: np.ndarray, ref: np.ndarray, db: float, x_level: float | None = None, ref_level: float | None = None
) -> np.ndarray:
    """Scale ``x`` so that level(x) - level(ref) = ``db``."""
    lx = x_level if x_level is not None else rms(x)
    lr = ref_level if ref_level is not None else rms(ref)
    return (x * (lr / max(lx, 1e-12)) * 10 ** (db / 20)).astype(np.float32)


def event_ratio_scale(event: np.ndarray, bg: np.ndarray, db: float) -> np.ndarray:
    """Scale ``event`` so event/background power over the event's active frames is ``db``."""
    hop = int(0.01 * SR)
    act = np.repeat(activity(event, SR, 0.01, -35.0), hop)[: len(event)]
    pe = float(np.mean(event[act] ** 2)) if act.any() else rms(event) ** 2
    pb = float(np.mean(bg[act] ** 2)) if act.any() else rms(bg) ** 2
    return (event * np.sqrt(pb / max(pe, 1e-20)) * 10 ** (db / 20)).astype(np.float32)


# --------------------------------------------------------------------------------------------------
# case plans
# --------------------------------------------------------------------------------------------------
PLANS: dict[str, dict[str, list[dict]]] = {
    "heldout": {
        "music_instrument": [
            dict(kind="drums", style="funk", source="avl_red_zeppelin"),
            dict(kind="bass", style="pop", source="synth_karplus_strong"),
            dict(kind="piano", style="ballad", source="freepats", program=0),
            dict(kind="piano", style="waltz", source="synth_modal"),
            dict(kind="guitar_ac", style="folk", source="synth_karplus_strong"),
            dict(kind="guitar_el", style="rock", source="csound_gmbank"),
            dict(kind="strings", style="ballad", source="freepats", program=48),
            dict(kind="violin", style="bossa", source="csound_gmbank", program=40),
            dict(kind="brass", style="funk", source="csound_gmbank"),
            dict(kind="woodwinds", style="shuffle", source="freepats"),
            dict(kind="organ", style="shuffle", source="csound_gmbank"),
            dict(
                marked="brass",
                a=("csound_gmbank", "brass", 56),
                b=("freepats", "brass", 60),
                style="ballad",
                fam="brass instrument",
            ),
            dict(
                marked="guitar",
                a=("csound_gmbank", "guitar_ac", 25),
                b=("synth_karplus_strong", "guitar_ac", None),
                style="pop",
                fam="guitar",
            ),
        ],
        "vocal_over_music": [
            dict(voice="festival_slt_hts", style="pop"),
            dict(voice="flite_rms", style="rock"),
            dict(voice="asterisk_allison_en", style="bossa"),
            dict(voice="festival_fi_lj", style="ballad"),
            dict(voice="flite_slt", style="funk"),
            dict(voice="festival_cz_ph", style="folk"),
            dict(voice="festival_ca_ona", style="waltz"),
            dict(voice="festival_fi_mv", style="electro"),
            dict(voice="flite_rms", style="shuffle", reverb=True),
            dict(voice="festival_slt_hts", style="rock", inverted=True),
            dict(voice="asterisk_allison_en", style="pop", inverted=True),
            dict(voice="festival_cz_krb", style="funk", inverted=True),
            dict(voice="flite_rms", style="ballad", keep_noise="hum_hiss"),
            dict(voice="flite_slt", style="pop", keep_noise="rain"),
        ],
        "speech_in_noise": [
            dict(voice="festival_slt_hts", noise="babble"),
            dict(voice="flite_rms", noise="rain"),
            dict(voice="asterisk_allison_en", noise="hum_hiss"),
            dict(voice="festival_fi_lj", noise="wind"),
            dict(voice="flite_slt", noise="rec:scratch_partynoise"),
            dict(voice="festival_cz_ph", noise="street"),
            dict(voice="festival_ca_ona", noise="rec:scratch_waterrunning"),
            dict(voice="festival_fi_mv", noise="rec:scratch_crickets"),
            dict(voice="asterisk_allison_en", noise="white"),
            dict(voice="flite_rms", noise="babble"),
            dict(voice="flite_rms", other="festival_cz_ph", noise="traffic"),
            dict(voice="festival_slt_hts", other="festival_ca_ona", noise="pink"),
        ],
        "sound_event": [
            dict(event="scratch_dog1", bg="street"),
            dict(event="scratch_dog2", bg="speech"),
            dict(event="scratch_meow", bg="music"),
            dict(event="scratch_kitten", bg="crowd"),
            dict(event="scratch_bird", bg="street"),
            dict(event="scratch_owl", bg="speech"),
            dict(event="lomiri_alarm_clock", bg="crowd"),
            dict(event="lomiri_alarm_synth", bg="music"),
            dict(event="h2_gimme_a_hand", bg="speech"),
            dict(event="scratch_rooster", bg="street"),
            dict(event="scratch_belltoll", bg="crowd"),
            dict(event="scratch_goose", bg="music", inverted=True),
        ],
    },
    "tune": {
        "music_instrument": [
            dict(kind="drums", style="rock", source="h2_colombo"),
            dict(kind="bass", style="funk", source="synth_fm"),
            dict(kind="piano", style="ballad", source="opl3_fm", program=0),
            dict(kind="guitar_ac", style="folk", source="opl3_fm"),
            dict(kind="strings", style="waltz", source="opl3_fm", program=48),
            dict(kind="brass", style="pop", source="synth_fm"),
            dict(kind="woodwinds", style="bossa", source="opl3_fm"),
            dict(
                marked="organ",
                a=("opl3_fm", "organ", 16),
                b=("synth_fm", "organ", None),
                style="shuffle",
                fam="keyboard",
                role="chords",
            ),
        ],
        "vocal_over_music": [
            dict(voice="festival_ked", style="pop"),
            dict(voice="flite_awb", style="rock"),
            dict(voice="festival_cz_dita", style="ballad"),
            dict(voice="festival_it_pc", style="funk"),
            dict(voice="festival_ked", style="waltz", reverb=True),
            dict(voice="flite_awb", style="electro"),
            dict(voice="festival_it_lp", style="bossa", inverted=True),
            dict(voice="festival_cz_machac", style="shuffle", inverted=True),
            dict(voice="flite_awb", style="funk", keep_noise="hum_hiss"),
            dict(voice="festival_ked", style="bossa", keep_noise="wind"),
        ],
        "speech_in_noise": [
            dict(voice="festival_ked", noise="babble"),
            dict(voice="flite_awb", noise="rain"),
            dict(voice="festival_cz_dita", noise="hum_hiss"),
            dict(voice="festival_it_pc", noise="rec:opensfx_52"),
            dict(voice="festival_ked", noise="rec:opensfx_27"),
            dict(voice="flite_awb", noise="rec:mt_water"),
            dict(voice="festival_it_lp", noise="rec:opensfx_29"),
            dict(voice="festival_ked", other="flite_awb", noise="brown"),
        ],
        "sound_event": [
            dict(event="gc_farm_dog", bg="street"),
            dict(event="opensfx_66", bg="speech"),
            dict(event="gc_farm_owl", bg="music"),
            dict(event="oxygen_phone_ring", bg="crowd"),
            dict(event="opensfx_14", bg="street"),
            dict(event="mt_wood_chop", bg="speech"),
            dict(event="opensfx_37", bg="wind"),
            dict(event="gc_farm_sheep", bg="music", inverted=True),
        ],
    },
}

EVENT_NAMES = {
    "dog": ["dog barking", "barking dog", "dog bark"],
    "cat": ["cat meowing", "cat", "meowing"],
    "bird": ["bird chirping", "birdsong", "bird calls"],
    "alarm": ["alarm", "alarm ringing", "beeping alarm"],
    "knock": ["knocking", "knock on the door", "door knocks"],
    "rooster": ["rooster crowing", "rooster"],
    "bell": ["church bell", "bell ringing"],
    "goose": ["goose honking", "honking goose"],
    "cow": ["cow mooing", "cow"],
    "sheep": ["sheep bleating", "sheep"],
}
SPECIFIC_EVENT_NAMES = {
    "scratch_owl": ["owl hooting", "owl"],
    "gc_farm_owl": ["owl hooting", "hooting owl"],
    "scratch_kitten": ["kitten mewing", "kitten"],
    "lomiri_alarm_clock": ["alarm clock ringing", "alarm clock"],
    "lomiri_alarm_synth": ["beeping alarm", "electronic alarm"],
    "oxygen_phone_ring": ["phone ringing", "ringtone"],
    "opensfx_14": ["crossing bells", "warning bells"],
    "opensfx_66": ["tropical bird calls", "birds"],
}
BG_NAMES = {
    "street": ["street noise", "traffic", "street recording"],
    "music": ["music", "background music", "song"],
    "speech": ["person talking", "speech", "voice in the background"],
    "crowd": ["crowd", "people chatting", "crowd noise"],
    "wind": ["wind", "wind noise"],
}
NOISE_NAMES = {
    "babble": ["crowd noise", "background chatter", "people talking in the background"],
    "rain": ["rain", "rain noise", "sound of the rain"],
    "hum_hiss": ["hum and hiss", "electrical hum and hiss", "buzz and hiss"],
    "wind": ["wind noise", "wind"],
    "street": ["traffic noise", "street noise"],
    "traffic": ["traffic noise"],
    "white": ["hiss", "static", "tape hiss"],
    "pink": ["background noise"],
    "brown": ["rumble"],
    "scratch_partynoise": ["party noise", "crowd noise"],
    "scratch_waterrunning": ["running water", "water noise"],
    "scratch_crickets": ["crickets", "insect noise"],
    "opensfx_52": ["wind noise", "wind"],
    "opensfx_27": ["bus noise", "traffic noise"],
    "mt_water": ["water noise", "sound of running water"],
    "opensfx_29": ["applause", "clapping"],
}
VOICE_WORDS = ["vocals", "lead vocal", "singer", "voice"]


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    return str(options[int(rng.integers(len(options)))])


# --------------------------------------------------------------------------------------------------
# builders: each returns (prompt, spans, target, residual, sources, notes, tags)
# --------------------------------------------------------------------------------------------------
def build_music(split, plan, rng, n, with_spans, pick):
    dur = n / SR
    if "marked" in plan:
        style = plan["style"]
        role = plan.get("role", "melody")
        song = music.make_song(rng, style, dur + 0.5, int(rng.integers(1 << 20)), call_response=(role == "melody"))
        (sa, ka, pa), (sb, kb, pb) = plan["a"], plan["b"]
        ia = choose_instrument(split, ka, rng, sa, pa)
        ib = choose_instrument(split, kb, rng, sb, pb)
        target_first = bool(rng.random() < 0.5)
        if role == "chords":  # two keyboards alternate the chord part bar by bar
            ch = song.parts.pop("chords")
            song.parts["call"] = [x for x in ch if int(x[0] // song.bar_s + 1e-9) % 2 == 0]
            song.parts["response"] = [x for x in ch if int(x[0] // song.bar_s + 1e-9) % 2 == 1]
        fixed = {"call": ia if target_first else ib, "response": ib if target_first else ia}
        roles = arrange(split, rng, style, fixed, pad_prob=0.3, melody=(role == "chords"))
        tgt_role = "call" if target_first else "response"
        t, r, meta, stems = render_song(song, roles, rng, n, {tgt_role})
        other = stems["response" if target_first else "call"]
        spans = make_spans(t, rng, other, max_include=2, max_exclude=2)
        if not any(s["include"] for s in spans) or all(s["include"] for s in spans):
            raise RuntimeError("spans_required case without both span kinds")
        prompt = pick("music_marked", fam=plan["fam"])
        name_t, name_o = (ia if target_first else ib)["name"], (ib if target_first else ia)["name"]
        notes = (
            f"{style.capitalize()} song; {ia['name']} ({inst_label(ia)}, {ia['source'].label}) and "
            f"{ib['name']} ({inst_label(ib)}, {ib['source'].label}) alternate bar by bar. Target: the "
            f"{name_t} (bars 1, 3, ... are the {roles['call']['name']}). The prompt alone is ambiguous (both are "
            f"{plan['fam']}s): include spans cover {name_t}-only passages, exclude spans {name_o}-only ones."
        )
        return prompt, spans, t, r, meta, notes, ["spans_required"]
    style, kind = plan["style"], plan["kind"]
    song = music.make_song(rng, style, dur + 0.5, int(rng.integers(1 << 20)))
    tinst = choose_instrument(split, kind, rng, plan.get("source"), plan.get("program"))
    role = ROLE_OF_KIND[kind]
    if kind == "guitar_el" and style not in ("rock", "funk", "shuffle", "pop"):
        role = "melody"
    roles = arrange(split, rng, style, {role: tinst})
    tacet = None
    if with_spans and kind != "drums" and song.bars > 4:  # the target rests for a bar: room for an exclude span
        b = int(rng.integers(2, song.bars - 2))
        tacet = b
        song.parts[role] = [x for x in song.parts[role] if not (b * song.bar_s - 0.05 <= x[0] < (b + 1) * song.bar_s)]
    elif with_spans and kind == "drums" and song.bars > 4:  # a drum break: two beats of silence
        b = int(rng.integers(2, song.bars - 2))
        tacet = b
        song.parts["drums"] = [
            x for x in song.parts["drums"] if not (b * song.bar_s - 0.05 <= x[0] < (b + 1) * song.bar_s)
        ]
    t, r, meta, _ = render_song(song, roles, rng, n, {role})
    spans = make_spans(t, rng) if with_spans else []
    prompt = pick("music", inst=tinst["name"] if kind != "drums" else _pick(rng, ["drums", "drum kit", "drum track"]))
    others = ", ".join(f"{roles[k]['name']} ({k})" for k in roles if k != role)
    notes = (
        f"{style.capitalize()} song: {others}; target: {tinst['name']} ({role}, {inst_label(tinst)}, "
        f"{tinst['source'].label})."
    )
    if tacet is not None:
        notes += f" The target rests in bar {tacet + 1} ({tacet * song.bar_s:.2f}-{(tacet + 1) * song.bar_s:.2f} s)."
    if spans:
        notes += " Spans (correct): include = target playing, exclude = target silent."
    return prompt, spans, t, r, meta, notes, []


def accompaniment(split, rng, style, n, parts_prob=0.6):
    dur = n / SR
    song = music.make_song(rng, style, dur + 0.5, int(rng.integers(1 << 20)))
    roles = arrange(split, rng, style, {}, pad_prob=parts_prob, melody=rng.random() < 0.4)
    acc, _, meta, _ = render_song(song, roles, rng, n, set(roles))
    for m in meta:
        m["stem"] = "residual"
    return acc, meta, song, roles


def build_vocal(split, plan, rng, n, with_spans, pick):
    src = get(plan["voice"])
    voice, vmeta, segs = speech_track(split, src, rng, n, stem="target")
    notes_extra = ""
    if plan.get("reverb"):
        rt = float(rng.uniform(0.4, 0.8))
        voice = reverb(voice, room_ir(rng, rt))
        notes_extra = f" Reverberant voice (synthetic room, RT60 {rt:.1f} s; the reverb is part of the voice stem)."
    acc, ameta, song, roles = accompaniment(split, rng, plan["style"], n)
    level = float(rng.uniform(0.0, 4.0))
    voice = scale_to(voice, acc, level, x_level=active_rms(voice))
    inverted = bool(plan.get("inverted"))
    band = ", ".join(f"{r['name']}" for r in roles.values())
    if plan.get("keep_noise"):
        # "Remove the background music": everything else stays, the noise of the room included.
        bed, bmeta, bdesc = noise_bed(split, plan["keep_noise"], rng, n, exclude_voice=src.id)
        bed_db = float(rng.uniform(8.0, 14.0))
        bed = scale_to(bed, voice, -bed_db, ref_level=active_rms(voice))
        for m in bmeta:
            m["stem"] = "target"
        t, r, srcs = voice + bed, acc, vmeta + bmeta + ameta
        prompt = pick("music_removed")
        notes = (
            f"Music removal keeping the rest: target = voice ({src.label}) + background ({bdesc}, {bed_db:.1f} dB "
            f"below the voice's active level); residual = the {plan['style']} accompaniment ({band})."
        )
        tags = ["inverted_target"]
        spans = []
    elif inverted:
        t, r, srcs = acc, voice, ameta + vmeta
        for m in vmeta:
            m["stem"] = "residual"
        for m in ameta:
            m["stem"] = "target"
        prompt = pick("vocal_inverted")
        notes = f"Inverted prompt: the target is the whole accompaniment ({band}); the residual is the voice."
        tags = ["inverted_target"]
        spans = []
    else:
        t, r, srcs = voice, acc, vmeta + ameta
        prompt = pick("vocal")
        notes = f"Voice (speech standing in for a vocal) over a {plan['style']} accompaniment ({band}). Target: voice."
        tags = []
        spans = make_spans(t, rng) if with_spans else []
        if spans:
            notes += " Spans (correct): include = voice, exclude = music only."
    notes += (
        f" Vocal level {level:+.1f} dB re. accompaniment (active-frame RMS of voice vs RMS of music)." + notes_extra
    )
    return prompt, spans, t, r, srcs, notes, tags


def noise_bed(split, name, rng, n, exclude_voice=""):
    """(audio RMS 0.1, sources meta, description) of a named noise."""
    seed = SEED_BASE[split] + int(rng.integers(1 << 24))
    nrng = np.random.default_rng(seed)
    if name == "babble":
        x, metas, desc = babble(split, rng, n, exclude=exclude_voice)
        return x, metas, desc
    if name == "hum_hiss":
        h, dh = noise.make("hum", nrng, n)
        w, dw = noise.make("white", nrng, n)
        mix = h + w * 10 ** (rng.uniform(-12, -4) / 20)
        return (
            normalise(mix),
            [
                {"stem": "residual", "kind": "noise", "type": dh, "seed": seed},
                {"stem": "residual", "kind": "noise", "type": dw, "seed": seed},
            ],
            "hum plus hiss",
        )
    if name in ("street",):
        x, d = noise.make("traffic", nrng, n)
        rec = "scratch_carpassing" if split == "heldout" else "opensfx_27"
        y, spec = ev.background(get(rec), rng, n)
        return (
            normalise(x + y * 10 ** (rng.uniform(-3, 1) / 20)),
            [
                {"stem": "residual", "kind": "noise", "type": d, "seed": seed},
                {
                    "stem": "residual",
                    "kind": "recording",
                    "role": "background",
                    "package": get(rec).package,
                    "file": spec,
                    "license": get(rec).licence,
                },
            ],
            "street: traffic rumble and a passing vehicle recording",
        )
    if name.startswith("rec:"):
        s = get(name[4:])
        y, spec = ev.background(s, rng, n)
        return (
            y,
            [
                {
                    "stem": "residual",
                    "kind": "recording",
                    "role": "background",
                    "package": s.package,
                    "file": spec,
                    "license": s.licence,
                }
            ],
            f"recording: {s.label} (looped with cross-fades)",
        )
    x, d = noise.make(name, nrng, n)
    return x, [{"stem": "residual", "kind": "noise", "type": d, "seed": seed}], d


def build_speech(split, plan, rng, n, with_spans, pick):
    src = get(plan["voice"])
    if plan.get("other"):
        osrc = get(plan["other"])
        a = np.zeros(n, np.float32)
        b = np.zeros(n, np.float32)
        metas = []
        pos = int(rng.uniform(0.2, 0.5) * SR)
        turn = 0
        ta = sentences_for(split, src, rng, 8)
        tb = [x for x in sentences_for(split, osrc, rng, 8) if x not in ta[:3]]
        texts = {0: ta, 1: tb}
        fa, fb = voice_f0(src, rng), voice_f0(osrc, rng)
        while pos < n - int(1.0 * SR) and turn < 5:
            who = turn % 2
            s, f0 = (src, fa) if who == 0 else (osrc, fb)
            x, meta = tts(s, texts[who][turn // 2], rng, None, f0)
            if pos + len(x) > n - int(0.2 * SR):
                x = fade(x[: n - int(0.2 * SR) - pos], 0.0, 0.1)
                meta["note"] = "cut at the end of the clip"
            (a if who == 0 else b)[pos : pos + len(x)] += x
            metas.append(
                {
                    "stem": "target" if who == 0 else "residual",
                    **meta,
                    "role": "target speaker (A)" if who == 0 else "interfering speaker (B)",
                }
            )
            pos += len(x) - int(rng.uniform(-0.1, 0.35) * SR)  # a short overlap or a short gap
            turn += 1
        b = scale_to(b, a, float(rng.uniform(-2, 2)), x_level=active_rms(b), ref_level=active_rms(a))
        bed, bmeta, bdesc = noise_bed(split, plan["noise"], rng, n)
        bg_db = float(rng.uniform(12, 18))
        bed = scale_to(bed, a + b, -bg_db)
        spans = make_spans(a, rng, b, max_include=2, max_exclude=2)
        if not any(s["include"] for s in spans) or all(s["include"] for s in spans):
            raise RuntimeError("spans_required speech case without both span kinds")
        prompt = pick("speech_marked")
        notes = (
            f"Two voices take turns with short overlaps: A = {src.label} (target), B = {osrc.label}; B at "
            f"{20 * np.log10(active_rms(b) / active_rms(a)):+.1f} dB re. A; background ({bdesc}) {bg_db:.1f} dB "
            f"below the voices. The prompt alone is ambiguous: include spans mark A-only stretches, exclude "
            f"spans B-only stretches."
        )
        return prompt, spans, a, b + bed, metas + bmeta, notes, ["spans_required"]
    voice, vmeta, _ = speech_track(split, src, rng, n, stem="target")
    bed, bmeta, bdesc = noise_bed(split, plan["noise"], rng, n, exclude_voice=src.id)
    snr = float(rng.uniform(0.0, 5.0))
    bed = scale_to(bed, voice, -snr)
    key = plan["noise"][4:] if plan["noise"].startswith("rec:") else plan["noise"]
    prompt = pick("speech", noise=_pick(rng, NOISE_NAMES[key]))
    spans = make_spans(voice, rng) if with_spans else []
    notes = f"{src.label} over {bdesc}. SNR {snr:+.1f} dB (speech power / noise power over the whole clip)."
    if spans:
        notes += " Spans (correct): include = speech, exclude = pauses with noise only."
    return prompt, spans, voice, bed, vmeta + bmeta, notes, []


def event_background(split, name, rng, n):
    if name == "music":
        style = str(rng.choice(["pop", "ballad", "bossa", "funk", "waltz"]))
        acc, meta, _, roles = accompaniment(split, rng, style, n, parts_prob=0.4)
        return acc, meta, f"background music ({style}: {', '.join(r['name'] for r in roles.values())})"
    if name == "speech":
        voices = [v for v in BABBLE_VOICES[split]]
        s = get(str(rng.choice(voices)))
        x, meta, _ = speech_track(
            split, s, rng, n, start_s=float(rng.uniform(0.0, 0.3)), stem="residual", end_margin_s=0.05
        )
        for m in meta:
            m["stem"] = "residual"
        nseed = SEED_BASE[split] + int(rng.integers(1 << 24))
        w, d = noise.make("pink", np.random.default_rng(nseed), n)
        w = scale_to(w, x, -30.0, ref_level=active_rms(x))
        return (
            x + w,
            meta + [{"stem": "residual", "kind": "noise", "type": d + " floor, -30 dB re. the voice", "seed": nseed}],
            f"a person talking ({s.label})",
        )
    if name == "crowd":
        x, metas, desc = babble(split, rng, n)
        rec = "scratch_partynoise" if split == "heldout" else "opensfx_29"
        y, spec = ev.background(get(rec), rng, n)
        g = 10 ** (rng.uniform(-6, 0) / 20)
        return (
            normalise(x + g * y),
            metas
            + [
                {
                    "stem": "residual",
                    "kind": "recording",
                    "role": "background",
                    "package": get(rec).package,
                    "file": spec,
                    "license": get(rec).licence,
                }
            ],
            f"a crowd ({desc}; {get(rec).label})",
        )
    if name == "wind":
        if split == "tune":
            x, meta, desc = noise_bed(split, "rec:opensfx_57", rng, n)
        else:
            x, meta, desc = noise_bed(split, "wind", rng, n)
        return x, meta, desc
    x, meta, desc = noise_bed(split, name, rng, n)
    return x, meta, desc


def build_event(split, plan, rng, n, with_spans, pick):
    s = get(plan["event"])
    dur = n / SR
    count = int(rng.integers(2, 4))
    occ, specs = [], []
    for _ in range(count):
        x, spec = ev.occurrence(s, rng, max_s=2.2)
        occ.append(x)
        specs.append(spec)
    # onsets: spread over the clip with gaps
    total = sum(len(x) for x in occ) / SR
    slack = dur - 0.8 - total
    if slack < 0.6 * count:
        occ, specs = occ[:2], specs[:2]
        total = sum(len(x) for x in occ) / SR
        slack = max(0.3, dur - 0.8 - total)
    cuts = np.sort(rng.uniform(0, 1, len(occ) + 1))
    gaps = np.diff(np.concatenate([[0], cuts])) / cuts[-1] * slack
    event = np.zeros(n, np.float32)
    onsets, t = [], 0.4
    for x, gap in zip(occ, gaps, strict=False):
        t += gap * 0.95
        event += place(x, n, int(t * SR))
        onsets.append(round(float(t), 2))
        t += len(x) / SR
    bg, bmeta, bdesc = event_background(split, plan["bg"], rng, n)
    ratio = float(rng.uniform(-1.0, 5.0))
    event = event_ratio_scale(event, bg, ratio)
    names = SPECIFIC_EVENT_NAMES.get(s.id) or EVENT_NAMES.get(s.concepts[0]) or [s.label]
    ename = _pick(rng, names)
    bname = _pick(rng, BG_NAMES.get(plan["bg"], ["background"]))
    emeta = {
        "stem": "target",
        "kind": "recording",
        "role": "event",
        "times_s": onsets,
        "package": s.package,
        "file": sorted(set(specs)) if len(set(specs)) > 1 else specs[0],
        "license": s.licence,
        "label": s.label,
    }
    inverted = bool(plan.get("inverted"))
    if inverted:
        emeta["stem"] = "residual"
        for m in bmeta:
            m["stem"] = "target"
        prompt = pick("event_inverted", event=ename)
        notes = (
            f"Inverted prompt: the target is everything but the {s.label} ({bdesc}); the residual is the "
            f"{s.label} at {onsets} s."
        )
        return (
            prompt,
            [],
            bg,
            event,
            bmeta + [emeta],
            notes + f" Event-to-background ratio {ratio:+.1f} dB.",
            ["inverted_target"],
        )
    for m in bmeta:
        m["stem"] = "residual"
    prompt = pick("event", event=ename, bg=bname)
    spans = make_spans(event, rng, max_include=3, max_exclude=2) if with_spans else []
    notes = (
        f"Real recording: {s.label} ({s.package}) over {bdesc}. Event-to-background ratio {ratio:+.1f} dB "
        f"(computed over the event's active samples). Event onsets at {onsets} s."
    )
    if s.extra.get("knock"):
        notes += " Knock patterns are sequences of single recorded hits."
    if spans:
        notes += " Spans (correct): include = event, exclude = background only."
    return prompt, spans, event, bg, [emeta] + bmeta, notes, []


BUILDERS = {
    "music_instrument": build_music,
    "vocal_over_music": build_vocal,
    "speech_in_noise": build_speech,
    "sound_event": build_event,
}


def generate(
    split: str, out_dir: Path, seed: int | None = None, only: list[str] | None = None, log=print
) -> list[dict]:
    if split not in PLANS:
        raise SystemExit(f"split must be one of {sorted(PLANS)} (train has no corpus)")
    seed = DEFAULT_SEED[split] if seed is None else seed
    # Another draw's cases are named apart (tu27183_mus_01), so that corpora of one split can be pooled.
    prefix = PREFIX[split] if seed == DEFAULT_SEED[split] else f"{PREFIX[split]}{seed}"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    metas = []
    for ci, cat in enumerate(CATEGORIES):
        pick = PromptPicker(split, np.random.default_rng([seed, ci, 999]))
        for i, plan in enumerate(PLANS[split][cat]):
            cid = f"{prefix}_{CAT_SHORT[cat]}_{i + 1:02d}"
            rng = np.random.default_rng([seed, ci, i])
            n = int(float(rng.choice(DURATIONS)) * SR)
            with_spans = i % 2 == 0
            prompt_state = {k: list(v) for k, v in pick.queues.items()}
            if only and cid not in only:
                # keep prompt draws identical to a full run
                BUILD_PROMPT_ONLY[cat](plan, pick, rng)
                continue
            for attempt in range(4):
                try:
                    prompt, spans, t, r, srcs, notes, tags = BUILDERS[cat](split, plan, rng, n, with_spans, pick)
                    break
                except RuntimeError as e:  # e.g. a span-required case whose render gave no clean stretch
                    log(f"  {cid}: retry ({e})")
                    pick.queues = {k: list(v) for k, v in prompt_state.items()}
                    rng = np.random.default_rng([seed, ci, i, attempt + 1])
            else:
                raise RuntimeError(f"{cid}: could not build")
            meta = write_case(out_dir, cid, cat, prompt, spans, t, r, srcs, notes, tags)
            metas.append(meta)
            log(f"{cid}  {cat:17s} {meta['duration']:.1f}s  spans={len(spans)}  tags={tags}  {prompt!r}")
    return metas


def _prompt_only(kind_of):
    def f(plan, pick, rng):
        kind, slots = kind_of(plan)
        pick(kind, **slots)

    return f


BUILD_PROMPT_ONLY = {
    "music_instrument": _prompt_only(
        lambda p: ("music_marked", {"fam": ""}) if "marked" in p else ("music", {"inst": ""})
    ),
    "vocal_over_music": _prompt_only(
        lambda p: ("music_removed" if p.get("keep_noise") else "vocal_inverted" if p.get("inverted") else "vocal", {})
    ),
    "speech_in_noise": _prompt_only(lambda p: ("speech_marked", {}) if p.get("other") else ("speech", {"noise": ""})),
    "sound_event": _prompt_only(
        lambda p: ("event_inverted", {"event": ""}) if p.get("inverted") else ("event", {"event": "", "bg": ""})
    ),
}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("split", choices=sorted(PLANS))
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=None, help="default: a fixed seed per split")
    ap.add_argument("--only", nargs="*", help="regenerate only these case ids")
    a = ap.parse_args(argv)
    for s in sources(a.split):
        assert s.split == a.split
    metas = generate(a.split, Path(a.out_dir), a.seed, a.only)
    counts: dict[str, int] = {}
    for m in metas:
        counts[m["category"]] = counts.get(m["category"], 0) + 1
    print(json.dumps(counts), file=sys.stderr)


if __name__ == "__main__":
    main()
