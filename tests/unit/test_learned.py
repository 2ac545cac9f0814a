"""The learned backend: training data, network and plugin, on real audio. (Its speed:
bench/separation_speed.py.)"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from audiolasso_corpora.sources import get as get_source
from audiolasso_learned import SAMPLE_RATE, features
from audiolasso_learned import model as net
from audiolasso_learned.backend import WEIGHTS, LearnedBackend
from audiolasso_learned.features import BINS, frames
from audiolasso_learned.inference import MAX_GAIN, query_vectors
from audiolasso_learned.network import Network
from audiolasso_learned.training import effects, sources
from audiolasso_learned.training.bank import Bank
from audiolasso_learned.training.mixtures import INSTRUMENTS, SCENE_WEIGHTS, SCENES, sample
from audiolasso_learned.training.prompts import all_templates, read_phrase
from audiolasso_learned.training.sources import Clip
from serve_app.audio.metrics import si_sdr
from serve_app.audio.resample import resample
from serve_app.backend import SeparationItem, SpanHint
from serve_app.registry import get_backend
from serve_app.understanding import embedding
from serve_app.understanding.reading import read
from support.audio import chord_pad, load_fixture, speech_plus_noise
from support.backends import plan_prompt, separate_prompt
from support.concepts import piano_in_band, piano_then_flute

SONGS_ONLY = tuple(float(scene == "band") for scene in SCENES)  # scene weights: band examples only


def _tone(rng: np.random.Generator, harmonics: int) -> np.ndarray:
    """Held notes with ``harmonics`` partials: a numpy stand-in for one instrument family."""
    n = int(sources.CLIP_S * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    f0 = np.repeat(rng.uniform(80, 800, 10), n // 10 + 1)[:n]
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    x = sum(np.sin(k * phase) / k for k in range(1, harmonics + 1)) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))
    return (x / np.sqrt(np.mean(x**2)) * 0.1).astype(np.float32)


@pytest.fixture(scope="module")
def bank() -> Bank:
    """A tiny bank of every kind. The training bank renders instruments with fluidsynth,
    speech with espeak-ng/festival/flite and reads Debian recordings; a test machine need
    not have those, so this bank stands in with committed recordings and numpy."""
    rng = np.random.default_rng(0)
    n = int(sources.CLIP_S * SAMPLE_RATE)
    out = Bank()
    for song, families in enumerate([INSTRUMENTS[:4], INSTRUMENTS[4:], ("drums", "bass", "brass", "brass")]):
        roles = ("drums", "bass", "chords", "melody") if song < 2 else ("drums", "bass", "call", "response")
        for i, (family, role) in enumerate(zip(families, roles, strict=False)):
            x = _tone(rng, 2 + i)
            if role in ("call", "response"):  # two instruments of one family take turns
                x = x * ((np.arange(n) // SAMPLE_RATE) % 2 == (role == "response"))
            out.add(Clip(x, "stem", family, (f"{family} {role}",), song, role, "numpy"))
    out.add(Clip(_tone(rng, 3), "solo", "piano", ("piano",), source="numpy"))
    talkers = [load_fixture("speech.flac", SAMPLE_RATE), load_fixture("babble.flac", SAMPLE_RATE)]
    for k in range(4):
        out.add(Clip(np.resize(np.roll(talkers[k % 2], 3000 * k), n), "speech", "speech", (), source=f"talker {k % 2}"))
    for kind, (concept, names) in sources.NOISE_KINDS.items():
        out.add(Clip(sources.noise(kind, rng), "noise", concept, names, source=kind))
    out.add(Clip(sources.noise("crowd", rng, [c.audio for c in out.speech]), "noise", "crowd", ("crowd noise",)))
    beep = np.sin(2 * np.pi * 880 * np.arange(n // 4) / SAMPLE_RATE).astype(np.float32)
    out.add(Clip(beep, "event", "alarm", ("a beep",), source="numpy"))
    out.add(Clip(sources.knock(rng), "event", "knock", ("knocking",), source="numpy"))
    out.add(Clip(sources.chirps(rng), "event", "bird", ("a bird chirping",), source="numpy"))
    for kind in ("owl", "bark", "meow"):
        out.add(Clip(sources.animal_call(kind, rng), "event", sources.ANIMALS[kind][0], sources.ANIMALS[kind][1]))
    out.add(Clip(sources.noise("rain", rng), "ambience", "rain", ("rain",)))
    return out


@pytest.fixture(scope="module")
def backend() -> LearnedBackend:
    b = LearnedBackend()
    b.load("cpu")
    return b


def _separate(backend: LearnedBackend, audio: np.ndarray, prompt: str, spans: list[SpanHint] = ()) -> np.ndarray:
    return separate_prompt(backend, audio, prompt, spans)


def test_same_seed_same_mixture(bank):
    a, b, c = sample(bank, 7, 2.0), sample(bank, 7, 2.0), sample(bank, 8, 2.0)
    assert np.array_equal(a.mixture, b.mixture) and np.array_equal(a.target, b.target)
    assert (a.prompt, a.phrase, a.spans) == (b.prompt, b.phrase, b.spans)
    assert not np.array_equal(a.mixture, c.mixture)
    assert len(a.mixture) == 2 * SAMPLE_RATE and np.abs(a.mixture).max() <= 1.0


def test_mixtures_cover_every_scene_and_name_their_target(bank):
    examples = [sample(bank, seed, 2.0) for seed in range(160)]
    assert {e.scene for e in examples} == set(SCENES)
    assert {"speech", "alarm", "singing_voice", "music"} <= {e.concept for e in examples}
    assert any(e.spans for e in examples) and any(not e.spans for e in examples)
    assert any(e.negative for e in examples) and sum(e.negative for e in examples) < 0.2 * len(examples)
    for e in examples:
        assert np.all(np.isfinite(e.mixture)) and np.abs(e.mixture).max() <= 1.0
        assert e.phrase == read_phrase(e.prompt, any(s[2] for s in e.spans))  # what the backend will embed
        assert np.sqrt(np.mean((e.mixture - e.target) ** 2)) > 1e-4  # something else is in the mix
        if e.negative:
            assert not np.any(e.target) and not e.spans
        else:
            assert np.sqrt(np.mean(e.target**2)) > 1e-4
        if e.scene == "marked":
            assert any(s[2] for s in e.spans) or any(not s[2] for s in e.spans)


def test_a_run_can_draw_its_scenes_in_other_proportions(bank):
    examples = [sample(bank, seed, 2.0, SONGS_ONLY) for seed in range(40)]
    assert {e.scene for e in examples} == {"band"}
    assert {e.concept for e in examples if not e.negative} <= set(INSTRUMENTS)
    assert np.array_equal(sample(bank, 7, 2.0).mixture, sample(bank, 7, 2.0, SCENE_WEIGHTS).mixture)


def test_an_instrument_rests_with_and_without_span_hints(bank):
    """A band's target is silent for a stretch in a good share of the examples either way:
    a network that saw rests only beside exclude spans learnt that, with no span hints, the
    named instrument plays throughout (the fixture's call/response parts rest by themselves,
    but rarely are they a band's target)."""
    rests: dict[bool, list[bool]] = {True: [], False: []}
    for seed in range(120):
        e = sample(bank, seed, 2.0, SONGS_ONLY)
        if not e.negative:
            quiet = np.convolve(np.abs(e.target) < 1e-9, np.ones(SAMPLE_RATE // 5), "valid")  # 0.2 s of zeros
            rests[bool(e.spans)].append(bool(quiet.max() >= SAMPLE_RATE // 5))
    assert np.mean(rests[True]) > 0.25 and np.mean(rests[False]) > 0.25


def test_spans_are_correct(bank):
    for seed in range(60):
        e = sample(bank, seed, 2.0)
        hop = SAMPLE_RATE // 100
        frames_db = 10 * np.log10(
            np.mean(e.target[: len(e.target) // hop * hop].reshape(-1, hop) ** 2, 1)
            / (np.max(np.mean(e.target[: len(e.target) // hop * hop].reshape(-1, hop) ** 2, 1)) + 1e-20)
            + 1e-20
        )
        for start, end, include in e.spans:
            seg = frames_db[int(start * 100) : int(end * 100)]
            if include:
                assert np.mean(seg > -40) > 0.5
            else:
                assert seg.max() < -50


def test_training_templates_differ_from_the_corpora():
    from audiolasso_corpora.prompts import TEMPLATES

    def norm(t: str) -> str:
        return re.sub(r"\{\w+\}", "X", t).lower().strip(" ?.!")

    theirs = {norm(t) for split in TEMPLATES.values() for group in split.values() for t in group}
    assert not {norm(t) for t in all_templates()} & theirs


def test_training_material_is_train_split_only():
    from audiolasso_corpora.sources import split_of_file

    for spec, *_ in (*sources.RECORDED, *sources.SOLO):
        assert split_of_file(spec) == "train", spec
    for source_id in (sources.GM_SF2, sources.GS_SF2, *sources.TRAIN_KITS, *sources.TTS_TRAIN):
        assert get_source(source_id).split == "train"
    for spec in (
        "sounds/Oxygen-Im-Phone-Ring.ogg",
        "scratch/Media/Sounds/Animal/Dog1.wav",
        "gcompris-qt/rcc/memory-sound.rcc!gcompris/src/activities/memory-sound/resource/LRBark_3_LA_cut.ogg",
    ):
        with pytest.raises(PermissionError):
            sources._assert_train(spec)


def test_checkpoints_are_chosen_on_the_mean_over_every_case_run():
    from audiolasso_learned.training.select import pooled

    runs = [
        {"music_instrument": {"sdri": 6.0, "n": 2}, "OVERALL": {"sdri": 6.0, "n": 2}},
        {
            "music_instrument": {"sdri": 3.0, "n": 1},
            "sound_event": {"sdri": 9.0, "n": 1},
            "OVERALL": {"sdri": 6.0, "n": 2},
        },
    ]
    assert pooled(runs) == {"music_instrument": 5.0, "OVERALL": 6.0, "sound_event": 9.0}


def test_check_cases_are_a_corpus_the_eval_reads(tmp_path):
    """``check_cases`` writes every clip of a concept over the backgrounds in turn, in the corpus
    format, at the drawn event-to-background ratio (numpy calls and noises here; the command uses
    the bank's recordings, songs and talkers too)."""
    from audiolasso_learned.training import check_cases
    from serve_app.evaluation import load_corpus

    clips = [c for c in sources.animal_clips(1, per_kind=1) if c.concept == "bird"]
    traffic = lambda i: sources.noise("traffic", np.random.default_rng(i), seconds=check_cases.DURATION_S)  # noqa: E731
    made = dict.fromkeys(check_cases.BACKGROUNDS, traffic)
    assert check_cases.write("bird", clips, made, tmp_path, seed=3, log=lambda _: None) == len(clips) > 1
    for case in load_corpus(tmp_path):
        residual = case.mixture.mean(0) - case.target
        sounding = np.abs(case.target) > 1e-3
        ratio_db = 10 * np.log10((case.target[sounding] ** 2).mean() / (residual[sounding] ** 2).mean())
        assert check_cases.RATIO_DB[0] - 0.5 < ratio_db < check_cases.RATIO_DB[1] + 0.5
        assert case.prompt == "isolate the birds" and case.spans  # correct hints: write_case checks them
    # A sound the catalog does not know is asked for by its own name; the others by their label.
    assert check_cases.prompt("other", sources.Clip(clips[0].audio, "event", "other", ("a heartbeat",))) == (
        "isolate a heartbeat"
    )
    laughing = sources.Clip(clips[0].audio, "event", "human", ("people laughing",))
    assert read(check_cases.prompt("human", laughing)).target.concept == "human"  # "the human" is no sound


def test_effects_keep_length_and_level(bank):
    rng = np.random.default_rng(3)
    x = bank.songs[0][1].audio[:SAMPLE_RATE].astype(np.float32)
    for fn in (effects.eq, effects.reverb, effects.distortion, effects.compress):
        y = fn(rng, x)
        assert y.shape == x.shape and np.all(np.isfinite(y)) and 0.05 < np.std(y) / np.std(x) < 20
    rate = effects.rate_change(rng)
    src = np.tile(x, 2)[: effects.source_length(SAMPLE_RATE, rate)]
    assert len(effects.resample(src, rate, SAMPLE_RATE)) == SAMPLE_RATE


def test_network_shapes_and_shipped_size():
    model = net.MaskNet().eval()
    spec = net.stft(torch.randn(2, SAMPLE_RATE))
    with torch.inference_mode():
        mask = model(spec, torch.randn(2, 384), torch.zeros(2, spec.shape[-1]))
    assert mask.shape == (2, BINS, frames(SAMPLE_RATE)) and float(mask.min()) >= 0 and float(mask.max()) <= 1
    assert WEIGHTS.stat().st_size < 50e6
    shipped = net.load(WEIGHTS)
    assert sum(p.numel() for p in shipped.parameters()) == sum(p.numel() for p in model.parameters())


def test_the_service_runs_the_trained_network_in_numpy():
    """The Separator's numpy network and front end compute what the torch module trained."""
    mixture, _, _ = speech_plus_noise(0.0, 2, sr=SAMPLE_RATE)
    audio = np.stack([mixture, 0.1 * mixture[::-1]])
    text = embedding.encode(["the speaker", "the background noise"])
    spans = np.zeros((2, frames(audio.shape[1])), np.float32)
    spans[0, 20:60], spans[1, 100:] = 1.0, -1.0
    spec = features.stft(audio)
    masks = Network(WEIGHTS).masks(spec, text, spans)
    with torch.inference_mode():
        model = net.load(WEIGHTS)
        torch_spec = net.stft(torch.from_numpy(audio))
        torch_masks = model(torch_spec, torch.from_numpy(text), torch.from_numpy(spans)).numpy()
        torch_named = net.istft(torch.from_numpy(torch_masks) * torch_spec, audio.shape[1]).numpy()
    np.testing.assert_allclose(spec, torch_spec.numpy(), atol=2e-4 * np.abs(spec).max())
    np.testing.assert_allclose(masks, torch_masks, atol=1e-4)
    named = features.istft(masks * spec, audio.shape[1])
    assert min(si_sdr(named[i], torch_named[i]) for i in range(2)) > 80


def test_each_job_gets_a_level_from_its_own_masks(backend):
    """Trained scale-invariantly and with negatives, the network answers the suite's numpy
    piano with a well-shaped but near-silent estimate; ``prepare`` scales the job's masks
    until their 99th percentile passes in full, so the user hears the piano."""
    mixture, piano = (resample(a[None], 48000, SAMPLE_RATE)[0].astype(np.float32) for a in piano_in_band(3)[:2])
    _, plan = plan_prompt(backend, "I want just the piano part")
    assert plan.needs_prepare([])  # every job, with span hints or without
    prepared = backend.prepare(mixture, SAMPLE_RATE, plan, [])
    assert 1.0 < prepared.gain <= MAX_GAIN

    def level(p) -> float:
        estimate = backend.separate([SeparationItem(audio=mixture, plan=p)])[0]
        return float(np.sqrt(np.mean(estimate**2) / np.mean(piano**2)))

    assert level(plan) < 0.05 and level(prepared) > 0.2


def test_a_catalog_sound_is_queried_with_its_label_and_an_event_with_its_phrase_alone(backend):
    """The network learnt the names people use; "the fiddle part" is steadied by its concept's
    label ("strings"). An event's phrase says which one ("a puppy yapping"), not its concept's label."""
    (_, fiddle), (_, puppy) = (plan_prompt(backend, p) for p in ("isolate the fiddle part", "keep the puppy yapping"))
    assert (fiddle.concept, puppy.concept) == ("strings", "dog")
    queries = query_vectors([fiddle, puppy])
    phrase, label, puppy_phrase = embedding.encode([fiddle.sound, "strings", puppy.sound])
    query = queries[(fiddle.sound, "strings")]
    assert np.isclose(np.linalg.norm(query), 1.0)
    assert query @ label > phrase @ label + 0.1 and query @ phrase > 0.7  # between the two
    np.testing.assert_allclose(queries[(puppy.sound, "dog")], puppy_phrase, atol=1e-6)


def _flute_over(accompaniment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The suite's flute phrase and ``accompaniment``, equally loud: (mixture, flute)."""
    flute = load_fixture("flute.flac", SAMPLE_RATE)
    flute, accompaniment = (0.1 * a / np.sqrt(np.mean(a**2)) for a in (flute, accompaniment[: len(flute)]))
    return (flute + accompaniment).astype(np.float32), flute


def _with_and_without_the_comb(backend, mixture: np.ndarray, prompt: str) -> tuple[np.ndarray, np.ndarray]:
    _, plan = plan_prompt(backend, prompt)
    plan = backend.prepare(mixture, SAMPLE_RATE, plan, [])
    assert plan.melody and plan.method == "learned-mask+melody-comb"
    plain = plan.model_copy(update={"melody": False})
    return tuple(backend.separate([SeparationItem(audio=mixture, plan=p)])[0] for p in (plan, plain))


def test_one_line_instruments_are_refined_by_their_partials(backend):
    """A flute plays one note at a time: its partials, at the estimate's tracked pitch, taken from
    the mixture, leave the chords out that the network lets through (seeds 1-3: 3.9-4.4 dB from
    the network alone, 7.2-7.8 with the comb). Chords are not: a piano's estimate stays as it was."""
    mixture, flute = _flute_over(chord_pad(4.0, SAMPLE_RATE, np.random.default_rng(1)))
    refined, plain = _with_and_without_the_comb(backend, mixture, "isolate the flute")
    assert si_sdr(refined, flute) > si_sdr(plain, flute) + 2.0
    _, piano = plan_prompt(backend, "isolate the piano")
    assert not piano.melody and piano.method == "learned-mask"


def test_the_comb_does_not_follow_another_melody_the_network_lets_through(backend):
    """Over the suite's piano melody (one line too) the network's flute estimate holds much of
    the piano; summed over its partials, a low note outweighs a high one, and the tracker took the
    piano (2.78 -> 1.05 dB). Averaged over them, it stays with the flute (2.80)."""
    mixture, flute = _flute_over(load_fixture("piano.flac", SAMPLE_RATE))
    refined, plain = _with_and_without_the_comb(backend, mixture, "isolate the flute")
    assert si_sdr(refined, flute) > si_sdr(plain, flute) - 0.5


def test_entry_point_registers_the_backend():
    assert get_backend("learned") is LearnedBackend


def test_separates_the_prompted_source(backend):
    mixture, clean, _ = speech_plus_noise(0.0, 2, sr=SAMPLE_RATE)
    estimate = _separate(backend, mixture, "isolate the speaker")
    assert estimate.shape == mixture.shape
    assert si_sdr(estimate, clean) > si_sdr(mixture, clean) + 3.0
    # "remove the noise" names the noise: its complement is the speech again.
    removed = _separate(backend, mixture, "remove the background noise")
    assert si_sdr(removed, clean) > si_sdr(mixture, clean) + 3.0


def test_spans_change_the_estimate(backend):
    mixture, _, sr, spans = piano_then_flute()
    mixture = resample(mixture, sr, SAMPLE_RATE)
    hints = [SpanHint(**s) for s in spans]
    plain = _separate(backend, mixture, "isolate the piano")
    hinted = _separate(backend, mixture, "isolate the piano", hints)
    change = np.sqrt(np.mean((hinted - plain) ** 2)) / np.sqrt(np.mean(plain**2))
    assert change > 0.05


def test_equal_length_chunks_batch_without_changing_results(backend):
    mixture, _, _ = speech_plus_noise(5.0, 3, sr=SAMPLE_RATE)
    _, plan = plan_prompt(backend, "isolate the speaker")
    items = [
        SeparationItem(mixture[:SAMPLE_RATE], plan),
        SeparationItem(mixture[SAMPLE_RATE : 2 * SAMPLE_RATE], plan),
        SeparationItem(mixture[: SAMPLE_RATE // 2], plan),
    ]
    batched = backend.separate(items)
    assert [len(x) for x in batched] == [SAMPLE_RATE, SAMPLE_RATE, SAMPLE_RATE // 2]
    for item, out in zip(items, batched, strict=True):
        assert np.allclose(backend.separate([item])[0], out, atol=1e-4)


def test_weights_option_loads_another_model(tmp_path):
    other = net.MaskNet()
    net.save(other, tmp_path / "other.safetensors")
    backend = LearnedBackend(options={"weights": str(tmp_path / "other.safetensors")})
    backend.load("cpu")
    shipped = LearnedBackend()
    shipped.load("cpu")
    audio = speech_plus_noise(0.0, 4, sr=SAMPLE_RATE)[0][:SAMPLE_RATE]
    assert not np.allclose(
        _separate(backend, audio, "isolate the speaker"), _separate(shipped, audio, "isolate the speaker")
    )
