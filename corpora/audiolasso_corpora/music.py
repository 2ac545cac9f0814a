"""Generated songs rendered part by part.

``make_song(rng, style, ...)`` writes a short multi-part arrangement (drums, bass, chords, melody, pad, and
optionally a call/response pair of melodic parts that alternate by bar) as note lists. ``render_part`` turns one
part's notes into audio with one instrument *source* from the registry:

* ``fluidsynth`` soundfonts (GM program, drums on channel 10 or, for single-kit soundfonts, channel 1);
* ``timidity`` with FreePats (only the programs and drum notes FreePats defines, so nothing falls back to
  another bank);
* ``hydrogen`` sampled drum kits (our own sampler: GM drum note -> kit instrument by name, velocity layers);
* numpy ``synthesis`` methods (``synth.py``).

All renders are dry (no reverb/chorus), mono float32 at ``rate``.
"""

from __future__ import annotations

import functools
import re
import struct
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np

from . import synth
from .audio import SR, load_file
from .sources import Source

Note = tuple  # (start_s, dur_s, pitch, velocity)

MODES = {
    "major": [0, 2, 4, 5, 7, 9, 11],
    "minor": [0, 2, 3, 5, 7, 8, 10],
    "dorian": [0, 2, 3, 5, 7, 9, 10],
    "mixolydian": [0, 2, 4, 5, 7, 9, 10],
}
PROGRESSIONS = {
    "major": [[0, 4, 5, 3], [0, 3, 4, 3], [5, 3, 0, 4], [0, 5, 3, 4], [1, 4, 0, 5], [0, 3, 0, 4]],
    "minor": [[0, 5, 2, 6], [0, 3, 4, 0], [0, 6, 5, 6], [0, 3, 6, 2], [0, 5, 3, 4]],
    "dorian": [[0, 3, 0, 3], [0, 6, 3, 0], [0, 3, 6, 3]],
    "mixolydian": [[0, 6, 3, 0], [0, 3, 6, 0]],
}
# style: beats per bar, tempo range, swing, which modes
STYLES = {
    "pop": (4, (88, 112), 0.0, ("major", "minor")),
    "rock": (4, (112, 140), 0.0, ("minor", "mixolydian", "major")),
    "funk": (4, (92, 110), 0.0, ("dorian", "mixolydian")),
    "ballad": (4, (66, 84), 0.0, ("major", "minor")),
    "waltz": (3, (84, 112), 0.0, ("major", "minor")),
    "bossa": (4, (118, 138), 0.0, ("major", "dorian")),
    "shuffle": (4, (100, 128), 0.33, ("mixolydian", "major")),
    "electro": (4, (116, 128), 0.0, ("minor", "dorian")),
    "folk": (4, (104, 126), 0.0, ("major", "mixolydian")),
}
GM_DRUM = {
    "kick": 36,
    "snare": 38,
    "rim": 37,
    "clap": 39,
    "hh": 42,
    "hh_pedal": 44,
    "hh_open": 46,
    "tom_lo": 45,
    "tom_mid": 47,
    "tom_hi": 50,
    "crash": 49,
    "ride": 51,
    "cowbell": 56,
    "shaker": 70,
}


@dataclass
class Song:
    seed: int
    style: str
    tempo: float
    key_pc: int
    mode: str
    beats_per_bar: int
    bars: int
    swing: float
    chords: list[list[int]]  # per bar: chord pitch classes as scale-degree-built midi offsets
    parts: dict[str, list[Note]] = field(default_factory=dict)

    @property
    def beat_s(self) -> float:
        return 60.0 / self.tempo

    @property
    def bar_s(self) -> float:
        return self.beat_s * self.beats_per_bar

    def describe(self) -> dict:
        return {
            "seed": self.seed,
            "style": self.style,
            "tempo_bpm": round(self.tempo, 1),
            "key_pc": self.key_pc,
            "mode": self.mode,
            "meter": f"{self.beats_per_bar}/4",
        }


def _chord(scale: list[int], degree: int, key: int, size: int = 3) -> list[int]:
    """Pitch classes (0-11, relative to C) of the diatonic chord on ``degree``."""
    return [(key + scale[(degree + 2 * i) % 7] + 12 * ((degree + 2 * i) // 7)) for i in range(size)]


def _swing(t_beats: float, swing: float) -> float:
    frac = t_beats % 1.0
    return t_beats + (swing / 2 if abs(frac - 0.5) < 1e-6 else 0.0)


def make_song(
    rng: np.random.Generator,
    style: str,
    duration_s: float,
    seed: int = 0,
    call_response: bool = False,
    phrase_bars: int = 1,
) -> Song:
    """A short arrangement of ``style`` long enough to cover ``duration_s``.

    Parts: ``drums``, ``bass``, ``chords`` (block chords, arpeggios or strums, by style), ``melody``, ``pad``.
    With ``call_response`` the melody is written into ``call`` (bars 1, 3, ...) and ``response`` (bars 2, 4, ...)
    instead, alternating every ``phrase_bars`` bars, with a short rest between phrases.
    """
    bpb, (t_lo, t_hi), swing, modes = STYLES[style]
    tempo = float(rng.uniform(t_lo, t_hi))
    mode = str(rng.choice(modes))
    key = int(rng.integers(0, 12))
    beat = 60.0 / tempo
    bars = int(np.ceil(duration_s / (beat * bpb))) + 1
    prog = PROGRESSIONS[mode][int(rng.integers(len(PROGRESSIONS[mode])))]
    scale = MODES[mode]
    chords = [
        _chord(scale, prog[b % len(prog)], key, 4 if style in ("bossa", "shuffle", "funk") else 3) for b in range(bars)
    ]
    song = Song(seed, style, tempo, key, mode, bpb, bars, swing, chords)
    T = lambda b, x: (b * bpb + _swing(x, swing)) * beat  # noqa: E731  bar, beat-in-bar -> seconds

    def vel(base: int, spread: int = 10) -> int:
        return int(np.clip(base + rng.integers(-spread, spread + 1), 20, 127))

    # drums
    d: list[Note] = []
    for b in range(bars):
        fill = b % 4 == 3 and rng.random() < 0.5
        if style == "waltz":
            d += [(T(b, 0), 0.1, GM_DRUM["kick"], vel(96))]
            d += [(T(b, x), 0.1, GM_DRUM["hh_pedal" if rng.random() < 0.5 else "hh"], vel(70)) for x in (1, 2)]
            d += [(T(b, 2), 0.1, GM_DRUM["rim"], vel(60))]
        elif style == "bossa":
            for x in (0, 1.5, 2, 3.5):
                d.append((T(b, x), 0.1, GM_DRUM["kick"], vel(80)))
            for x in (0, 1.5, 3) if b % 2 == 0 else (1, 2.5):
                d.append((T(b, x), 0.1, GM_DRUM["rim"], vel(75)))
            d += [(T(b, x / 2), 0.05, GM_DRUM["hh"], vel(55)) for x in range(8)]
        elif style == "ballad":
            d += [(T(b, 0), 0.1, GM_DRUM["kick"], vel(85)), (T(b, 2), 0.1, GM_DRUM["snare"], vel(70))]
            d += [(T(b, x), 0.1, GM_DRUM["ride"] if rng.random() < 0.3 else GM_DRUM["hh"], vel(55)) for x in range(4)]
        elif style == "electro":
            d += [(T(b, x), 0.1, GM_DRUM["kick"], vel(110, 4)) for x in range(4)]
            d += [(T(b, x), 0.1, GM_DRUM["clap"], vel(95)) for x in (1, 3)]
            d += [(T(b, x + 0.5), 0.1, GM_DRUM["hh_open"], vel(70)) for x in range(4)]
            d += [(T(b, x / 4), 0.05, GM_DRUM["hh"], vel(50)) for x in range(16) if x % 2 == 1]
        else:  # pop, rock, funk, shuffle, folk
            sub = 4 if style == "funk" else 2
            kicks = {"pop": (0, 2.5), "rock": (0, 1.5, 2), "funk": (0, 0.75, 2.5), "shuffle": (0, 2), "folk": (0, 2)}[
                style
            ]
            d += [(T(b, x), 0.1, GM_DRUM["kick"], vel(100)) for x in kicks]
            d += [(T(b, x), 0.1, GM_DRUM["snare"], vel(100 if style == "rock" else 88)) for x in (1, 3)]
            cym = "ride" if style == "shuffle" else "hh"
            d += [(T(b, x / sub), 0.05, GM_DRUM[cym], vel(80 if x % sub == 0 else 58)) for x in range(4 * sub)]
            if b == 0 and style in ("rock", "pop"):
                d.append((T(b, 0), 0.5, GM_DRUM["crash"], vel(100)))
        if fill and style not in ("bossa", "waltz", "electro"):
            for i, tom in enumerate(("tom_hi", "tom_mid", "tom_lo")):
                d.append((T(b, 3 + i / 3), 0.1, GM_DRUM[tom], vel(95)))
    song.parts["drums"] = d

    # bass
    bass: list[Note] = []
    base = 36 if key < 5 else 24
    for b in range(bars):
        root = base + chords[b][0] % 12
        fifth = root + 7
        if style in ("rock", "electro"):
            xs = [x / 2 for x in range(bpb * 2)]
            bass += [
                (T(b, x), beat * 0.45, root + (12 if style == "electro" and i % 2 else 0), vel(95))
                for i, x in enumerate(xs)
                if not (style == "electro" and i % 2 == 0)
            ]
        elif style == "funk":
            for x in (0, 0.75, 1.5, 2.0, 2.75, 3.5):
                p = root + int(rng.choice([0, 0, 12, 7, 10]))
                bass.append((T(b, x), beat * 0.3, p, vel(100)))
        elif style == "shuffle":
            walk = [root, root + 4 if 4 in [(c - chords[b][0]) % 12 for c in chords[b]] else root + 3, fifth, root + 9]
            bass += [(T(b, x), beat * 0.9, p, vel(90)) for x, p in zip(range(4), walk, strict=False)]
        elif style == "waltz":
            bass.append((T(b, 0), beat * 0.9, root, vel(90)))
        elif style == "bossa":
            bass += [
                (T(b, 0), beat * 1.4, root, vel(90)),
                (T(b, 1.5), beat * 0.45, fifth, vel(80)),
                (T(b, 2), beat * 1.4, fifth - 12 if fifth - 12 >= 24 else fifth, vel(88)),
                (T(b, 3.5), beat * 0.45, root, vel(80)),
            ]
        elif style == "ballad":
            bass += [(T(b, 0), beat * 1.9, root, vel(80)), (T(b, 2), beat * 1.9, fifth, vel(75))]
        else:  # pop, folk
            bass += [
                (T(b, x), beat * 0.9, root if x % 2 == 0 else (fifth if rng.random() < 0.5 else root), vel(92))
                for x in range(bpb)
            ]
    song.parts["bass"] = bass

    # chords: voiced around middle C
    def voicing(b: int) -> list[int]:
        pcs = sorted({c % 12 for c in chords[b]})
        return sorted(52 + ((pc - 52) % 12) for pc in pcs)

    ch: list[Note] = []
    for b in range(bars):
        v = voicing(b)
        if style in ("ballad",):  # arpeggio in eighths
            pat = v + [v[-1] + 12 - 12 * (len(v) > 3)] + v[::-1]
            ch += [(T(b, x / 2), beat * 0.9, pat[x % len(pat)], vel(70)) for x in range(bpb * 2)]
        elif style == "waltz":
            ch += [(T(b, x), beat * 0.8, p, vel(70)) for x in (1, 2) for p in v]
        elif style in ("rock",):  # power chords / strums in eighths
            root = 40 + (chords[b][0] - 40) % 12
            ch += [
                (T(b, x / 2) + 0.008 * i, beat * 0.45, p, vel(90))
                for x in range(bpb * 2)
                for i, p in enumerate((root, root + 7, root + 12))
            ]
        elif style in ("folk",):  # strum down/up
            for x in (0, 1, 1.5, 2.5, 3, 3.5):
                up = (x % 1) > 0
                order = v[::-1] if up else v
                ch += [(T(b, x) + 0.012 * i, beat * 0.45, p, vel(72 if up else 88)) for i, p in enumerate(order)]
        elif style in ("funk",):
            ch += [(T(b, x), beat * 0.2, p, vel(85)) for x in (0.5, 1.25, 2.5, 3.25) for p in v]
        elif style == "bossa":
            ch += [(T(b, x), beat * 0.7, p, vel(70)) for x in ((0, 1.5, 3) if b % 2 == 0 else (0.5, 2)) for p in v]
        elif style == "electro":
            arp = v + [v[0] + 12]
            ch += [(T(b, x / 4), beat * 0.2, arp[x % len(arp)] + 12, vel(80)) for x in range(16)]
        else:  # pop, shuffle: quarter or half block chords
            step = 1 if rng.random() < 0.5 else 2
            ch += [(T(b, x), beat * step * 0.9, p, vel(78)) for x in range(0, bpb, step) for p in v]
    song.parts["chords"] = ch

    # pad: whole-bar chords an octave up
    song.parts["pad"] = [(T(b, 0), song.bar_s * 0.98, p + 12, vel(65, 5)) for b in range(bars) for p in voicing(b)]

    # melody: a random walk on the scale, chord tones on strong beats
    mel: list[Note] = []
    scale_pcs = [(key + s) % 12 for s in scale]
    lo, hi = 67, 84
    notes_pool = [p for p in range(lo, hi + 1) if p % 12 in scale_pcs]
    idx = len(notes_pool) // 2
    rhythms: list[list[float]] = [
        [1, 1, 1, 1],
        [1.5, 0.5, 1, 1],
        [0.5, 0.5, 1, 2],
        [2, 1, 1],
        [1, 0.5, 0.5, 2],
        [0.5] * 8,
    ]
    for b in range(bars):
        rhythm = list(rhythms[int(rng.integers(len(rhythms)))])
        if bpb == 3:
            rhythm = [1, 1, 1] if rng.random() < 0.5 else [2, 1]
        x = 0.0
        for j, r in enumerate(rhythm):
            if x >= bpb:
                break
            if j == len(rhythm) - 1 and rng.random() < 0.25:
                x += r  # a breath
                continue
            idx = int(np.clip(idx + rng.integers(-2, 3), 0, len(notes_pool) - 1))
            p = notes_pool[idx]
            if x == 0:  # strong beat: nearest chord tone
                tones = [q for q in notes_pool if q % 12 in {c % 12 for c in chords[b]}]
                p = min(tones, key=lambda q: abs(q - p))
                idx = notes_pool.index(p)
            mel.append((T(b, x), beat * r * 0.92, p, vel(92)))
            x += r
    if call_response:
        call: list[Note] = []
        resp: list[Note] = []
        for n in mel:
            b = int(n[0] // song.bar_s + 1e-9)
            in_bar = n[0] - b * song.bar_s
            if in_bar + n[1] > song.bar_s * 0.97:  # leave a gap at the end of each phrase
                n = (n[0], max(0.05, song.bar_s * 0.97 - in_bar), n[2], n[3])
            (call if (b // phrase_bars) % 2 == 0 else resp).append(n)
        song.parts["call"], song.parts["response"] = call, resp
    else:
        song.parts["melody"] = mel
    return song


def part_pitch_shift(notes: list[Note], semitones: int) -> list[Note]:
    return [(s, d, int(p + semitones), v) for s, d, p, v in notes]


# --------------------------------------------------------------------------------------------------
# MIDI + external renderers
# --------------------------------------------------------------------------------------------------
TICKS_PER_QUARTER = 480
TICKS_PER_SECOND = 960  # default tempo 120 bpm


def varlen(n: int) -> bytes:
    """A MIDI variable-length quantity."""
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    return bytes(reversed(out))


def midi_bytes(notes: list[Note], program: int | None, channel: int, bank: int | None = None) -> bytes:
    """A format-0 Standard MIDI File of ``notes`` on ``channel`` with ``program`` (None: none sent),
    after a bank select when ``bank`` is given."""
    events: list[tuple[int, int, bytes]] = []
    if bank is not None:
        events += [(0, 0, bytes([0xB0 | channel, 0, bank & 0x7F])), (0, 0, bytes([0xB0 | channel, 32, 0]))]
    if program is not None:
        events.append((0, 0, bytes([0xC0 | channel, program & 0x7F])))
    events.append((0, 0, bytes([0xB0 | channel, 7, 110])))
    for s, d, p, v in notes:
        on, off = int(round(s * TICKS_PER_SECOND)), int(round((s + d) * TICKS_PER_SECOND))
        events.append((on, 2, bytes([0x90 | channel, int(p) & 0x7F, int(v) & 0x7F])))
        events.append((max(off, on + 1), 1, bytes([0x80 | channel, int(p) & 0x7F, 0])))
    events.sort(key=lambda e: (e[0], e[1]))
    data = bytearray()
    now = 0
    for tick, _, msg in events:
        data += varlen(tick - now) + msg
        now = tick
    data += varlen(TICKS_PER_SECOND) + bytes([0xFF, 0x2F, 0])
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_QUARTER)
    return header + b"MTrk" + struct.pack(">I", len(data)) + bytes(data)


def _abs(path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else Path("/usr/share") / p


@functools.lru_cache(maxsize=4)
def freepats_map(cfg: str = "/etc/timidity/freepats.cfg") -> tuple[frozenset, frozenset]:
    """(programs, drum notes) that FreePats defines in bank 0 / drumset 0."""
    progs: set[int] = set()
    drums: set[int] = set()
    section: str | None = None
    for line in Path(cfg).read_text().splitlines():
        s = line.split("#")[0].strip()
        if s.startswith("drumset"):
            section = "drums"
        elif s.startswith("bank"):
            section = "bank"
        elif s and s.split()[0].isdigit() and section:
            (drums if section == "drums" else progs).add(int(s.split()[0]))
    return frozenset(progs), frozenset(drums)


def _run_synth(cmd: list[str], wav: Path) -> np.ndarray:
    subprocess.run(cmd, check=True, capture_output=True)
    return load_file(wav)


def render_midi(
    source: Source,
    notes: list[Note],
    program: int | None,
    drums: bool,
    duration_s: float,
    rate: int = SR,
    bank: int | None = None,
) -> np.ndarray:
    """Render with a soundfont (fluidsynth) or FreePats (timidity). With ``drums``: the default kit,
    or with ``bank`` (a soundfont's drum bank), the kit ``program`` of it."""
    engine = source.extra.get("engine")
    single_kit = source.concepts == ("drums",)
    channel = 9 if drums and not single_kit else 0
    if engine == "timidity":
        progs, dnotes = freepats_map(source.path)
        if drums:
            notes = [n for n in notes if n[2] in dnotes]
        elif program not in progs:
            raise ValueError(f"FreePats has no program {program}")
    with tempfile.TemporaryDirectory() as tmp:
        mid, wav = Path(tmp) / "p.mid", Path(tmp) / "p.wav"
        mid.write_bytes(midi_bytes(notes, None if drums and bank is None else program, channel, bank))
        if engine == "fluidsynth":
            cmd = [
                "fluidsynth",
                "-ni",
                "-q",
                "-R",
                "0",
                "-C",
                "0",
                "-O",
                "float",
                "-g",
                "0.6",
                "-r",
                str(rate),
                "-F",
                str(wav),
                str(_abs(source.path)),
                str(mid),
            ]
        elif engine == "timidity":
            cmd = [
                "timidity",
                "-c",
                source.path,
                "-Ow",
                "--output-mono",
                "--output-24bit",
                "--preserve-silence",
                "--noise-shaping=0",
                "-s",
                str(rate),
                "-EFreverb=0",
                "-EFchorus=0",
                "-EFdelay=0",
                "-o",
                str(wav),
                str(mid),
            ]
        else:
            raise ValueError(f"{source.id}: not a MIDI source")
        x = _run_synth(cmd, wav)
    n = int(duration_s * rate)
    return np.pad(x, (0, max(0, n - len(x))))[:n].astype(np.float32)


# --------------------------------------------------------------------------------------------------
# Hydrogen kits: a small sampler
# --------------------------------------------------------------------------------------------------
_H2_ROLES = [  # (GM note, keywords in the kit instrument name, in order of preference)
    (36, ("kick", "bassdrum", "bass drum", "bd")),
    (38, ("snare rock", "snare", "sd")),
    (37, ("side stick", "stick", "rim")),
    (39, ("clap",)),
    (42, ("closed", "hat closed", "hh")),
    (44, ("pedal",)),
    (46, ("open",)),
    (45, ("tom low", "floor", "tom 2", "low")),
    (47, ("tom mid", "tom 1", "mid")),
    (50, ("tom hi", "tom 1", "hi")),
    (49, ("crash",)),
    (51, ("ride",)),
    (56, ("cowbell",)),
    (70, ("maraca", "shaker")),
]


@functools.lru_cache(maxsize=8)
def hydrogen_kit(kit_dir: str, rate: int = SR) -> dict[int, list[np.ndarray]]:
    """GM drum note -> velocity layers (soft to hard) of a Hydrogen kit directory."""
    root = ET.parse(Path(kit_dir) / "drumkit.xml").getroot()
    m = re.match(r"\{.*\}", root.tag)
    ns = m.group(0) if m else ""
    inst: list[tuple[str, list[str]]] = []
    for el in root.iter(ns + "instrument"):
        name = (el.findtext(ns + "name") or "").lower()
        layers = [
            (float(layer.findtext(ns + "min") or 0), layer.findtext(ns + "filename")) for layer in el.iter(ns + "layer")
        ]
        candidates = [f for _, f in sorted(layers)] or [el.findtext(ns + "filename")]
        files = [f for f in candidates if f and (Path(kit_dir) / f).is_file()]
        if name and files:
            inst.append((name, files))
    out: dict[int, list[np.ndarray]] = {}
    used: set[str] = set()
    for note, keys in _H2_ROLES:
        for key in keys:
            hit = next((i for i in inst if key in i[0] and i[0] not in used), None)
            if hit:
                used.add(hit[0])
                out[note] = [load_file(Path(kit_dir) / f, rate) for f in hit[1]]
                break
    return out


def render_hydrogen(
    source: Source, notes: list[Note], rng: np.random.Generator, duration_s: float, rate: int = SR
) -> np.ndarray:
    kit = hydrogen_kit(source.path, rate)
    n = int(duration_s * rate)
    out = np.zeros(n + rate * 2, np.float32)
    fallback = {44: 42, 46: 42, 37: 38, 39: 38, 45: 47, 50: 47, 51: 42, 56: 37, 70: 42}
    for s, _, p, v in notes:
        note = p if p in kit else fallback.get(p)
        if note not in kit:
            continue
        layers = kit[note]
        li = min(len(layers) - 1, int(v / 128 * len(layers)))
        smp = layers[li] * (0.3 + 0.7 * v / 127)
        at = int(s * rate)
        if at >= n:
            continue
        end = min(len(out), at + len(smp))
        out[at:end] += smp[: end - at]
    return out[:n]


def render_part(
    source: Source,
    notes: list[Note],
    rng: np.random.Generator,
    duration_s: float,
    *,
    program: int | None = None,
    family: str | None = None,
    drums: bool = False,
    rate: int = SR,
) -> np.ndarray:
    """Audio of one part: ``source`` is a registry entry of kind soundfont / sample_kit / synthesis."""
    if source.kind == "synthesis":
        method = source.path.split(":")[-1]
        # a synthesis part always names its family (synth.patch rejects any it does not play)
        return synth.render(method, cast(str, family), notes, rng, duration_s, rate)
    if source.kind == "sample_kit":
        return render_hydrogen(source, notes, rng, duration_s, rate)
    return render_midi(source, notes, program, drums, duration_s, rate)


GM_NAMES = {
    0: "Acoustic Grand Piano",
    1: "Bright Acoustic Piano",
    2: "Electric Grand Piano",
    4: "Electric Piano 1",
    5: "Electric Piano 2",
    6: "Harpsichord",
    7: "Clavinet",
    11: "Vibraphone",
    12: "Marimba",
    16: "Drawbar Organ",
    17: "Percussive Organ",
    18: "Rock Organ",
    19: "Church Organ",
    21: "Accordion",
    24: "Acoustic Guitar (nylon)",
    25: "Acoustic Guitar (steel)",
    26: "Electric Guitar (jazz)",
    27: "Electric Guitar (clean)",
    28: "Electric Guitar (muted)",
    29: "Overdriven Guitar",
    30: "Distortion Guitar",
    32: "Acoustic Bass",
    33: "Electric Bass (finger)",
    34: "Electric Bass (pick)",
    35: "Fretless Bass",
    36: "Slap Bass 1",
    38: "Synth Bass 1",
    39: "Synth Bass 2",
    40: "Violin",
    41: "Viola",
    42: "Cello",
    44: "Tremolo Strings",
    45: "Pizzicato Strings",
    46: "Orchestral Harp",
    48: "String Ensemble 1",
    49: "String Ensemble 2",
    50: "Synth Strings 1",
    56: "Trumpet",
    57: "Trombone",
    58: "Tuba",
    59: "Muted Trumpet",
    60: "French Horn",
    61: "Brass Section",
    62: "Synth Brass 1",
    64: "Soprano Sax",
    65: "Alto Sax",
    66: "Tenor Sax",
    67: "Baritone Sax",
    68: "Oboe",
    69: "English Horn",
    70: "Bassoon",
    71: "Clarinet",
    72: "Piccolo",
    73: "Flute",
    74: "Recorder",
    75: "Pan Flute",
    80: "Lead 1 (square)",
    81: "Lead 2 (sawtooth)",
    88: "Pad 1 (new age)",
    89: "Pad 2 (warm)",
    94: "Pad 7 (halo)",
    95: "Pad 8 (sweep)",
}
