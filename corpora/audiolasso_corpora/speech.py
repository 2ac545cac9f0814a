"""Speech from the registry's voices: festival, flite, espeak-ng (train only) and recorded prompts (asterisk).

``speak(source, text, rng, ...)`` -> (mono float32 at ``rate``, metadata dict for ``case.json``).
Sentences live in ``SENTENCES[split][lang]``; the pools of different splits share no sentence.
"""

from __future__ import annotations

import glob
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .audio import SR, load_file, trim_silence
from .sources import Source

ENCODINGS = {"cs": "iso-8859-2", "fi": "iso-8859-1", "it": "iso-8859-1", "ca": "iso-8859-1", "en": "ascii"}

SENTENCES = {
    "heldout": {
        "en": [
            "The night bus to the airport stops outside the library every forty minutes.",
            "My grandmother still keeps her recipes in a shoebox under the stairs.",
            "If the bridge is closed again, we will take the long road through the valley.",
            "Somebody painted the garden fence bright orange while we were away.",
            "The museum opens an hour later on the first Sunday of the month.",
            "He counted the coins twice and still came up three short.",
            "Please leave the spare keys with the neighbour across the hall.",
            "The orchestra rehearsed the second movement until well after midnight.",
            "Our flight was delayed because of fog over the northern coast.",
            "She planted tomatoes, beans and a row of sunflowers along the wall.",
            "The lift is out of order, so use the stairs at the end of the corridor.",
            "We found an old map of the harbour folded inside a library book.",
            "Turn left after the bakery and look for the green door with a brass knocker.",
            "The football match was cancelled after the pitch flooded overnight.",
            "Remember to switch off the heater before you lock up the studio.",
            "A family of foxes has been living under the garden shed since spring.",
            "The price of train tickets goes up again at the start of next year.",
            "They spent the whole afternoon repairing the roof of the boathouse.",
            "I left my umbrella on the tram, so I walked home in the rain.",
            "The committee will announce the winners of the poetry prize on Friday.",
            "Could you pick up some milk and a loaf of bread on your way back?",
            "The lighthouse keeper wrote a letter every week to his sister in the city.",
            "Our new kitten sleeps all day and races around the flat all night.",
            "The road to the village is narrow, so drive slowly around the bends.",
            "We ordered soup, two salads and a large pot of mint tea.",
            "The power went out just as the film was reaching its final scene.",
            "Every autumn the swallows gather on the wires before flying south.",
            "The mechanic said the brakes should be checked before the long trip.",
            "Let us meet at the fountain in the square at a quarter past nine.",
            "The old clock in the hallway gains five minutes every single day.",
            "Nobody noticed that the cake had been left in the oven far too long.",
            "The students built a weather station on the roof of the school.",
        ],
        "short_en": [
            "Thanks a lot.",
            "I will call you later.",
            "That sounds perfect.",
            "Not today, sorry.",
            "Let me check.",
            "See you on Monday.",
        ],
        "cs": [
            "Zítra ráno pojedeme vlakem do Brna.",
            "V neděli bude na náměstí velký trh.",
            "Moje sestra pracuje v nemocnici na druhém konci města.",
            "Prosím, zavřete za sebou dveře.",
            "Na podzim často prší a fouká studený vítr.",
        ],
        "fi": [
            "Huomenna aamulla lähdemme junalla Tampereelle.",
            "Kaupan edessä on iso punainen polkupyörä.",
            "Kesällä uimme joka päivä järvessä.",
            "Voisitko tuoda minulle lasillisen vettä?",
            "Kirjasto on auki iltaan asti.",
        ],
        "ca": [
            "Demà al matí anirem al mercat amb la meva germana.",
            "El tren de Girona arriba amb deu minuts de retard.",
            "A l'estiu sopem sempre a la terrassa.",
            "Pots tancar la finestra, si us plau?",
        ],
    },
    "tune": {
        "en": [
            "The ferry across the lake only runs twice a day in winter.",
            "I think the parcel was delivered to the wrong house again.",
            "We should repaint the kitchen before your parents come to visit.",
            "The baker on the corner sells out of rye bread by ten o'clock.",
            "Our team finished the project three days ahead of schedule.",
            "The path through the forest is muddy after last night's storm.",
            "My brother collects old radios and repairs them in the garage.",
            "The concert in the park has been moved to the town hall.",
            "Please write your name and address at the top of the form.",
            "The farmer drove his tractor slowly along the narrow lane.",
            "We watched the fishing boats come back into the harbour at dusk.",
            "The new bicycle lane makes it much safer to ride into town.",
            "After dinner we played cards until the candles burned out.",
            "The hotel receptionist gave us a map and a list of restaurants.",
            "A strong wind blew the washing off the line and into the hedge.",
            "The library is collecting old books for the school in the village.",
            "The chess club meets on Thursday evenings above the post office.",
            "She tuned the old piano herself with a borrowed set of tools.",
            "The bus driver waited while the children climbed aboard.",
            "We need two more chairs for the guests who arrive tonight.",
        ],
        "short_en": ["Good idea.", "Maybe next week.", "Just a moment, please.", "Sounds fine to me."],
        "cs": [
            "Dnes večer budeme vařit polévku.",
            "Autobus do centra jezdí každých deset minut.",
            "Na zahradě rostou jablka a hrušky.",
            "Kde je nejbližší pošta?",
        ],
        "it": [
            "Domenica andiamo al lago con gli amici.",
            "Il negozio di fiori apre alle otto.",
            "Mia madre prepara una torta per il compleanno.",
            "Scusi, dove si trova la stazione?",
        ],
    },
}

# Asterisk prompts (heldout, real speech): file stems with long sentences; the text is the prompt's name.
ASTERISK_PROMPTS = [
    "vm-intro",
    "demo-echotest",
    "demo-abouttotry",
    "demo-moreinfo",
    "vm-msginstruct",
    "dir-intro",
    "vm-review",
    "vm-instructions",
    "queue-periodic-announce",
    "tt-allbusy",
    "vm-newuser",
    "dir-usingkeypad",
    "vm-invalid-password",
    "demo-thanks",
    "vm-rec-temp",
    "queue-youarenext",
    "vm-nobox",
    "agent-incorrect",
    "pbx-invalidpark",
    "ss-noservice",
    "vm-mismatch",
    "auth-incorrect",
    "unidentified-no-callback",
    "privacy-unident",
    "pbx-invalid",
    "vm-rec-name",
    "vm-forward",
    "vm-rec-busy",
    "vm-rec-unv",
    "vm-tmpexists",
]


def _festival(voice: str, text: str, lang: str, stretch: float, f0: tuple[float, float] | None) -> np.ndarray:
    enc = ENCODINGS.get(lang, "utf-8")
    safe = text.replace("\\", " ").replace('"', "'")
    lines = [f"({voice})", f"(Parameter.set 'Duration_Stretch {stretch:.3f})"]
    if f0 is not None:
        lines.append(
            f"(if (boundp 'int_lr_params) (set! int_lr_params (list (list 'target_f0_mean {f0[0]:.1f}) "
            f"(list 'target_f0_std {f0[1]:.1f}) (list 'model_f0_mean 170) (list 'model_f0_std 34))))"
        )
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "s.wav"
        lines += [f'(set! utt1 (Utterance Text "{safe}"))', "(utt.synth utt1)", f'(utt.save.wave utt1 "{wav}" \'riff)']
        scm = Path(tmp) / "s.scm"
        scm.write_bytes("\n".join(lines).encode(enc, errors="replace"))
        subprocess.run(["festival", "-b", str(scm)], check=True, capture_output=True, timeout=120)
        return load_file(wav)


def _flite(voice: str, text: str, stretch: float, f0_mean: float | None) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "s.wav"
        cmd = ["flite", "-voice", voice, "--setf", f"duration_stretch={stretch:.3f}"]
        if f0_mean is not None:
            cmd += ["--setf", f"int_f0_target_mean={f0_mean:.1f}"]
        subprocess.run(cmd + ["-t", text, "-o", str(wav)], check=True, capture_output=True, timeout=60)
        return load_file(wav)


def _espeak(voice: str, text: str, pitch: int, speed: int) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "s.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed), "-w", str(wav), text],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return load_file(wav)


def asterisk_files(source: Source) -> dict[str, Path]:
    base = Path("/usr/share") / source.path
    return {Path(p).stem: Path(p) for p in sorted(glob.glob(str(base)))}


def speak(
    source: Source,
    text: str,
    rng: np.random.Generator,
    *,
    stretch: float | None = None,
    f0: tuple[float, float] | None = None,
    rate: int = SR,
    voice: str | None = None,
) -> tuple[np.ndarray, dict]:
    """Speech of ``text`` by the registry voice ``source`` (trimmed, at ``rate``) and what to record about it.

    ``stretch``: duration stretch (>1 slower); ``f0``: (mean, std) Hz target where the engine supports it.
    For ``speech_recording`` sources ``text`` is a ``|``-separated list of prompt names.
    """
    engine = source.extra.get("engine")
    stretch = float(stretch if stretch is not None else rng.uniform(0.9, 1.15))
    meta: dict[str, Any] = {
        "kind": "tts",
        "package": source.package,
        "voice": voice or source.path,
        "text": text,
        "license": source.licence,
    }
    if engine == "festival":
        x = _festival(source.path, text, source.extra.get("lang", "en"), stretch, f0)
        ver = "festival 2.5.0"
        meta.update(engine=f"{ver} + {source.package}", speed=round(stretch, 3))
        if f0 is not None:
            meta["pitch"] = [round(f0[0], 1), round(f0[1], 1)]
    elif engine == "flite":
        f0m = None if f0 is None else f0[0]
        x = _flite(source.path, text, stretch, f0m)
        meta.update(engine="flite 2.2 (Debian flite)", speed=round(stretch, 3))
        if f0m is not None:
            meta["pitch"] = round(f0m, 1)
    elif engine == "espeak-ng":
        v = voice or "en-us"
        pitch, speed = int(rng.integers(30, 70)), int(rng.integers(140, 180))
        x = _espeak(v, text, pitch, speed)
        meta.update(engine="espeak-ng (Debian espeak-ng)", voice=v, pitch=pitch, speed=speed)
    elif engine == "asterisk":
        files = asterisk_files(source)
        parts = []
        for name in text.split("|"):
            y = trim_silence(load_file(files[name.strip()], rate, fmt="g722"), rate)
            parts += [y, np.zeros(int(rng.uniform(0.25, 0.5) * rate), np.float32)]
        x = np.concatenate(parts[:-1]) if parts else np.zeros(0, np.float32)
        meta = {
            "kind": "recording",
            "role": "speech",
            "package": source.package,
            "file": [str(files[n.strip()]).replace("/usr/share/", "") for n in text.split("|")],
            "speaker": "Allison Smith (real recorded voice prompts)",
            "license": source.licence,
        }
        return x.astype(np.float32), meta
    else:
        raise ValueError(f"{source.id}: not a voice")
    return trim_silence(x, rate), meta
