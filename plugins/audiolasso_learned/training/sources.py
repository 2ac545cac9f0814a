"""Render the source bank from the ``train`` split of ``audiolasso_corpora.sources`` only.

Every clip carries a catalog concept (``serve_app.understanding.catalog``) and the specific names a
person would use for it ("tenor sax", "pizzicato strings", "a dog barking"):

- **songs** (multitrack): ``audiolasso_corpora.music.make_song`` arrangements (nine styles; drums, bass,
  chords, melody, pad, sometimes a call/response pair of two instruments of one family), each part rendered
  dry by its own train source: Fluid R3 GM (every melodic GM program of the eight families, its variation
  banks and its eight drum kits), the nine train Hydrogen kits, or numpy additive / subtractive synthesis
  with a random patch;
- **solo**: real instrument recordings of the train split (GCompris instruments, LMMS instrument samples
  and loops);
- **speech**: espeak-ng (every language voice, with the variants), festival kal, flite kal / kal16 /
  awb_time, many speeds and pitches, generated sentences;
- **events**: every usable recording of the train split (GCompris sounds, freedesktop / Yaru / Deepin sound
  themes, LMMS effects) and the sampled effects of Fluid R3 GM / GS, with a natural label; synthetic knocks
  and chirps;
- **ambience**: recorded backgrounds of the train split (rain, stream, wind, applause, factory, trains...);
- **noise**: procedural noise of many colours, hum / buzz, wind, rain, traffic, and babble of bank voices.

Nothing here reads ``tune`` or ``heldout`` material: every recording's file spec is checked with
``audiolasso_corpora.sources.split_of_file`` (and every soundfont / kit / voice is a train registry entry).
Clips are deterministic in ``seed``.
"""

from __future__ import annotations

import glob
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal

from audiolasso_learned import SAMPLE_RATE

CLIP_S = 10.0  # songs and speech; events and noises are shorter
NOISE_S = 6.0
VALIDATION_EVERY = 8  # every 8th song / clip of a kind is held back for validation

GM_SF2 = "fluidr3_gm"
GS_SF2 = "fluidr3_gs"
TRAIN_KITS = (
    "h2_audiophob",
    "h2_bja_pacific",
    "h2_electric_empire",
    "h2_forzee",
    "h2_hardelectro",
    "h2_millo_v1",
    "h2_varibreaks",
    "h2_circafrique",
    "h2_rumpf",
)

# family -> [(bank, program, specific names)]; names are what a person calls that sound
PROGRAMS: dict[str, list[tuple[int, int, tuple[str, ...]]]] = {
    "piano": [
        (0, 0, ("grand piano", "acoustic piano")),
        (0, 1, ("bright piano", "piano")),
        (0, 2, ("electric grand piano",)),
        (0, 3, ("honky-tonk piano",)),
        (0, 4, ("electric piano", "rhodes")),
        (0, 5, ("electric piano", "fm piano")),
        (0, 6, ("harpsichord",)),
        (0, 7, ("clavinet", "clav")),
        (0, 8, ("celesta",)),
        (0, 9, ("glockenspiel",)),
        (0, 10, ("music box",)),
        (0, 11, ("vibraphone", "vibes")),
        (0, 12, ("marimba",)),
        (0, 13, ("xylophone",)),
        (8, 4, ("detuned electric piano",)),
        (8, 6, ("harpsichord",)),
    ],
    "organ_synth": [
        (0, 16, ("hammond organ", "drawbar organ")),
        (0, 17, ("percussive organ",)),
        (0, 18, ("rock organ",)),
        (0, 19, ("church organ", "pipe organ")),
        (0, 20, ("reed organ",)),
        (8, 16, ("detuned organ",)),
        (8, 19, ("church organ",)),
        (0, 80, ("square lead", "synth lead")),
        (0, 81, ("sawtooth lead", "synth lead")),
        (0, 82, ("calliope lead",)),
        (0, 84, ("charang lead",)),
        (0, 86, ("fifths lead",)),
        (0, 87, ("bass and lead synth",)),
        (0, 88, ("new age pad", "synth pad")),
        (0, 89, ("warm pad",)),
        (0, 90, ("polysynth",)),
        (0, 92, ("bowed pad",)),
        (0, 93, ("metallic pad",)),
        (0, 94, ("halo pad",)),
        (0, 95, ("sweep pad",)),
        (0, 99, ("atmosphere pad",)),
        (8, 80, ("sine wave synth",)),
    ],
    "guitar": [
        (0, 24, ("nylon guitar", "classical guitar")),
        (0, 25, ("steel-string guitar", "acoustic guitar")),
        (0, 26, ("jazz guitar",)),
        (0, 27, ("clean electric guitar",)),
        (0, 28, ("muted guitar",)),
        (0, 29, ("overdriven guitar",)),
        (0, 30, ("distortion guitar", "distorted guitar")),
        (8, 24, ("ukulele",)),
        (8, 25, ("twelve-string guitar",)),
        (8, 26, ("hawaiian guitar", "slide guitar")),
        (8, 28, ("funk guitar",)),
        (16, 25, ("mandolin",)),
        (0, 104, ("sitar",)),
        (0, 105, ("banjo",)),
    ],
    "bass": [
        (0, 32, ("upright bass", "acoustic bass")),
        (0, 33, ("fingered bass", "electric bass")),
        (0, 34, ("picked bass", "bass guitar")),
        (0, 35, ("fretless bass",)),
        (0, 36, ("slap bass",)),
        (0, 37, ("slap bass",)),
        (0, 38, ("synth bass",)),
        (0, 39, ("synth bass",)),
        (8, 38, ("synth bass",)),
        (8, 39, ("acid bass",)),
    ],
    "strings": [
        (0, 40, ("violin",)),
        (0, 41, ("viola",)),
        (0, 42, ("cello",)),
        (0, 44, ("tremolo strings",)),
        (0, 45, ("pizzicato strings",)),
        (0, 46, ("harp", "orchestral harp")),
        (0, 48, ("string ensemble",)),
        (0, 49, ("slow strings", "string section")),
        (0, 50, ("synth strings",)),
        (0, 51, ("synth strings",)),
        (0, 110, ("fiddle",)),
        (8, 40, ("slow violin",)),
        (8, 48, ("orchestral strings",)),
        (8, 50, ("synth strings",)),
    ],
    "brass": [
        (0, 56, ("trumpet",)),
        (0, 57, ("trombone",)),
        (0, 58, ("tuba",)),
        (0, 59, ("muted trumpet",)),
        (0, 60, ("french horn",)),
        (0, 61, ("brass section", "horn section")),
        (0, 62, ("synth brass",)),
        (0, 63, ("synth brass",)),
        (8, 61, ("brass section",)),
    ],
    "woodwinds": [
        (0, 64, ("soprano sax",)),
        (0, 65, ("alto sax", "alto saxophone")),
        (0, 66, ("tenor sax", "saxophone")),
        (0, 67, ("baritone sax",)),
        (0, 68, ("oboe",)),
        (0, 69, ("english horn",)),
        (0, 70, ("bassoon",)),
        (0, 71, ("clarinet",)),
        (0, 72, ("piccolo",)),
        (0, 73, ("flute",)),
        (0, 74, ("recorder",)),
        (0, 75, ("pan flute",)),
        (0, 77, ("shakuhachi",)),
        (0, 78, ("whistle", "tin whistle")),
        (0, 79, ("ocarina",)),
        (0, 21, ("accordion",)),
        (0, 22, ("harmonica",)),
        (0, 23, ("bandoneon", "accordion")),
        (0, 109, ("bagpipes",)),
    ],
}
LOW_PROGRAMS = {42: -12, 57: -12, 58: -24, 60: -12, 67: -12, 70: -12, 66: -12, 69: -12}
DRUM_KITS = [
    (128, 0, "drum kit"),
    (128, 1, "drum kit"),
    (128, 8, "drum kit"),
    (128, 16, "rock drums"),
    (128, 24, "electronic drums"),
    (128, 25, "drum machine"),
    (128, 32, "jazz drums"),
    (128, 40, "brush drums"),
    (128, 48, "orchestral percussion"),
]
# numpy synthesis (the train split's methods) per family
SYNTH_FAMILIES = {
    "strings": "additive",
    "organ_synth": "additive",
    "brass": "additive",
    "woodwinds": "additive",
    "bass": "subtractive",
}
SYNTH_NAMES = {
    "strings": ("synth strings", "strings"),
    "organ_synth": ("organ", "synthesizer"),
    "brass": ("synth brass", "brass"),
    "woodwinds": ("woodwind", "synth flute"),
    "bass": ("synth bass",),
}
ROLE_FAMILIES = {  # role -> (families, weights)
    "chords": (("piano", "guitar", "organ_synth", "strings"), (0.35, 0.35, 0.2, 0.1)),
    "melody": (("woodwinds", "brass", "strings", "organ_synth", "guitar", "piano"), (0.25, 0.2, 0.2, 0.1, 0.15, 0.1)),
    "pad": (("strings", "organ_synth", "brass"), (0.5, 0.4, 0.1)),
}
STYLES = ("pop", "rock", "funk", "ballad", "waltz", "bossa", "shuffle", "electro", "folk")

# --- recordings of the train split: (file spec, kind, concept, names) -------------------------------------------
_GC = "gcompris-qt/rcc/"
_MS = _GC + "memory-sound.rcc!gcompris/src/activities/memory-sound/resource/"
_INS = _GC + "instruments.rcc!gcompris/src/activities/instruments/resource/"
_CORE = _GC + "core.rcc!gcompris/src/core/resource/sounds/"
_FD = "sounds/freedesktop/stereo/"
_LM = "lmms/samples/"
RECORDED = [
    # events
    (_MS + "LRBark_1_LA_cut.ogg", "event", "dog", ("a dog barking", "dog barking", "barking dog")),
    (
        _GC + "explore_farm_animals.rcc!gcompris/src/activities/explore_farm_animals/resource/animals/cat.ogg",
        "event",
        "cat",
        ("a cat meowing", "cat meowing", "meowing cat"),
    ),
    (
        _GC + "melody.rcc!gcompris/src/activities/melody/resource/knock.wav",
        "event",
        "knock",
        ("knocking on a door", "door knocks", "knocking"),
    ),
    (_MS + "LRBuddhist_gong_05_LA.ogg", "event", "alarm", ("a gong", "gong")),
    (_MS + "LRDoor_Open_2_LA.ogg", "event", "knock", ("a door opening", "creaking door")),
    (_MS + "LRHeart_beat_01_LA.ogg", "event", "other", ("a heartbeat", "heart beating")),
    (_MS + "LRHits_01_LA.ogg", "event", "knock", ("hits", "banging")),
    (_MS + "LRObject_falling_01_LA.ogg", "event", "knock", ("something falling", "an object falling")),
    (_MS + "LRObject_falling_02_LA.ogg", "event", "knock", ("something falling", "an object dropping")),
    (_MS + "LRRing_01_LA.ogg", "event", "alarm", ("a ring", "ringing")),
    (_MS + "LRStartAndStopCarEngine1LACut.ogg", "event", "vehicle", ("a car engine starting", "car engine")),
    (
        _GC + "canal_lock.rcc!gcompris/src/activities/canal_lock/resource/door_close.wav",
        "event",
        "knock",
        ("a door closing", "door slam"),
    ),
    (
        _GC + "canal_lock.rcc!gcompris/src/activities/canal_lock/resource/door_open.wav",
        "event",
        "knock",
        ("a door opening",),
    ),
    (
        _GC + "canal_lock.rcc!gcompris/src/activities/canal_lock/resource/lock.wav",
        "event",
        "knock",
        ("a lock clicking", "a latch"),
    ),
    (
        _GC + "clickgame.rcc!gcompris/src/activities/clickgame/resource/drip.wav",
        "event",
        "rain",
        ("a water drip", "dripping water"),
    ),
    (_GC + "clickgame.rcc!gcompris/src/activities/clickgame/resource/bubble.wav", "event", "rain", ("bubbles",)),
    (_CORE + "bleep.wav", "event", "alarm", ("a beep", "beeping")),
    (_CORE + "bonus.wav", "event", "alarm", ("a jingle", "a chime")),
    (_CORE + "completetask.wav", "event", "alarm", ("a chime",)),
    (_CORE + "win.wav", "event", "alarm", ("a fanfare jingle",)),
    (_CORE + "brick.wav", "event", "knock", ("a thud", "an impact")),
    (_CORE + "crash.wav", "event", "knock", ("a crash", "something breaking")),
    (_CORE + "audioclick.wav", "event", "knock", ("a click", "clicks")),
    (
        _GC + "guessnumber.rcc!gcompris/src/activities/guessnumber/resource/helicopter.wav",
        "event",
        "vehicle",
        ("a helicopter",),
    ),
    (
        _GC + "mining.rcc!gcompris/src/activities/mining/resource/pickaxe.wav",
        "event",
        "knock",
        ("a pickaxe hitting rock", "hammering"),
    ),
    (_GC + "money.rcc!gcompris/src/activities/money/resource/money1.wav", "event", "knock", ("coins dropping",)),
    (_GC + "money.rcc!gcompris/src/activities/money/resource/money2.wav", "event", "knock", ("coins jingling",)),
    (
        _GC + "morse_code.rcc!gcompris/src/activities/morse_code/resource/dash.wav",
        "event",
        "alarm",
        ("a morse code beep", "beeping"),
    ),
    (
        _GC + "nine_men_morris.rcc!gcompris/src/activities/nine_men_morris/resource/click.wav",
        "event",
        "knock",
        ("a click",),
    ),
    (
        _GC + "railroad.rcc!gcompris/src/activities/railroad/resource/sounds/train.wav",
        "event",
        "vehicle",
        ("a train", "a train passing"),
    ),
    (
        _GC + "reversecount.rcc!gcompris/src/activities/reversecount/resource/icy_walk.wav",
        "event",
        "knock",
        ("footsteps", "footsteps on ice"),
    ),
    (
        _GC + "scalesboard.rcc!gcompris/src/activities/scalesboard/resource/metal_hit.wav",
        "event",
        "knock",
        ("a metal hit", "a clang"),
    ),
    (
        _GC + "target.rcc!gcompris/src/activities/target/resource/arrow.wav",
        "event",
        "knock",
        ("an arrow hitting a target", "a thump"),
    ),
    (_GC + "traffic.rcc!gcompris/src/activities/traffic/resource/car.wav", "event", "vehicle", ("a car", "car horn")),
    (_FD + "alarm-clock-elapsed.oga", "event", "alarm", ("an alarm clock", "alarm clock ringing")),
    (_FD + "bell.oga", "event", "alarm", ("a bell", "bell ringing")),
    (_FD + "camera-shutter.oga", "event", "knock", ("a camera shutter", "a shutter click")),
    (_FD + "complete.oga", "event", "alarm", ("a chime", "notification sound")),
    (_FD + "dialog-warning.oga", "event", "alarm", ("a warning beep",)),
    (_FD + "dialog-error.oga", "event", "alarm", ("an error beep",)),
    (_FD + "dialog-information.oga", "event", "alarm", ("a notification sound",)),
    (_FD + "message-new-instant.oga", "event", "alarm", ("a message alert", "notification sound")),
    (_FD + "message.oga", "event", "alarm", ("a message alert",)),
    (_FD + "phone-incoming-call.oga", "event", "alarm", ("a phone ringing", "ringtone", "telephone ringing")),
    (_FD + "phone-outgoing-busy.oga", "event", "alarm", ("a busy tone", "phone beeping")),
    (_FD + "phone-outgoing-calling.oga", "event", "alarm", ("a ringback tone", "phone ringing")),
    (_FD + "window-attention.oga", "event", "alarm", ("a notification sound",)),
    (_FD + "suspend-error.oga", "event", "alarm", ("an error sound",)),
    (_FD + "trash-empty.oga", "event", "knock", ("paper crumpling", "trash being emptied")),
    (_FD + "device-added.oga", "event", "alarm", ("a notification sound",)),
    (_FD + "network-connectivity-lost.oga", "event", "alarm", ("an alert sound",)),
    (_FD + "service-login.oga", "event", "alarm", ("a chime",)),
    (_LM + "effects/explode01.ogg", "event", "knock", ("an explosion", "a blast")),
    (_LM + "effects/wind_chimes01.ogg", "event", "alarm", ("wind chimes",)),
    (_LM + "effects/scratch01.ogg", "event", "other", ("a record scratch",)),
    (_LM + "misc/dong01.ogg", "event", "alarm", ("a bell", "a dong")),
    (_LM + "misc/dong02.ogg", "event", "alarm", ("a bell",)),
    (_LM + "misc/metalish_dong01.ogg", "event", "alarm", ("a metal bell",)),
    (_LM + "misc/hit01.ogg", "event", "knock", ("a hit", "a thump")),
    (_LM + "misc/hit02.ogg", "event", "knock", ("a hit",)),
    (_LM + "misc/metronome01.ogg", "event", "knock", ("a metronome ticking", "ticking")),
    (_LM + "misc/snaph01.ogg", "event", "knock", ("finger snaps", "snapping fingers")),
    # ambience (backgrounds)
    (_MS + "LRRain_in_garden_01_LA_cut.ogg", "ambience", "rain", ("rain", "rain in the garden")),
    (_MS + "LRApplauses_1_LA_cut.ogg", "ambience", "crowd", ("applause", "audience clapping")),
    (_MS + "LRFrogsInPondDuringStormLACut.ogg", "ambience", "animal", ("frogs croaking", "frogs in a pond")),
    (_MS + "LRTrain_slowing_down_01_LA_cut.ogg", "ambience", "traffic", ("a train slowing down", "train noise")),
    (
        _GC + "canal_lock.rcc!gcompris/src/activities/canal_lock/resource/water_fill.wav",
        "ambience",
        "rain",
        ("water flowing", "running water"),
    ),
    (_LM + "misc/applause01.ogg", "ambience", "crowd", ("applause",)),
    (_LM + "misc/raving_crowd01.ogg", "ambience", "crowd", ("a cheering crowd", "crowd noise")),
]
RECORDED += [
    (f"{_MS}LRFactory_noise_0{i}_LA.ogg", "ambience", "traffic", ("factory noise", "machinery")) for i in range(1, 7)
]
RECORDED += [
    (
        f"{_GC}explore_world_music.rcc!gcompris/src/activities/explore_world_music/resource/music/{n}.ogg",
        "ambience",
        "music",
        ("music", "background music"),
    )
    for n in ("africa", "america", "australia", "beethoven", "ireland", "italy", "japan", "mexico", "middleeast")
]
# real instrument recordings (solo): spec, family, names
SOLO = [
    (f"{_INS}{f}.ogg", fam, names)
    for f, fam, names in [
        ("accordion", "woodwinds", ("accordion",)),
        ("banjo", "guitar", ("banjo",)),
        ("bongo", "drums", ("bongos",)),
        ("castanets", "drums", ("castanets",)),
        ("cello", "strings", ("cello",)),
        ("clarinet", "woodwinds", ("clarinet",)),
        ("cymbal", "drums", ("cymbals",)),
        ("drum_kit", "drums", ("drum kit", "drums")),
        ("electric_guitar", "guitar", ("electric guitar",)),
        ("flute_traversiere", "woodwinds", ("flute",)),
        ("guitar", "guitar", ("acoustic guitar", "guitar")),
        ("harmonica", "woodwinds", ("harmonica",)),
        ("harp", "strings", ("harp",)),
        ("horn", "brass", ("french horn", "horn")),
        ("maracas", "drums", ("maracas",)),
        ("organ", "organ_synth", ("organ",)),
        ("piano", "piano", ("piano",)),
        ("saxophone", "woodwinds", ("saxophone", "sax")),
        ("snare_drum", "drums", ("snare drum",)),
        ("tambourine", "drums", ("tambourine",)),
        ("timpani", "drums", ("timpani",)),
        ("triangle", "drums", ("triangle",)),
        ("trombone", "brass", ("trombone",)),
        ("trumpet", "brass", ("trumpet",)),
        ("tuba", "brass", ("tuba",)),
        ("violin", "strings", ("violin",)),
    ]
]
SOLO += [
    (f"{_GC}memory-sound.rcc!gcompris/src/activities/memory-sound/resource/{f}.ogg", "guitar", ("guitar",))
    for f in ("guitar_melody", "guitar_son1", "guitar_son2")
]
SOLO += [
    (f"{_GC}melody.rcc!gcompris/src/activities/melody/resource/xylofon_son{i}.wav", "piano", ("xylophone",))
    for i in (1, 2, 3)
]
SOLO += [
    (_LM + f, fam, names)
    for f, fam, names in [
        ("instruments/bassslap01.ogg", "bass", ("slap bass",)),
        ("instruments/cello01.ogg", "strings", ("cello",)),
        ("instruments/church_organ01.ogg", "organ_synth", ("church organ",)),
        ("instruments/church_organ02.ogg", "organ_synth", ("church organ",)),
        ("instruments/e_organ01.ogg", "organ_synth", ("electric organ",)),
        ("instruments/e_piano_accord01.ogg", "piano", ("electric piano",)),
        ("instruments/flute01.ogg", "woodwinds", ("flute",)),
        ("instruments/harpsichord01.ogg", "piano", ("harpsichord",)),
        ("instruments/piano01.ogg", "piano", ("piano",)),
        ("instruments/piano02.ogg", "piano", ("piano",)),
        ("instruments/steel_guitar01.ogg", "guitar", ("steel guitar",)),
        ("instruments/steel_guitar_heavy_distorted01.ogg", "guitar", ("distorted guitar",)),
        ("instruments/trumpet01.ogg", "brass", ("trumpet",)),
        ("instruments/violin_fingered01.ogg", "strings", ("violin",)),
        ("instruments/violin_pizzicato01.ogg", "strings", ("pizzicato violin",)),
        ("latin/latin_brass01.ogg", "brass", ("brass section",)),
        ("latin/latin_guitar01.ogg", "guitar", ("latin guitar",)),
        ("latin/latin_guitar02.ogg", "guitar", ("acoustic guitar",)),
        ("beats/break01.ogg", "drums", ("drum break", "drums")),
        ("beats/break02.ogg", "drums", ("drum loop",)),
        ("beats/909beat01.ogg", "drums", ("drum machine",)),
        ("beats/house_loop01.ogg", "drums", ("drum loop",)),
        ("beats/jungle01.ogg", "drums", ("drum loop",)),
        ("beats/electro_beat01.ogg", "drums", ("electronic beat",)),
        ("bassloops/briff01.ogg", "bass", ("bass riff",)),
        ("bassloops/tb303_01.ogg", "bass", ("acid bass",)),
        ("bassloops/techno_bass01.ogg", "bass", ("synth bass",)),
        ("bassloops/techno_synth01.ogg", "organ_synth", ("synth",)),
        ("bassloops/techno_synth02.ogg", "organ_synth", ("synth",)),
    ]
]
# sampled effects of the Fluid R3 soundfonts: (source, bank, program, kind, concept, names, note seconds)
SFX = [
    (GM_SF2, 0, 122, "ambience", "rain", ("ocean waves", "the sea"), 8.0),
    (GM_SF2, 0, 123, "event", "bird", ("a bird tweeting", "bird chirping", "birdsong"), 1.2),
    (GM_SF2, 0, 124, "event", "alarm", ("a telephone ringing", "phone ringing"), 2.0),
    (GM_SF2, 0, 125, "event", "vehicle", ("a helicopter",), 3.0),
    (GM_SF2, 0, 126, "ambience", "crowd", ("applause", "clapping audience"), 8.0),
    (GM_SF2, 0, 127, "event", "knock", ("a gunshot", "a bang"), 0.8),
    (GM_SF2, 8, 14, "event", "alarm", ("a church bell", "church bells"), 3.0),
    (GM_SF2, 0, 14, "event", "alarm", ("tubular bells", "bells"), 2.5),
    (GM_SF2, 0, 112, "event", "alarm", ("a tinkling bell", "a small bell"), 1.5),
    (GM_SF2, 0, 115, "event", "knock", ("a woodblock", "wood knocks"), 0.3),
    (GS_SF2, 1, 122, "ambience", "rain", ("rain", "heavy rain"), 8.0),
    (GS_SF2, 1, 123, "event", "dog", ("a dog barking", "dog bark"), 1.0),
    (GS_SF2, 1, 124, "event", "alarm", ("a telephone ringing", "old phone ringing"), 2.0),
    (GS_SF2, 1, 125, "event", "vehicle", ("a car engine", "engine noise"), 4.0),
    (GS_SF2, 1, 126, "event", "human", ("people laughing", "laughter"), 2.5),
    (GS_SF2, 2, 122, "event", "rain", ("thunder", "a thunderclap"), 3.0),
    (GS_SF2, 2, 123, "event", "animal", ("a horse galloping", "hoofbeats"), 2.5),
    (GS_SF2, 2, 124, "event", "knock", ("a creaking door", "door creaking"), 2.0),
    (GS_SF2, 2, 125, "event", "vehicle", ("car brakes screeching", "a car stopping"), 2.0),
    (GS_SF2, 2, 126, "event", "human", ("screaming", "a scream"), 1.5),
    (GS_SF2, 3, 122, "ambience", "wind", ("wind", "howling wind"), 8.0),
    (GS_SF2, 3, 123, "event", "bird", ("birds chirping", "a bird call"), 1.5),
    (GS_SF2, 3, 124, "event", "knock", ("a door slamming", "door slam"), 0.8),
    (GS_SF2, 3, 125, "event", "vehicle", ("a car passing", "a passing car"), 3.0),
    (GS_SF2, 3, 126, "event", "knock", ("a punch", "a thump"), 0.5),
    (GS_SF2, 3, 127, "event", "knock", ("an explosion",), 2.0),
    (GS_SF2, 4, 122, "ambience", "rain", ("a stream", "a babbling brook"), 8.0),
    (GS_SF2, 4, 125, "event", "knock", ("a car crash",), 2.0),
    (GS_SF2, 4, 126, "event", "other", ("a heartbeat",), 2.0),
    (GS_SF2, 5, 122, "event", "rain", ("bubbles", "bubbling water"), 2.0),
    (GS_SF2, 5, 124, "event", "alarm", ("wind chimes",), 2.5),
    (GS_SF2, 5, 125, "event", "alarm", ("a siren", "police siren"), 3.0),
    (GS_SF2, 5, 126, "event", "knock", ("footsteps", "someone walking"), 2.5),
    (GS_SF2, 6, 125, "event", "vehicle", ("a train", "train passing"), 4.0),
    (GS_SF2, 7, 125, "event", "vehicle", ("a jet plane", "airplane overhead"), 4.0),
    (GS_SF2, 1, 127, "event", "other", ("machine gun fire",), 1.5),
]

# --- speech ----------------------------------------------------------------------------------------------------
ESPEAK_VARIANTS = (
    "",
    "",
    "",
    "m1",
    "m2",
    "m3",
    "m4",
    "m5",
    "m6",
    "m7",
    "f1",
    "f2",
    "f3",
    "f4",
    "f5",
    "croak",
    "klatt",
    "klatt2",
    "klatt3",
    "Adam",
    "Alex",
    "Andrea",
    "Andy",
    "Annie",
    "Antonio",
    "Auntie",
    "Belinda",
    "Benjamin",
    "Boris",
    "Caleb",
    "David",
    "Denis",
    "Ed",
    "Edward",
    "Gene",
    "Gustave",
    "Henrique",
    "Hugo",
    "Iven",
    "Jacky",
    "John",
    "Lee",
    "Linda",
    "Marco",
    "Max",
    "Michael",
    "Mike",
    "Paul",
    "Pedro",
    "Quincy",
    "Rob",
    "Robert",
    "Steph",
    "Storm",
    "Tweaky",
    "Zac",
    "anika",
    "grandma",
    "grandpa",
    "norbert",
    "sandro",
    "shelby",
    "travis",
    "victor",
    "whisper",
    "female_whisper",
)
ESPEAK_EN = (
    "en-us",
    "en-gb",
    "en-gb-x-rp",
    "en-gb-scotland",
    "en-029",
    "en-us-nyc",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
)
ESPEAK_OTHER = (
    "de",
    "fr-fr",
    "fr-be",
    "es",
    "es-419",
    "it",
    "nl",
    "pt",
    "pt-br",
    "pl",
    "sv",
    "da",
    "nb",
    "fi",
    "cs",
    "sk",
    "hu",
    "ro",
    "ru",
    "uk",
    "el",
    "tr",
    "hi",
    "bn",
    "ta",
    "id",
    "vi",
    "sw",
    "af",
    "ca",
    "cy",
    "ga",
    "hr",
    "bg",
    "lt",
    "lv",
    "et",
    "sq",
    "is",
    "eu",
    "ms",
    "cmn",
    "ja",
    "ko",
    "ar",
    "he",
    "fa",
)
TTS_TRAIN = ("festival_kal16", "flite_kal", "flite_kal16", "flite_awb_time")
SUBJECTS = (
    "the old farmer",
    "my neighbour",
    "a young student",
    "the tour guide",
    "our teacher",
    "the driver",
    "a tired doctor",
    "the new manager",
    "her little brother",
    "the weather man",
    "everyone at the office",
    "the captain",
    "a stranger on the train",
    "the baker",
    "my cousin from the north",
    "the night nurse",
)
VERBS = (
    "carried",
    "painted",
    "forgot",
    "found",
    "repaired",
    "described",
    "sold",
    "cleaned",
    "ordered",
    "borrowed",
    "opened",
    "counted",
    "photographed",
    "returned",
    "hid",
    "delivered",
)
OBJECTS = (
    "a heavy wooden box",
    "the blue bicycle",
    "twelve fresh oranges",
    "an old wind-up clock",
    "the broken umbrella",
    "a letter from abroad",
    "the garden gate",
    "three cups of tea",
    "the silver key",
    "a map of the coast",
    "the kitchen window",
    "a bag of warm bread",
    "the red notebook",
    "a pair of boots",
)
PLACES = (
    "before sunrise",
    "near the station",
    "after the storm",
    "on the third floor",
    "behind the church",
    "during the long winter",
    "at the market on Friday",
    "across the river",
    "in the empty hall",
    "by the harbour wall",
    "last Tuesday evening",
    "under the bridge",
    "without saying a word",
)
EXTRAS = (
    "and then went home.",
    "while it was raining.",
    "but nobody noticed.",
    "which surprised us all.",
    "so we had to wait.",
    "and laughed about it later.",
    ".",
    ".",
    ".",
)
QUESTIONS = (
    "Did you remember to lock the back door?",
    "What time does the last bus leave?",
    "Could we meet again next week?",
    "Why is the music so loud tonight?",
    "Where did you park the car?",
    "Have you ever seen the sea in winter?",
    "Is this the way to the museum?",
)
TIMES = (
    "The time is now a quarter past three.",
    "The time is now ten to seven in the evening.",
    "The time is now exactly midnight.",
    "The time is now half past eleven in the morning.",
    "The time is now twenty past four.",
)


@dataclass
class Clip:
    audio: np.ndarray  # float32 mono at SAMPLE_RATE
    kind: str  # stem | solo | speech | event | ambience | noise
    concept: str  # catalog concept (or "other")
    names: tuple[str, ...]  # specific names for prompts ("tenor sax", "a dog barking")
    group: int = -1  # song id for stems (the stems of one song mix together)
    role: str = ""  # stem role in its song (drums, bass, chords, melody, pad, call, response)
    source: str = ""  # registry id / file spec (for the composition table)


def _corpora():
    from audiolasso_corpora import audio, events, music, noise, sources, speech, synth

    return audio, events, music, noise, sources, speech, synth


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    r = float(np.sqrt(np.mean(x**2)))
    return (x / r * 0.1 if r > 1e-9 else x).astype(np.float32)


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    return np.pad(np.asarray(x, np.float32), (0, max(0, n - len(x))))[:n]


def _resample(x: np.ndarray, rate: int) -> np.ndarray:
    if rate == SAMPLE_RATE:
        return x.astype(np.float32)
    g = np.gcd(rate, SAMPLE_RATE)
    return signal.resample_poly(x, SAMPLE_RATE // g, rate // g).astype(np.float32)


def _assert_train(spec: str) -> None:
    _, _, _, _, sources, _, _ = _corpora()
    split = sources.split_of_file(spec)
    if split != "train":
        raise PermissionError(f"{spec}: split {split}, not train")


def fluid(
    source_id: str, notes: list[tuple], bank: int, program: int, seconds: float, drums: bool = False
) -> np.ndarray:
    """Render with a train soundfont (fluidsynth, dry), mono float32 of ``seconds``."""
    _, _, music, _, sources, _, _ = _corpora()
    src = sources.get(source_id)
    assert src.split == "train" and src.kind == "soundfont"
    return music.render_midi(src, notes, program, drums, seconds, SAMPLE_RATE, bank=bank)


# --- songs -----------------------------------------------------------------------------------------------------------
def _shift(notes: list[tuple], semitones: int) -> list[tuple]:
    return [(s, d, int(p + semitones), v) for s, d, p, v in notes]


def _pick_program(rng: np.random.Generator, family: str, avoid: tuple[int, ...] | None = None):
    options = [p for p in PROGRAMS[family] if (p[0], p[1]) != avoid]
    return options[int(rng.integers(len(options)))]


def render_instrument(
    rng: np.random.Generator,
    family: str,
    notes: list[tuple],
    seconds: float,
    role: str,
    synth_prob: float = 0.2,
    avoid: tuple[int, ...] | None = None,
) -> tuple[np.ndarray, tuple, str]:
    """One part by a random train source of ``family``: (audio, names, source label)."""
    _, _, music, _, sources, _, synth = _corpora()
    if family == "drums":
        r = rng.random()
        if r < 0.2:  # a synthetic drum machine (half rate is too dull for hats)
            x = synth.render("drum_machine", "drums", notes, rng, seconds, SAMPLE_RATE)
            return x, ("drum machine", "drums"), "synth_drum_machine"
        if r < 0.6:
            kit = TRAIN_KITS[int(rng.integers(len(TRAIN_KITS)))]
            x = music.render_hydrogen(sources.get(kit), notes, rng, seconds, SAMPLE_RATE)
            return x, ("drum kit", "drums"), kit
        bank, program, name = DRUM_KITS[int(rng.integers(len(DRUM_KITS)))]
        return fluid(GM_SF2, notes, bank, program, seconds, drums=True), (name, "drums"), f"{GM_SF2}:{bank}/{program}"
    if family in SYNTH_FAMILIES and rng.random() < synth_prob and avoid is None:
        method = SYNTH_FAMILIES[family]
        rate = 22050  # rendered at half rate (cheap), then resampled
        x = synth.render(method, family, notes, rng, seconds, rate)
        return _fit(_resample(x, rate), int(seconds * SAMPLE_RATE)), SYNTH_NAMES[family], f"synth_{method}"
    bank, program, names = _pick_program(rng, family, avoid)
    shift = LOW_PROGRAMS.get(program, 0) if role in ("melody", "call", "response", "pad") else 0
    if role == "bass" and family != "bass":
        shift = 12
    if family == "bass" and role != "bass":
        shift = -12
    x = fluid(GM_SF2, _shift(notes, shift) if shift else notes, bank, program, seconds)
    return x, names, f"{GM_SF2}:{bank}/{program}"


def song(rng: np.random.Generator, index: int, seconds: float = CLIP_S) -> list[Clip]:
    """The stems of one generated song (each dry, RMS 0.1; levels are drawn at mixing time)."""
    _, _, music, _, _, _, _ = _corpora()
    style = STYLES[int(rng.integers(len(STYLES)))]
    call_response = rng.random() < 0.25
    s = music.make_song(rng, style, seconds + 0.5, int(rng.integers(1 << 20)), call_response=call_response)
    roles: dict[str, str] = {"drums": "drums", "bass": "bass"}
    taken = {"drums", "bass"}
    fams: Sequence[str]
    for role in ("chords", "melody", "pad"):
        if role == "pad" and rng.random() > 0.6:
            continue
        if role == "melody" and call_response:
            continue
        fams, weights = ROLE_FAMILIES[role]
        options = [(f, w) for f, w in zip(fams, weights, strict=False) if f not in taken]
        f = options[int(rng.choice(len(options), p=np.array([w for _, w in options]) / sum(w for _, w in options)))][0]
        roles[role] = f
        taken.add(f)
    if call_response:  # two instruments of one family take turns (the spans say which one)
        fams = [f for f in ("woodwinds", "brass", "strings", "guitar", "organ_synth", "piano") if f not in taken]
        roles["call"] = roles["response"] = fams[int(rng.integers(len(fams)))]
    if rng.random() < 0.2:
        del roles["drums"]
    out = []
    first_program: tuple[int, ...] | None = None
    for role, family in roles.items():
        notes = s.parts.get(role) or []
        if not notes:
            continue
        avoid = first_program if role == "response" else None
        x, names, src = render_instrument(
            rng, family, notes, seconds, role, avoid=avoid if role == "response" else None
        )
        if role == "call" and src.startswith(GM_SF2):
            first_program = tuple(int(v) for v in src.split(":")[1].split("/"))
        if np.sqrt(np.mean(x**2)) < 1e-5:
            continue
        out.append(Clip(_normalise(x), "stem", family, names, index, role, src))
    return out


def _load(spec: str) -> np.ndarray | None:
    """Decode a train file spec (None when neither libsndfile nor ffmpeg can read it)."""
    _, events, _, _, _, _, _ = _corpora()
    _assert_train(spec)
    try:
        return events.load(spec, SAMPLE_RATE)
    except Exception:  # a few LMMS files are not decodable here
        return None


def solo_clips() -> Iterator[Clip]:
    for spec, family, names in SOLO:
        x = _load(spec)
        if x is None:
            continue
        x = _trim(x)
        if len(x) < SAMPLE_RATE // 2:
            continue
        yield Clip(_normalise(x[: int(CLIP_S * SAMPLE_RATE)]), "solo", family, names, source=spec)


# --- speech ---
def sentence(rng: np.random.Generator) -> str:
    r = rng.random()
    if r < 0.12:
        return str(rng.choice(QUESTIONS))
    pick = lambda xs: str(xs[int(rng.integers(len(xs)))])  # noqa: E731
    text = f"{pick(SUBJECTS)} {pick(VERBS)} {pick(OBJECTS)} {pick(PLACES)} {pick(EXTRAS)}"
    return text[0].upper() + text[1:].replace(" .", ".")


def _espeak(voice: str, text: str, pitch: int, speed: int, amplitude: int = 100) -> np.ndarray:
    import soundfile as sf

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "s.wav"
        subprocess.run(
            [
                "espeak-ng",
                "-v",
                voice,
                "-p",
                str(pitch),
                "-s",
                str(speed),
                "-a",
                str(amplitude),
                "-g",
                "4",
                "-w",
                str(wav),
                text,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        x, rate = sf.read(wav, dtype="float32", always_2d=True)
    return _resample(x.mean(1), rate)


def _trim(x: np.ndarray, floor_db: float = -45.0) -> np.ndarray:
    a = np.abs(x)
    if a.size == 0 or a.max() <= 0:
        return x[:0]
    idx = np.flatnonzero(a > a.max() * 10 ** (floor_db / 20))
    return x[max(0, idx[0] - 441) : idx[-1] + 442]


def speech_clip(rng: np.random.Generator, seconds: float = CLIP_S) -> Clip:
    """A voice reading generated sentences with pauses, filling ``seconds`` (from a random start)."""
    _, _, _, _, sources, speech, _ = _corpora()
    n = int(seconds * SAMPLE_RATE)
    r = rng.random()
    parts, pos = [], 0
    if r < 0.72:  # espeak-ng: a language voice with a variant
        lang = str(rng.choice(ESPEAK_EN)) if rng.random() < 0.55 else str(rng.choice(ESPEAK_OTHER))
        variant = str(rng.choice(ESPEAK_VARIANTS))
        voice = lang + (f"+{variant}" if variant else "")
        pitch, speed = int(rng.integers(15, 85)), int(rng.integers(115, 230))
        label = f"espeak-ng {voice}"
        say = lambda t: _espeak(voice, t, pitch, speed)  # noqa: E731
    else:
        src = sources.get(str(rng.choice(TTS_TRAIN)))
        assert src.split == "train"
        stretch = float(rng.uniform(0.8, 1.3))
        f0 = None
        if rng.random() < 0.7:
            f0 = (float(rng.uniform(70, 190)), float(rng.uniform(8, 30)))
        label = src.id

        def say(t: str) -> np.ndarray:
            x, _ = speech.speak(src, t, rng, stretch=stretch, f0=f0, rate=SAMPLE_RATE)
            return x

    while pos < n:
        text = str(rng.choice(TIMES)) if label == "flite_awb_time" else sentence(rng)
        x = _trim(say(text))
        parts.append(x)
        gap = int(rng.uniform(0.15, 0.9) * SAMPLE_RATE)
        parts.append(np.zeros(gap, np.float32))
        pos += len(x) + gap
    y = np.concatenate(parts)
    start = int(rng.integers(0, max(1, int(0.4 * SAMPLE_RATE))))
    y = np.concatenate([np.zeros(start, np.float32), y])[:n]
    return Clip(_normalise(_fit(y, n)), "speech", "speech", (), source=label)


# --- events and ambience ----------------------------------------------------------------------------------------------
def recorded_clips() -> Iterator[Clip]:
    for spec, kind, concept, names in RECORDED:
        x = _load(spec)
        if x is None:
            continue
        x = _trim(x, -50.0)
        limit = 4.0 if kind == "event" else CLIP_S
        if len(x) < SAMPLE_RATE // 20:
            continue
        x = x[: int(limit * SAMPLE_RATE)]
        if kind == "event" and len(x) > int(3.5 * SAMPLE_RATE):
            x = x * np.minimum(1.0, np.linspace(len(x) / (0.3 * SAMPLE_RATE), 0, len(x)))
        yield Clip(_normalise(x), kind, concept, names, source=spec)
    # theme folders: every other non-spoken sound of the train themes as an alert / chime
    for pattern in ("sounds/Yaru/stereo/*.oga", "sounds/deepin/stereo/*.wav"):
        for path in sorted(glob.glob("/usr/share/" + pattern)):
            spec = path.replace("/usr/share/", "")
            name = Path(path).stem
            concept, names = (
                ("knock", ("a camera shutter",))
                if "camera" in name or "screen-capture" in name
                else ("alarm", ("a notification sound", "a chime", "an alert sound"))
            )
            x = _load(spec)
            if x is None:
                continue
            x = _trim(x, -50.0)[: int(4.0 * SAMPLE_RATE)]
            if len(x) > SAMPLE_RATE // 20:
                yield Clip(_normalise(x), "event", concept, names, source=spec)


def sfx_clips(rng: np.random.Generator) -> Iterator[Clip]:
    """The Fluid R3 sampled effects: events as 2-3 notes at nearby pitches, ambiences as one long note."""
    for source_id, bank, program, kind, concept, names, note_s in SFX:
        for take in range(2 if kind == "event" else 1):
            pitch = int(rng.integers(57, 66)) if take else 60
            if kind == "ambience":
                x = fluid(source_id, [(0.0, CLIP_S, 60, 100)], bank, program, CLIP_S)
            else:
                x = _trim(
                    fluid(source_id, [(0.0, note_s, pitch, int(rng.integers(80, 120)))], bank, program, note_s + 2.0),
                    -50.0,
                )
            if len(x) > SAMPLE_RATE // 20 and np.abs(x).max() > 1e-4:
                yield Clip(_normalise(x), kind, concept, names, source=f"{source_id}:{bank}/{program}")


def knock(rng: np.random.Generator) -> np.ndarray:
    """A group of knocks: decaying resonant bursts (a few wooden modes) a quarter second apart."""
    modes = rng.uniform(150, 1500, 3)
    hit_n = int(0.15 * SAMPLE_RATE)
    t = np.arange(hit_n) / SAMPLE_RATE
    decay = rng.uniform(25, 60)
    hit = sum(np.sin(2 * np.pi * f * t) for f in modes) * np.exp(-decay * t)
    hit = hit + 0.5 * rng.standard_normal(hit_n) * np.exp(-300 * t)
    out = np.zeros(int(rng.integers(2, 5)) * int(0.25 * SAMPLE_RATE) + hit_n)
    for k in range(len(out) // int(0.25 * SAMPLE_RATE)):
        start = k * int(0.25 * SAMPLE_RATE) + int(rng.integers(0, 800))
        out[start : start + hit_n] += hit[: len(out) - start] * rng.uniform(0.6, 1.0)
    return _normalise(out)


def chirps(rng: np.random.Generator) -> np.ndarray:
    """A bird call: a trill of fast frequency sweeps between 2 and 7 kHz."""
    count, length = int(rng.integers(3, 9)), rng.uniform(0.04, 0.15)
    lo, hi = sorted(rng.uniform(2000, 7000, 2))
    t = np.arange(int(length * SAMPLE_RATE)) / SAMPLE_RATE
    sweep = np.sin(2 * np.pi * np.cumsum(np.linspace(hi, lo, len(t))) / SAMPLE_RATE) * np.hanning(len(t))
    gap = int(rng.uniform(0.03, 0.12) * SAMPLE_RATE)
    out = np.concatenate([np.concatenate([sweep * rng.uniform(0.5, 1), np.zeros(gap)]) for _ in range(count)])
    return _normalise(out)


# --- noise ----------------------------------------------------------------------------------------------------------
NOISE_KINDS = {  # kind -> (concept, names)
    "white": ("hiss", ("white noise", "hiss", "static")),
    "pink": ("hiss", ("pink noise", "background noise")),
    "brown": ("hiss", ("brown noise", "rumble")),
    "blue": ("hiss", ("hiss", "high-pitched hiss")),
    "coloured": ("hiss", ("noise", "background noise", "hiss")),
    "fan": ("hiss", ("fan noise", "air conditioner")),
    "hum": ("hum", ("hum", "mains hum", "electrical hum")),
    "buzz": ("hum", ("buzz", "electrical buzz")),
    "wind": ("wind", ("wind", "wind noise")),
    "rain": ("rain", ("rain", "rain noise")),
    "traffic": ("traffic", ("traffic", "traffic noise", "street noise")),
}


def _coloured(rng: np.random.Generator, n: int, exponent: float) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.maximum(np.fft.rfftfreq(n, 1 / SAMPLE_RATE), 20.0)
    return np.fft.irfft(spec / f ** (exponent / 2), n)


def procedural_noise(kind: str, number: int, seed: int) -> np.ndarray:
    """The bank's ``number``-th clip of the procedural noise ``kind`` for its ``seed`` (what
    ``bank_items`` holds; ``training/pack.py`` makes it again on another machine)."""
    return noise(kind, np.random.default_rng([seed, 4, number, len(kind)]))


def noise(
    kind: str, rng: np.random.Generator, babble_voices: list[np.ndarray] | None = None, seconds: float = NOISE_S
) -> np.ndarray:
    """Procedural noise of ``kind`` (``NOISE_KINDS`` or ``crowd`` from ``babble_voices``), RMS 0.1."""
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    _, _, _, nz, _, _, _ = _corpora()
    if kind in ("white", "pink", "brown"):
        x, _ = nz.make(kind, rng, n, SAMPLE_RATE)
    elif kind == "blue":
        x = _coloured(rng, n, float(rng.uniform(-1.5, -0.5)))
    elif kind == "coloured" or kind == "hiss":
        x = _coloured(rng, n, float(rng.uniform(-1.0, 2.2)))
        sos = signal.butter(
            2, [float(rng.uniform(20, 400)), float(rng.uniform(3000, 20000))], "bandpass", fs=SAMPLE_RATE, output="sos"
        )
        x = signal.sosfilt(sos, x)
    elif kind == "fan":
        x = _coloured(rng, n, float(rng.uniform(0.5, 1.5)))
        f0 = float(rng.uniform(30, 120))
        x = x / (np.std(x) + 1e-9) + 0.5 * sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 6))
    elif kind == "hum":
        x, _ = nz.make("hum", rng, n, SAMPLE_RATE)
    elif kind == "buzz":
        mains = float(rng.choice([50.0, 60.0])) * 2
        x = np.sign(np.sin(2 * np.pi * mains * t)) * rng.uniform(0.3, 1.0)
        x = signal.sosfilt(signal.butter(2, float(rng.uniform(800, 6000)), "lowpass", fs=SAMPLE_RATE, output="sos"), x)
        x = x + 0.05 * _coloured(rng, n, 1.0) / 30
    elif kind in ("wind", "rain", "traffic"):
        x, _ = nz.make(kind, rng, n, SAMPLE_RATE)
    elif kind == "crowd":
        voices = babble_voices or []
        picks = rng.choice(len(voices), min(len(voices), int(rng.integers(4, 9))), replace=False)
        x = sum(np.roll(_fit(voices[int(i)], n), int(rng.integers(n))) * rng.uniform(0.5, 1.0) for i in picks)
        _, _, _, _, _, _, _ = _corpora()
        from audiolasso_corpora.audio import lowpass, reverb, room_ir

        x = lowpass(
            reverb(np.asarray(x, np.float32), room_ir(rng, float(rng.uniform(0.3, 0.8)))),
            float(rng.uniform(4000, 9000)),
        )
    else:
        raise ValueError(kind)
    return _normalise(np.asarray(x, dtype=np.float64))


# --- the whole bank ---------------------------------------------------------------------------------------------------
def bank_items(seed: int, songs: int, speech: int, noises_per_kind: int, log=print) -> Iterator[Clip]:
    """Every clip of the bank, deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    for i in range(songs):
        yield from song(np.random.default_rng([seed, 1, i]), i)
        if i % 10 == 9:
            log(f"  songs: {i + 1}/{songs}")
    yield from solo_clips()
    voices = []
    for i in range(speech):
        c = speech_clip(np.random.default_rng([seed, 2, i]))
        voices.append(c.audio)
        yield c
    log("  speech done")
    yield from recorded_clips()
    yield from sfx_clips(np.random.default_rng([seed, 3]))
    for _ in range(24):
        yield Clip(knock(rng), "event", "knock", ("knocking", "knocks on wood"), source="numpy knock")
        yield Clip(chirps(rng), "event", "bird", ("a bird chirping", "bird chirps"), source="numpy chirps")
    yield from animal_clips(seed)
    for kind, (concept, names) in NOISE_KINDS.items():
        for i in range(noises_per_kind):
            yield Clip(procedural_noise(kind, i, seed), "noise", concept, names, source=f"numpy {kind}")
    for i in range(noises_per_kind * 2):
        x = noise("crowd", np.random.default_rng([seed, 5, i]), voices)
        yield Clip(x, "noise", "crowd", ("crowd noise", "background chatter", "people talking"), source="babble")


# --- synthetic animal calls (numpy): variety for the classes the train split has few recordings of ----------------
def _tone(f: np.ndarray, harmonics: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    phase = 2 * np.pi * np.cumsum(f) / SAMPLE_RATE
    return sum(
        a * np.sin(k * phase + rng.uniform(0, 6.3))
        for k, a in enumerate(harmonics, start=1)
        if k * f.max() < SAMPLE_RATE * 0.45
    )


def _env(n: int, attack: float, release: float) -> np.ndarray:
    t = np.arange(n) / SAMPLE_RATE
    return np.minimum(1.0, t / max(attack, 1e-3)) * np.minimum(1.0, (n / SAMPLE_RATE - t) / max(release, 1e-3))


def _series(calls: list[np.ndarray], rng: np.random.Generator, gap: tuple[float, float]) -> np.ndarray:
    out = []
    for c in calls:
        out += [c, np.zeros(int(rng.uniform(*gap) * SAMPLE_RATE))]
    return np.concatenate(out[:-1])


def animal_call(kind: str, rng: np.random.Generator) -> np.ndarray:
    """A synthetic call: ``owl`` hoots, ``cuckoo``, ``crow`` caws, ``warble`` (songbird), ``bark``, ``meow``."""
    u = rng.uniform
    if kind == "owl":
        calls = []
        for _ in range(int(rng.integers(2, 5))):
            n = int(u(0.25, 0.7) * SAMPLE_RATE)
            f = np.linspace(u(330, 520), u(280, 450), n)
            calls.append(_tone(f, np.array([1, u(0.05, 0.3), u(0, 0.1)]), rng) * _env(n, 0.06, 0.12))
        return _normalise(_series(calls, rng, (0.15, 0.5)))
    if kind == "cuckoo":
        f1 = u(600, 800)
        calls = []
        for _ in range(int(rng.integers(2, 4))):
            pair = []
            for f0 in (f1, f1 * u(0.78, 0.86)):
                n = int(u(0.15, 0.28) * SAMPLE_RATE)
                pair.append(_tone(np.full(n, f0), np.array([1, 0.15, 0.05]), rng) * _env(n, 0.02, 0.08))
            calls.append(_series(pair, rng, (0.05, 0.12)))
        return _normalise(_series(calls, rng, (0.4, 0.9)))
    if kind == "crow":
        calls = []
        for _ in range(int(rng.integers(2, 5))):
            n = int(u(0.2, 0.45) * SAMPLE_RATE)
            f = np.linspace(u(450, 700), u(350, 550), n) * (1 + 0.03 * rng.standard_normal(n).cumsum() / np.sqrt(n))
            x = _tone(f, 1 / np.arange(1, 25) ** 0.7, rng) + 0.4 * rng.standard_normal(n)
            x = signal.sosfilt(
                signal.butter(2, [u(800, 1300), u(2000, 3500)], "bandpass", fs=SAMPLE_RATE, output="sos"), x
            )
            calls.append(x * _env(n, 0.02, 0.1))
        return _normalise(_series(calls, rng, (0.15, 0.4)))
    if kind == "warble":
        calls = []
        for _ in range(int(rng.integers(3, 10))):
            n = int(u(0.05, 0.3) * SAMPLE_RATE)
            t = np.arange(n) / SAMPLE_RATE
            f = (
                u(2000, 5000)
                + u(200, 1500) * np.sin(2 * np.pi * u(10, 60) * t + u(0, 6))
                + np.linspace(0, u(-1500, 1500), n)
            )
            calls.append(_tone(np.maximum(f, 800), np.array([1, u(0, 0.2)]), rng) * np.hanning(n))
        return _normalise(_series(calls, rng, (0.02, 0.2)))
    if kind == "bark":
        calls = []
        for _ in range(int(rng.integers(1, 4))):
            n = int(u(0.1, 0.25) * SAMPLE_RATE)
            f = np.linspace(u(350, 700), u(250, 450), n)
            x = _tone(f, 1 / np.arange(1, 30) ** u(0.5, 1.0), rng) + u(0.3, 1.0) * rng.standard_normal(n)
            x = signal.sosfilt(
                signal.butter(2, [u(400, 800), u(1500, 3500)], "bandpass", fs=SAMPLE_RATE, output="sos"), x
            )
            calls.append(x * _env(n, 0.005, 0.08) * np.exp(-np.arange(n) / (u(0.05, 0.12) * SAMPLE_RATE)))
        return _normalise(_series(calls, rng, (0.1, 0.3)))
    if kind == "meow":
        n = int(u(0.4, 1.0) * SAMPLE_RATE)
        t = np.linspace(0, 1, n)
        f = u(450, 650) + u(150, 400) * np.sin(np.pi * t ** u(0.6, 1.2))
        x = _tone(f, 1 / np.arange(1, 16) ** 0.8, rng)
        centre = 800 + 1200 * np.sin(np.pi * t)
        x = x + 0.05 * rng.standard_normal(n)
        x = signal.sosfilt(signal.butter(2, [600, 4500], "bandpass", fs=SAMPLE_RATE, output="sos"), x) * (centre / 2000)
        return _normalise(x * _env(n, 0.05, 0.15))
    raise ValueError(kind)


ANIMALS = {
    "owl": ("bird", ("an owl hooting", "owl", "hooting")),
    "cuckoo": ("bird", ("a cuckoo", "cuckoo calls")),
    "crow": ("bird", ("a crow cawing", "crows")),
    "warble": ("bird", ("a songbird", "birdsong", "birds singing")),
    "bark": ("dog", ("a dog barking", "barking")),
    "meow": ("cat", ("a cat meowing", "meowing")),
}


def animal_clips(seed: int, per_kind: int = 16) -> Iterator[Clip]:
    for kind, (concept, names) in ANIMALS.items():
        for i in range(per_kind):
            yield Clip(
                animal_call(kind, np.random.default_rng([seed, 6, i, len(kind)])),
                "event",
                concept,
                names,
                source=f"numpy {kind}",
            )
