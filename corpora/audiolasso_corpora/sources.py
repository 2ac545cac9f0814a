"""The split registry: every raw source the corpora (and later a training bank) may draw from.

Three disjoint splits of raw material:

* ``train``   — what models and dictionaries may learn from (dev's sources are allowed here);
* ``tune``    — what routes and thresholds are chosen on;
* ``heldout`` — only ever scored.

A *source* is one soundfont, one sampled drum kit, one synthesis method, one TTS voice (a speaker),
one recording file, or a whole Debian package of recordings. Each sits in exactly one split.
``group`` names what must not be split further: a speaker heard through two engines, a drum kit
shipped by two packages, a package of recordings. ``check()`` enforces the rules:

1. ids are unique and every source's split is one of the three;
2. every ``group`` lives in one split only;
3. ``tune`` and ``heldout`` use nothing the dev corpus uses (``DEV_PACKAGES``, ``DEV_GROUPS``,
   ``DEV_FILES``);
4. nothing outside ``RESERVED`` refers to reserved material (those are the project's external
   evaluation: never install, render, read or list them as usable).

Procedural noises (white/pink/brown noise, hum, wind, rain, traffic rumble) are code, not raw
material: they are listed in ``PROCEDURAL`` and every split draws them with its own seed range.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

SPLITS = ("train", "tune", "heldout")
KINDS = ("soundfont", "sample_kit", "synthesis", "tts_voice", "speech_recording", "recording")
CLOSED_CONCEPTS = (
    "speech",
    "singing_voice",
    "music",
    "drums",
    "bass",
    "piano",
    "guitar",
    "strings",
    "brass",
    "woodwinds",
    "organ_synth",
    "crowd",
    "traffic",
    "wind",
    "rain",
    "hum",
    "hiss",
    "dog",
    "bird",
    "cat",
    "alarm",
    "knock",
)

# Reserved for the project's external evaluation. Nothing else in this package may name these.
RESERVED = {
    "packages": (
        "timgm6mb-soundfont",
        "musescore-general-soundfont",
        "musescore-general-soundfont-small",
        "musescore-general-soundfont-lossless",
        "libttspico-*",
        "mbrola-*",
        "tuxpaint-stamps-default",
    ),
    "files": ("gcompris-qt/rcc/memory-sound.rcc!gcompris/src/activities/memory-sound/resource/LRBark_3_LA_cut.ogg",),
    # Substrings that must not appear in any usable source's path or voice.
    "names": ("TimGM6mb", "MuseScore_General", "pico2wave", "mbrola", "tuxpaint-stamps", "LRBark_3"),
}

# What the dev corpus (/work/shared/eval/dev) is built from.
DEV_PACKAGES = (
    "fluid-soundfont-gm",
    "fluid-soundfont-gs",
    "fluidr3mono-gm-soundfont",
    "espeak-ng",
    "espeak-ng-data",
    "espeak",
    "festvox-kallpc16k",
    "festvox-kallpc8k",
)
DEV_GROUPS = ("soundfont:fluidr3", "speaker:kal", "engine:espeak")
DEV_FILES = (
    "gcompris-qt/rcc/memory-sound.rcc!gcompris/src/activities/memory-sound/resource/LRBark_1_LA_cut.ogg",
    "gcompris-qt/rcc/memory-sound.rcc!gcompris/src/activities/memory-sound/resource/LRRain_in_garden_01_LA_cut.ogg",
    "gcompris-qt/rcc/explore_farm_animals.rcc!gcompris/src/activities/explore_farm_animals/resource/animals/cat.ogg",
    "gcompris-qt/rcc/melody.rcc!gcompris/src/activities/melody/resource/knock.wav",
    "sounds/freedesktop/stereo/phone-incoming-call.oga",
)

GM_CONCEPTS = ("drums", "bass", "piano", "guitar", "strings", "brass", "woodwinds", "organ_synth")
PROCEDURAL = {
    "white": "hiss",
    "pink": "hiss",
    "brown": "hiss",
    "hum": "hum",
    "wind": "wind",
    "rain": "rain",
    "traffic": "traffic",
}
# Seeds for procedural material never overlap between splits.
SEED_BASE = {"train": 0, "tune": 20_000_000, "heldout": 30_000_000}


@dataclass(frozen=True)
class Source:
    """One raw source.

    ``path``: a file (relative to /usr/share unless absolute; ``BUNDLE.rcc!inner`` for Qt bundles,
    ``FILE.cat#N`` for OpenTTD sample catalogues), a directory, a glob, or a voice name for TTS.
    ``concepts``: the catalogue concepts (or open labels such as ``"cow"``) it can stand for.
    ``extra``: engine details (``engine``, ``role`` = event/background, ``text`` for speech files...).
    """

    id: str
    split: str
    kind: str
    package: str
    path: str
    licence: str
    concepts: tuple[str, ...]
    label: str = ""
    group: str = ""
    extra: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def grp(self) -> str:
        return self.group or f"id:{self.id}"


def _S(id, split, kind, package, path, licence, concepts, label="", group="", **extra) -> Source:
    if isinstance(concepts, str):
        concepts = (concepts,)
    return Source(id, split, kind, package, path, licence, tuple(concepts), label, group, dict(extra))


# --------------------------------------------------------------------------------------------------
# Instruments
# --------------------------------------------------------------------------------------------------
_FLUID = "MIT (Frank Wen, Fluid R3)"
_HYDRO = "/usr/share/hydrogen/data/drumkits/"
INSTRUMENTS = [
    # train: the dev corpus's soundfonts and every other kit / method not held out
    _S(
        "fluidr3_gm",
        "train",
        "soundfont",
        "fluid-soundfont-gm",
        "sounds/sf2/FluidR3_GM.sf2",
        _FLUID,
        GM_CONCEPTS + ("bird", "alarm"),
        "Fluid R3 GM (programs 123 bird tweet, 124 telephone ring: sampled effects)",
        "soundfont:fluidr3",
        engine="fluidsynth",
    ),
    _S(
        "fluidr3_gs",
        "train",
        "soundfont",
        "fluid-soundfont-gs",
        "sounds/sf2/FluidR3_GS.sf2",
        _FLUID,
        ("bird", "dog", "alarm", "knock", "wind", "rain", "water", "engine", "footsteps"),
        "Fluid R3 GS sound-effect banks (bird, dog, telephone, door slam, siren, wind, rain, stream...)",
        "soundfont:fluidr3",
        engine="fluidsynth",
    ),
    _S(
        "fluidr3_mono",
        "train",
        "soundfont",
        "fluidr3mono-gm-soundfont",
        "sounds/sf3/FluidR3Mono_GM.sf3",
        _FLUID,
        GM_CONCEPTS,
        "Fluid R3 Mono (lossy sf3)",
        "soundfont:fluidr3",
        engine="fluidsynth",
    ),
    _S(
        "h2_audiophob",
        "train",
        "sample_kit",
        "hydrogen-drumkits",
        _HYDRO + "Audiophob",
        "CC0-1.0",
        "drums",
        "Hydrogen kit Audiophob",
        engine="hydrogen",
    ),
    _S(
        "h2_bja_pacific",
        "train",
        "sample_kit",
        "hydrogen-drumkits",
        _HYDRO + "BJA_Pacific",
        "CC-BY-SA-3.0-us (Luc Tunguay)",
        "drums",
        "Hydrogen kit BJA_Pacific",
        engine="hydrogen",
    ),
    _S(
        "h2_electric_empire",
        "train",
        "sample_kit",
        "hydrogen-drumkits",
        _HYDRO + "ElectricEmpireKit",
        "GPL-2+ (Artemiy Pavlov)",
        "drums",
        "Hydrogen kit ElectricEmpireKit",
        engine="hydrogen",
    ),
    _S(
        "h2_forzee",
        "train",
        "sample_kit",
        "hydrogen-drumkits",
        _HYDRO + "ForzeeStereo",
        "GPL-2 (V. Sadovnikov, A. Belokurov)",
        "drums",
        "Hydrogen kit ForzeeStereo",
        engine="hydrogen",
    ),
    _S(
        "h2_hardelectro",
        "train",
        "sample_kit",
        "hydrogen-drumkits",
        _HYDRO + "HardElectro1",
        "GPL-2+ (Artemiy Pavlov)",
        "drums",
        "Hydrogen kit HardElectro1",
        engine="hydrogen",
    ),
    _S(
        "h2_millo_v1",
        "train",
        "sample_kit",
        "hydrogen-drumkits",
        _HYDRO + "Millo-Drums_v.1",
        "GPL-2 (Emiliano Grilli)",
        "drums",
        "Hydrogen kit Millo-Drums v.1",
        engine="hydrogen",
    ),
    _S(
        "h2_varibreaks",
        "train",
        "sample_kit",
        "hydrogen-drumkits",
        _HYDRO + "VariBreaks",
        "GPL-2+ (Artemiy Pavlov)",
        "drums",
        "Hydrogen kit VariBreaks",
        engine="hydrogen",
    ),
    _S(
        "h2_circafrique",
        "train",
        "sample_kit",
        "hydrogen-drumkits",
        _HYDRO + "circAfrique v4",
        "CC-BY-SA-3.0 (Jim Harney)",
        "drums",
        "Hydrogen kit circAfrique v4",
        engine="hydrogen",
    ),
    _S(
        "h2_rumpf",
        "train",
        "sample_kit",
        "hydrogen-drumkits",
        _HYDRO + "rumpf_kit_z01_h2",
        "CC-BY-3.0 (Emanuel Rumpf)",
        "drums",
        "Hydrogen kit rumpf_kit_z01",
        engine="hydrogen",
    ),
    _S(
        "synth_additive",
        "train",
        "synthesis",
        "",
        "audiolasso_corpora.synth:additive",
        "own code",
        ("strings", "organ_synth", "brass", "woodwinds"),
        "additive synthesis (random partial spectra, vibrato)",
    ),
    _S(
        "synth_subtractive",
        "train",
        "synthesis",
        "",
        "audiolasso_corpora.synth:subtractive",
        "own code",
        ("bass", "organ_synth", "brass"),
        "subtractive synthesis (saw/square + resonant low-pass)",
    ),
    _S(
        "synth_drum_machine",
        "train",
        "synthesis",
        "",
        "audiolasso_corpora.synth:drum_machine",
        "own code",
        "drums",
        "analogue-style drum machine (swept-sine kicks and toms, noise snares, claps, metallic hats)",
    ),
    # tune
    _S(
        "opl3_fm",
        "tune",
        "soundfont",
        "opl3-soundfont",
        "sounds/sf2/OPL-3_FM_128M.sf2",
        "CC-BY-SA-4.0 (Zandro Reveille)",
        GM_CONCEPTS,
        "OPL-3 FM 128M (OPL3 chip emulation)",
        engine="fluidsynth",
    ),
    _S(
        "h2_colombo",
        "tune",
        "sample_kit",
        "hydrogen-drumkits",
        _HYDRO + "ColomboAcousticDrumkit",
        "GPL-2+ (Marcos Guglielmetti)",
        "drums",
        "Hydrogen kit ColomboAcousticDrumkit",
        engine="hydrogen",
    ),
    _S(
        "h2_millo_ml2",
        "tune",
        "sample_kit",
        "hydrogen-drumkits",
        _HYDRO + "Millo_MultiLayered2",
        "GPL-2 (Emiliano Grilli)",
        "drums",
        "Hydrogen kit Millo_MultiLayered2",
        "kit:millo_ml",
        engine="hydrogen",
    ),
    _S(
        "h2_millo_ml3",
        "tune",
        "sample_kit",
        "hydrogen-drumkits",
        _HYDRO + "Millo_MultiLayered3",
        "GPL-2 (Emiliano Grilli)",
        "drums",
        "Hydrogen kit Millo_MultiLayered3",
        "kit:millo_ml",
        engine="hydrogen",
    ),
    _S(
        "synth_fm",
        "tune",
        "synthesis",
        "",
        "audiolasso_corpora.synth:fm",
        "own code",
        ("piano", "bass", "brass", "organ_synth", "woodwinds"),
        "two/three-operator FM synthesis, random ratios/indices",
    ),
    # heldout
    _S(
        "csound_gmbank",
        "heldout",
        "soundfont",
        "csound-soundfont",
        "sounds/sf2/sf_GMbank.sf2",
        "LGPL-2.1+ (Csound)",
        GM_CONCEPTS,
        "Csound sf_GMbank",
        engine="fluidsynth",
    ),
    _S(
        "freepats",
        "heldout",
        "soundfont",
        "freepats",
        "/etc/timidity/freepats.cfg",
        "GPL-2+ with composition exception (freepats.opensrc.org)",
        GM_CONCEPTS,
        "FreePats GUS patches (TiMidity++)",
        engine="timidity",
    ),
    _S(
        "avl_black_pearl",
        "heldout",
        "soundfont",
        "avldrums.lv2-soundfont",
        "sounds/sf2/Black_Pearl_4_LV2.sf2",
        "CC-BY-SA-3.0 (Glen MacArthur)",
        "drums",
        "AVL Black Pearl 4pc kit",
        "kit:glen_macarthur",
        engine="fluidsynth",
    ),
    _S(
        "avl_red_zeppelin",
        "heldout",
        "soundfont",
        "avldrums.lv2-soundfont",
        "sounds/sf2/Red_Zeppelin_4_LV2.sf2",
        "CC-BY-SA-3.0 (Glen MacArthur)",
        "drums",
        "AVL Red Zeppelin 4pc kit",
        "kit:glen_macarthur",
        engine="fluidsynth",
    ),
    _S(
        "h2_black_pearl",
        "heldout",
        "sample_kit",
        "hydrogen-drumkits",
        _HYDRO + "The Black Pearl 1.0",
        "GPL-2 (Glen MacArthur)",
        "drums",
        "Hydrogen kit The Black Pearl (same kit as AVL Black Pearl)",
        "kit:glen_macarthur",
        engine="hydrogen",
    ),
    _S(
        "synth_karplus_strong",
        "heldout",
        "synthesis",
        "",
        "audiolasso_corpora.synth:karplus_strong",
        "own code",
        ("guitar", "bass"),
        "Karplus-Strong plucked strings (random damping, pick position, body filter)",
    ),
    _S(
        "synth_modal",
        "heldout",
        "synthesis",
        "",
        "audiolasso_corpora.synth:modal",
        "own code",
        ("piano", "organ_synth"),
        "modal synthesis: stiff-string partials with hammer excitation, mallet bars",
    ),
]

# --------------------------------------------------------------------------------------------------
# Voices (a speaker is one group, whatever engine speaks it)
# --------------------------------------------------------------------------------------------------
_FEST = "X11-style (CSTR Edinburgh / CMU), see /usr/share/doc/festival/copyright"
_FLITE = "BSD-style (CMU), see /usr/share/doc/flite/copyright"
VOICES = [
    # train: everything dev uses, and the rest of what is installable and not held out
    _S(
        "espeak_ng",
        "train",
        "tts_voice",
        "espeak-ng",
        "*",
        "GPL-3+",
        "speech",
        "espeak-ng, every voice and variant",
        "engine:espeak",
        engine="espeak-ng",
    ),
    _S(
        "espeak_classic",
        "train",
        "tts_voice",
        "espeak",
        "*",
        "GPL-3+",
        "speech",
        "classic espeak (same lineage)",
        "engine:espeak",
        engine="espeak",
    ),
    _S(
        "festival_kal16",
        "train",
        "tts_voice",
        "festvox-kallpc16k",
        "voice_kal_diphone",
        _FEST,
        "speech",
        "festival kal (US male diphone)",
        "speaker:kal",
        engine="festival",
        lang="en",
    ),
    _S(
        "festival_kal8",
        "train",
        "tts_voice",
        "festvox-kallpc8k",
        "voice_kal_diphone",
        _FEST,
        "speech",
        "festival kal 8 kHz",
        "speaker:kal",
        engine="festival",
        lang="en",
    ),
    _S(
        "flite_kal",
        "train",
        "tts_voice",
        "flite",
        "kal",
        _FLITE,
        "speech",
        "flite kal (same diphones as festival kal)",
        "speaker:kal",
        engine="flite",
        lang="en",
    ),
    _S(
        "flite_kal16",
        "train",
        "tts_voice",
        "flite",
        "kal16",
        _FLITE,
        "speech",
        "flite kal16",
        "speaker:kal",
        engine="flite",
        lang="en",
    ),
    _S(
        "flite_awb_time",
        "train",
        "tts_voice",
        "flite",
        "awb_time",
        _FLITE,
        "speech",
        "flite awb talking clock",
        "speaker:awb_time",
        engine="flite",
        lang="en",
    ),
    _S(
        "festival_ru",
        "train",
        "tts_voice",
        "festvox-ru",
        "voice_msu_ru_nsh_clunits",
        "GPL-2+ / festvox",
        "speech",
        "festival Russian male",
        engine="festival",
        lang="ru",
    ),
    _S(
        "festival_hi",
        "train",
        "tts_voice",
        "festvox-hi-nsk",
        "voice_nsk_hi_ddc_clunits",
        "festvox",
        "speech",
        "festival Hindi male",
        "speaker:nsk",
        engine="festival",
        lang="hi",
    ),
    _S(
        "festival_mr",
        "train",
        "tts_voice",
        "festvox-mr-nsk",
        "voice_nsk_mr_ddc_clunits",
        "festvox",
        "speech",
        "festival Marathi male",
        "speaker:nsk",
        engine="festival",
        lang="mr",
    ),
    _S(
        "festival_te",
        "train",
        "tts_voice",
        "festvox-te-nsk",
        "voice_nsk_te_ddc_clunits",
        "festvox",
        "speech",
        "festival Telugu male",
        "speaker:nsk",
        engine="festival",
        lang="te",
    ),
    # tune
    _S(
        "festival_ked",
        "tune",
        "tts_voice",
        "festvox-kdlpc16k",
        "voice_ked_diphone",
        _FEST,
        "speech",
        "festival ked (US male diphone)",
        "speaker:ked",
        engine="festival",
        lang="en",
        sex="m",
    ),
    _S(
        "festival_ked8",
        "tune",
        "tts_voice",
        "festvox-kdlpc8k",
        "voice_ked_diphone",
        _FEST,
        "speech",
        "festival ked 8 kHz (not used: same speaker)",
        "speaker:ked",
        engine="festival",
        lang="en",
        sex="m",
    ),
    _S(
        "flite_awb",
        "tune",
        "tts_voice",
        "flite",
        "awb",
        _FLITE,
        "speech",
        "flite awb (Scottish English male)",
        "speaker:awb",
        engine="flite",
        lang="en",
        sex="m",
    ),
    _S(
        "festival_cz_dita",
        "tune",
        "tts_voice",
        "festvox-czech-dita",
        "voice_czech_dita",
        "GPL-3+ (Brailcom)",
        "speech",
        "festival Czech female (dita)",
        engine="festival",
        lang="cs",
        sex="f",
    ),
    _S(
        "festival_cz_machac",
        "tune",
        "tts_voice",
        "festvox-czech-machac",
        "voice_czech_machac",
        "GPL-2+ (Brailcom)",
        "speech",
        "festival Czech male (machac)",
        engine="festival",
        lang="cs",
        sex="m",
    ),
    _S(
        "festival_it_lp",
        "tune",
        "tts_voice",
        "festvox-italp16k",
        "voice_lp_diphone",
        "GPL-2+ (ISTC-CNR)",
        "speech",
        "festival Italian female (lp)",
        engine="festival",
        lang="it",
        sex="f",
    ),
    _S(
        "festival_it_pc",
        "tune",
        "tts_voice",
        "festvox-itapc16k",
        "voice_pc_diphone",
        "GPL-2+ (ISTC-CNR)",
        "speech",
        "festival Italian male (pc)",
        engine="festival",
        lang="it",
        sex="m",
    ),
    # heldout
    _S(
        "festival_slt_hts",
        "heldout",
        "tts_voice",
        "festvox-us-slt-hts",
        "voice_cmu_us_slt_arctic_hts",
        "BSD-3-clause (HTS) + EST licences",
        "speech",
        "festival HTS slt (US female)",
        "speaker:slt",
        engine="festival",
        lang="en",
        sex="f",
    ),
    _S(
        "flite_slt",
        "heldout",
        "tts_voice",
        "flite",
        "slt",
        _FLITE,
        "speech",
        "flite slt (same speaker as HTS slt)",
        "speaker:slt",
        engine="flite",
        lang="en",
        sex="f",
    ),
    _S(
        "flite_rms",
        "heldout",
        "tts_voice",
        "flite",
        "rms",
        _FLITE,
        "speech",
        "flite rms (US male)",
        "speaker:rms",
        engine="flite",
        lang="en",
        sex="m",
    ),
    _S(
        "festival_cz_krb",
        "heldout",
        "tts_voice",
        "festvox-czech-krb",
        "voice_czech_krb",
        "GPL-2+ (Brailcom)",
        "speech",
        "festival Czech child male (krb)",
        engine="festival",
        lang="cs",
        sex="m",
    ),
    _S(
        "festival_cz_ph",
        "heldout",
        "tts_voice",
        "festvox-czech-ph",
        "voice_czech_ph",
        "GPL-2+ (Brailcom)",
        "speech",
        "festival Czech male (ph)",
        engine="festival",
        lang="cs",
        sex="m",
    ),
    _S(
        "festival_fi_lj",
        "heldout",
        "tts_voice",
        "festvox-suopuhe-lj",
        "voice_suo_fi_lj_diphone",
        "LGPL-2.1+ (Suopuhe)",
        "speech",
        "festival Finnish female (lj)",
        engine="festival",
        lang="fi",
        sex="f",
    ),
    _S(
        "festival_fi_mv",
        "heldout",
        "tts_voice",
        "festvox-suopuhe-mv",
        "voice_hy_fi_mv_diphone",
        "LGPL-2.1+ (Suopuhe)",
        "speech",
        "festival Finnish male (mv)",
        engine="festival",
        lang="fi",
        sex="m",
    ),
    _S(
        "festival_ca_ona",
        "heldout",
        "tts_voice",
        "festvox-ca-ona-hts",
        "voice_upc_ca_ona_hts",
        "LGPL-2.1+ / BSD-3-clause (UPC)",
        "speech",
        "festival Catalan female HTS (ona)",
        engine="festival",
        lang="ca",
        sex="f",
    ),
    _S(
        "asterisk_allison_en",
        "heldout",
        "speech_recording",
        "asterisk-core-sounds-en-g722",
        "asterisk/sounds/en_US_f_Allison/*.g722",
        "CC-BY-SA-3.0 (Digium, voice: Allison Smith)",
        "speech",
        "real recorded US English female prompts (Allison Smith), 16 kHz G.722",
        "speaker:allison",
        engine="asterisk",
        lang="en",
        sex="f",
    ),
    _S(
        "asterisk_allison_other",
        "heldout",
        "speech_recording",
        "asterisk-core-sounds-en / -en-wav / -en-gsm / -es*",
        "asterisk/sounds/*Allison*",
        "CC-BY-SA-3.0",
        "speech",
        "same speaker in other encodings/languages (not used)",
        "speaker:allison",
        engine="asterisk",
    ),
]

# --------------------------------------------------------------------------------------------------
# Recordings (events and backgrounds)
# --------------------------------------------------------------------------------------------------
_GC = "gcompris-qt/rcc/"
_GC_FARM = _GC + "explore_farm_animals.rcc!gcompris/src/activities/explore_farm_animals/resource/animals/"
_GC_LIC = "GPL-3+ (GCompris)"
_OSFX = "games/openttd/baseset/opensfx/opensfx.cat#"
_OSFX_LIC = "CC-BY-SA-3.0 as a collection (items CC-BY-3.0 / CC0-1.0; OpenSFX)"
_MT = "games/minetest/games/minetest_game/mods/"
_MT_LIC = "CC-BY-SA-3.0 (Minetest Game; doors sounds CC0-1.0)"
_SCR = "scratch/Media/Sounds/"
_SCR_LIC = "CC-BY-SA-3.0 (MIT Scratch 1.4 media library)"
_LOM = "sounds/lomiri/ringtones/"
_H2GAH = _HYDRO + "Gimme A Hand 1.0/"

RECORDINGS = [
    # train: whole packages (dev's gcompris files and freedesktop ring included; reserved files excluded)
    _S(
        "gcompris_rest",
        "train",
        "recording",
        "gcompris-qt-data",
        _GC + "*.rcc",
        "GPL-3+ / Free Art License (GCompris)",
        ("dog", "cat", "knock", "rain", "crowd", "music", "alarm", "engine", "train", "water", "door", "gong"),
        "GCompris sounds not assigned to tune (includes dev's files)",
        exclude_split="tune",
    ),
    _S(
        "freedesktop",
        "train",
        "recording",
        "sound-theme-freedesktop",
        "sounds/freedesktop/stereo/*.oga",
        "GPL-2+ / CC-BY-3.0 / CC-BY-SA-3.0",
        ("alarm", "bell"),
        "freedesktop sound theme",
        "pkg:sound-theme-freedesktop",
    ),
    _S(
        "yaru_sounds",
        "train",
        "recording",
        "yaru-theme-sound",
        "sounds/Yaru/stereo/*.oga",
        "CC-BY-SA-4.0",
        "alarm",
        "Yaru sound theme",
        "pkg:yaru-theme-sound",
    ),
    _S(
        "deepin_sounds",
        "train",
        "recording",
        "deepin-sound-theme",
        "sounds/deepin/stereo/*.wav",
        "GPL-3+",
        "alarm",
        "Deepin sound theme",
        "pkg:deepin-sound-theme",
    ),
    _S(
        "lmms_samples",
        "train",
        "recording",
        "lmms-common",
        "lmms/samples/**",
        "GPL-2+ and others (LMMS)",
        ("drums", "bass", "piano", "guitar", "strings", "brass", "woodwinds", "organ_synth", "crowd"),
        "LMMS sample library",
        "pkg:lmms-common",
    ),
    _S(
        "h2_gimme_a_hand",
        "heldout",
        "recording",
        "hydrogen-drumkits",
        _H2GAH + "CajonThumps-*.wav",
        "GPL-2 (Glen MacArthur)",
        "knock",
        "cajon thumps (knuckle/hand on a wooden box), played as door knocks",
        "kit:glen_macarthur",
        role="event",
        knock=True,
    ),
]

# tune: GCompris farm animals (files dev does not use), OpenSFX, Oxygen and Minetest Game sounds
for name, concept, label in [
    ("dog", "dog", "dog barking"),
    ("owl", "bird", "owl hooting"),
    ("chickens", "chicken", "chickens clucking"),
    ("cow", "cow", "cow mooing"),
    ("duck", "duck", "duck quacking"),
    ("horse", "horse", "horse neighing"),
    ("pig", "pig", "pig grunting"),
    ("sheep", "sheep", "sheep bleating"),
]:
    RECORDINGS.append(
        _S(
            f"gc_farm_{name}",
            "tune",
            "recording",
            "gcompris-qt-data",
            f"{_GC_FARM}{name}.ogg",
            _GC_LIC,
            concept,
            label,
            role="event",
        )
    )
for idx, concept, label, role in [
    (66, "bird", "tropical bird calls (1)", "event"),
    (72, "bird", "tropical bird calls (2)", "event"),
    (37, "cow", "cow mooing", "event"),
    (36, "sheep", "sheep bleating", "event"),
    (38, "horse", "horse neighing", "event"),
    (67, "lion", "lion roaring", "event"),
    (68, "monkey", "monkeys screeching", "event"),
    (35, "car horn", "car horn", "event"),
    (6, "ship horn", "ship horn", "event"),
    (3, "factory whistle", "factory whistle", "event"),
    (14, "alarm", "level-crossing bells", "event"),
    (56, "chainsaw", "chainsaw", "event"),
    (33, "jackhammer", "jackhammer", "event"),
    (24, "helicopter", "helicopter", "event"),
    (29, "crowd", "audience applause", "background"),
    (52, "wind", "wind", "background"),
    (57, "wind", "heavy wind", "background"),
    (27, "traffic", "bus approaching and leaving", "background"),
    (25, "traffic", "truck starting and pulling away", "background"),
]:
    RECORDINGS.append(
        _S(
            f"opensfx_{idx:02d}",
            "tune",
            "recording",
            "openttd-opensfx",
            f"{_OSFX}{idx}",
            _OSFX_LIC,
            concept,
            label,
            "pkg:openttd-opensfx",
            role=role,
        )
    )
RECORDINGS += [
    _S(
        "oxygen_phone_ring",
        "tune",
        "recording",
        "oxygen-sounds",
        "sounds/Oxygen-Im-Phone-Ring.ogg",
        "LGPL-3.0-or-later (KDE Oxygen)",
        "alarm",
        "phone ringing (Oxygen)",
        "pkg:oxygen-sounds",
        role="event",
    ),
    _S(
        "mt_wood_chop",
        "tune",
        "recording",
        "minetest-data",
        _MT + "default/sounds/default_dig_choppy.*.ogg",
        _MT_LIC,
        "knock",
        "knuckle-like hits on wood, played as door knocks",
        "pkg:minetest-data",
        role="event",
        knock=True,
    ),
    _S(
        "mt_door",
        "tune",
        "recording",
        "minetest-data",
        _MT + "doors/sounds/doors_door_close.ogg",
        "CC0-1.0",
        "door",
        "door closing",
        "pkg:minetest-data",
        role="event",
    ),
    _S(
        "mt_water",
        "tune",
        "recording",
        "minetest-data",
        _MT + "env_sounds/sounds/env_sounds_water.*.ogg",
        _MT_LIC,
        "water",
        "flowing water",
        "pkg:minetest-data",
        role="background",
    ),
]

# heldout: the whole Scratch 1.4 media library, Lomiri ringtones, Glen MacArthur's hand-percussion kit (above)
for rel, concept, label, role in [
    ("Animal/Dog1.wav", "dog", "dog bark (small dog)", "event"),
    ("Animal/Dog2.wav", "dog", "dog bark", "event"),
    ("Animal/WolfHowl.wav", "wolf", "wolf howling", "event"),
    ("Animal/Cat.mp3", "cat", "cat meow", "event"),
    ("Animal/Meow.wav", "cat", "cat meowing", "event"),
    ("Animal/Kitten.wav", "cat", "kitten mewing", "event"),
    ("Animal/Bird.wav", "bird", "bird chirp", "event"),
    ("Animal/Owl.wav", "bird", "owl hooting", "event"),
    ("Animal/Duck.wav", "duck", "duck quacking", "event"),
    ("Animal/Goose.wav", "goose", "goose honking", "event"),
    ("Animal/Rooster.wav", "rooster", "rooster crowing", "event"),
    ("Animal/Horse.wav", "horse", "horse neighing", "event"),
    ("Animal/SeaLion.mp3", "sea lion", "sea lion barking", "event"),
    ("Animal/Crickets.wav", "crickets", "crickets chirping", "background"),
    ("Effects/BellToll.wav", "bell", "church bell tolling", "event"),
    ("Effects/DoorClose.mp3", "door", "door slamming", "event"),
    ("Effects/WaterRunning.mp3", "water", "running water", "event"),
    ("Human/BabyCry.mp3", "baby", "baby crying", "event"),
    ("Effects/CarPassing.wav", "traffic", "car passing", "background"),
    ("Effects/MotorcyclePassing.wav", "traffic", "motorcycle passing", "background"),
    ("Human/PartyNoise.wav", "crowd", "party crowd", "background"),
]:
    stem = rel.split("/")[-1].rsplit(".", 1)[0].lower()
    RECORDINGS.append(
        _S(
            f"scratch_{stem}",
            "heldout",
            "recording",
            "scratch",
            _SCR + rel,
            _SCR_LIC,
            concept,
            label,
            "pkg:scratch",
            role=role,
        )
    )
RECORDINGS += [
    _S(
        "scratch_rest",
        "heldout",
        "recording",
        "scratch",
        _SCR + "**",
        _SCR_LIC,
        ("music", "singing_voice"),
        "the rest of the Scratch media library (not used by the corpora)",
        "pkg:scratch",
    ),
    _S(
        "lomiri_alarm_clock",
        "heldout",
        "recording",
        "lomiri-sounds",
        _LOM + "Alarm clock.ogg",
        "CC-BY-SA-3.0 (Canonical)",
        "alarm",
        "alarm clock ringing",
        "pkg:lomiri-sounds",
        role="event",
    ),
    _S(
        "lomiri_alarm_synth",
        "heldout",
        "recording",
        "lomiri-sounds",
        _LOM + "Alarm synth.ogg",
        "CC-BY-SA-3.0 (Canonical)",
        "alarm",
        "electronic alarm beeping",
        "pkg:lomiri-sounds",
        role="event",
    ),
    _S(
        "lomiri_rest",
        "heldout",
        "recording",
        "lomiri-sounds",
        "sounds/lomiri/**",
        "CC-BY-3.0 / CC-BY-4.0 / CC-BY-SA-3.0 / CC0",
        ("alarm", "music"),
        "the rest of the Lomiri sounds (not used by the corpora)",
        "pkg:lomiri-sounds",
    ),
]

REGISTRY: tuple[Source, ...] = tuple(INSTRUMENTS + VOICES + RECORDINGS)
_BY_ID = {s.id: s for s in REGISTRY}


def get(source_id: str) -> Source:
    return _BY_ID[source_id]


def sources(split: str, kind: str | None = None, concept: str | None = None) -> list[Source]:
    """Sources of ``split``, optionally only of ``kind`` and carrying ``concept``."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; one of {SPLITS}")
    return [
        s
        for s in REGISTRY
        if s.split == split and (kind is None or s.kind == kind) and (concept is None or concept in s.concepts)
    ]


def is_reserved(package: str = "", path: str = "") -> bool:
    """True when ``package`` or ``path`` is (or names) reserved evaluation material."""
    if package and any(fnmatch.fnmatch(package, pat) for pat in RESERVED["packages"]):
        return True
    text = f"{package} {path}"
    return any(name.lower() in text.lower() for name in RESERVED["names"]) or path in RESERVED["files"]


def check(registry: tuple[Source, ...] = REGISTRY) -> None:
    """Raise ``AssertionError`` when the registry breaks a split rule (see the module docstring)."""
    ids = [s.id for s in registry]
    assert len(ids) == len(set(ids)), "duplicate source ids"
    group_split: dict[str, str] = {}
    for s in registry:
        assert s.split in SPLITS, f"{s.id}: bad split {s.split}"
        assert s.kind in KINDS, f"{s.id}: bad kind {s.kind}"
        assert s.licence, f"{s.id}: licence missing"
        assert not is_reserved(s.package, s.path), f"{s.id}: refers to reserved material"
        prev = group_split.setdefault(s.grp, s.split)
        assert prev == s.split, f"group {s.grp} is in both {prev} and {s.split}"
        if s.split in ("tune", "heldout"):
            assert not any(fnmatch.fnmatch(s.package, p) for p in DEV_PACKAGES), f"{s.id}: dev package {s.package}"
            assert s.grp not in DEV_GROUPS, f"{s.id}: dev group {s.grp}"
            assert s.path not in DEV_FILES, f"{s.id}: dev file {s.path}"
            assert "*" not in s.path or s.group.startswith(("pkg:", "kit:", "speaker:")), (
                f"{s.id}: a glob in tune/heldout must cover a whole package, kit or speaker"
            )
    # packages that are whole-package groups may not have members in another split
    whole = {s.package: s.split for s in registry if s.group == f"pkg:{s.package}"}
    for s in registry:
        if s.package in whole:
            assert whole[s.package] == s.split, f"{s.id}: package {s.package} belongs to {whole[s.package]}"
    # train's catch-all gcompris entry must not claim files assigned to tune (it excludes them by rule)
    tune_gc = {s.path for s in registry if s.package == "gcompris-qt-data" and s.split != "train"}
    assert not tune_gc & set(DEV_FILES), "a dev gcompris file is assigned outside train"


def split_of_file(path: str) -> str | None:
    """Which split a concrete file belongs to (None: not registered). Reserved files -> 'reserved'."""
    if is_reserved(path=path):
        return "reserved"
    files = [s for s in REGISTRY if s.kind in ("recording", "speech_recording", "sample_kit", "soundfont")]
    exact = [s for s in files if s.path == path]
    if exact:
        return exact[0].split
    best: tuple[int, str] | None = None
    for s in files:
        pat = s.path.replace("**", "*")
        hit = ("*" in pat and fnmatch.fnmatch(path, pat)) or path.startswith(s.path.rstrip("/") + "/")
        if hit and (best is None or len(s.path) > best[0]):
            best = (len(s.path), s.split)
    if best:
        return best[1]
    if path.startswith("gcompris-qt/rcc/"):
        return "train"  # every GCompris file not assigned to tune
    return None


check()


def table() -> str:
    """The registry as a Markdown table (split, kind, id, package, path/voice, concepts, licence)."""
    rows = ["| split | kind | id | package | path / voice | concepts | licence |", "|---|---|---|---|---|---|---|"]
    for split in SPLITS:
        for s in sources(split):
            rows.append(
                f"| {s.split} | {s.kind} | `{s.id}` | {s.package or '-'} | `{s.path}` | "
                f"{', '.join(s.concepts)} | {s.licence} |"
            )
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
