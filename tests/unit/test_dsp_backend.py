"""The built-in ``dsp`` backend: how it reads prompts, how well each sound family
separates (SI-SDR improvement on synthesized mixtures), span hints, alignment."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import signal

from audiolasso_dsp import spans
from audiolasso_dsp.backend import DSPBackend
from serve_app.audio.metrics import si_sdr
from serve_app.backend import Plan, SeparationItem, SpanHint, UnsupportedPrompt
from serve_app.registry import backends
from support import REPO
from support import concepts as ca
from support.audio import drums_plus_tones, load_audio, speech_plus_noise
from support.backends import plan_prompt, separate_prompt


def run(backend: DSPBackend, prompt: str, audio: np.ndarray, spans: list[dict] = ()) -> np.ndarray:
    return separate_prompt(backend, audio, prompt, [SpanHint.model_validate(s) for s in spans])


def gain(estimate: np.ndarray, mixture: np.ndarray, reference: np.ndarray) -> float:
    return si_sdr(estimate, reference) - si_sdr(mixture, reference)


def best_lag(estimate: np.ndarray, reference: np.ndarray) -> int:
    corr = signal.correlate(estimate, reference, mode="full", method="fft")
    return int(signal.correlation_lags(len(estimate), len(reference))[np.argmax(corr)])


def test_registered_through_the_entry_point():
    cls = backends()["dsp"]
    assert cls is DSPBackend
    info = cls.info
    assert info.sample_rate == 48000 and info.capabilities.text and info.capabilities.spans
    assert info.max_batch_size == 8 and info.resources.num_cpus == 1


@pytest.mark.parametrize(
    "prompt, concept, inverted, method",
    [
        ("remove crowd noise and keep the speaker", "speech", False, "deepfilternet3"),
        ("pull out the lead vocals", "singing_voice", False, "deepfilternet3"),
        ("drop the voice, I only need the backing track", "music", False, "deepfilternet3-complement-above-floor"),
        ("remove the speaker", "speech", True, "deepfilternet3"),
        ("isolate the drums", "drums", False, "hpss-percussive"),
        ("remove the drums", "drums", True, "hpss-percussive"),
        ("extract the bass line", "bass", False, "hpss-harmonic-lowpass"),
        ("separate the piano from the rest of the song", "piano", False, "nmf-dictionary-piano"),
        ("isolate the violin", "strings", False, "nmf-dictionary-strings"),
        (
            "pull the barking dog out of this street noise",
            "dog",
            False,
            "foreground-without-voice+self-marked-dictionary",
        ),
        ("isolate the phone ringing", "alarm", False, "tonal-peaks-without-voice+self-marked-dictionary"),
        ("extract the knocking on the door", "knock", False, "percussive-non-voice+self-marked-dictionary"),
        ("isolate the helicopter", "vehicle", False, "foreground-without-voice+self-marked-dictionary"),
        ("isolate the baby crying", "human", False, "foreground-without-voice+self-marked-dictionary"),
        ("remove the hum", "hum", True, "mains-hum-partials"),
        ("remove the traffic noise", "traffic", True, "steady-background"),
        ("clean this", "hiss", True, "steady-background"),
    ],
)
def test_plan(dsp_backend, prompt, concept, inverted, method):
    reading, plan = plan_prompt(dsp_backend, prompt)
    assert (plan.concept, reading.inverted, plan.method) == (concept, inverted, method)
    assert plan.sound == reading.target.phrase
    assert type(plan).model_validate_json(plan.model_dump_json()) == plan  # stored with the job


def test_plan_names_the_method_used_with_spans(dsp_backend):
    spans = [SpanHint(start=0, end=1)]
    assert plan_prompt(dsp_backend, "keep only the speaker I marked", spans)[1].method == "deepfilternet3+span-gate"
    assert plan_prompt(dsp_backend, "the woodwind", spans)[1].method == "hpss-harmonic+span-dictionary"


def test_unknown_sound_without_spans_is_refused_with_what_it_can_do(dsp_backend):
    with pytest.raises(UnsupportedPrompt) as info:
        plan_prompt(dsp_backend, "isolate the glorp")
    message = str(info.value)
    assert '"glorp"' in message and "speech" in message and "drums" in message and "span" in message
    assert "; vehicles; " in message and "; laughter, crying and other human sounds; " in message


def test_unknown_sound_with_spans_is_served_by_span_models(dsp_backend):
    _, plan = plan_prompt(dsp_backend, "isolate the glorp", [SpanHint(start=1, end=2)])
    assert plan.concept == "other" and plan.method == "foreground-without-voice+span-dictionary"


def test_separate_and_prepare_need_load():
    backend = DSPBackend()
    _, plan = plan_prompt(backend, "the drums")
    with pytest.raises(RuntimeError, match="load"):
        backend.separate([SeparationItem(audio=np.zeros(480, np.float32), plan=plan)])
    with pytest.raises(RuntimeError, match="load"):
        backend.prepare(np.zeros(480, np.float32), 48000, plan, [SpanHint(start=0, end=0.005)])


@pytest.mark.slow  # real separation on seconds of audio
@pytest.mark.parametrize("noise, min_gain_db", [("pink", 3.0), ("babble", 1.5)])
def test_voice(dsp_backend, noise, min_gain_db):
    mixture, clean, _ = speech_plus_noise(snr_db=0.0, seed=1, noise=noise)
    target = run(dsp_backend, "remove crowd noise and keep the speaker", mixture)
    assert gain(target, mixture, clean) >= min_gain_db


@pytest.mark.parametrize(
    "prompt, make, min_gain_db",
    [
        ("drop the voice, I only need the backing track", lambda: ca.speech_over_chords(2), 5.0),
        ("isolate the drums", lambda: drums_plus_tones(seed=4)[:3], 2.0),
        ("extract the bass line", lambda: ca.bass_in_band(5), 3.0),
        ("I want just the piano part", lambda: ca.piano_in_band(3), 2.0),
        ("isolate the birds", lambda: ca.birds_over_noise(7), 4.0),
        ("isolate the owl", lambda: ca.hoots_over_speech(1), 7.0),  # without the talker taken out: 4.3
        ("isolate the phone ringing", ca.phone_over_speech, 2.0),
        ("extract the knocking on the door", lambda: ca.knocks_over_babble(6), 3.0),
        ("isolate the car driving past", lambda: ca.car_passing_a_talker(9), 2.0),  # as traffic: -7.6
        ("isolate the laughter", lambda: ca.laughter_over_chords(10), 4.0),  # as a crowd: -14 to -18
        ("remove the hum", lambda: ca.chords_with_hum(8), 8.0),
    ],
    ids=[
        "accompaniment",
        "drums",
        "bass",
        "piano",
        "animal-call",
        "call-over-a-talker",
        "alarm",
        "impact",
        "vehicle",
        "human-sound",
        "hum-removal",
    ],
)
@pytest.mark.slow  # real separation on seconds of audio
def test_sound_families(dsp_backend, prompt, make, min_gain_db):
    mixture, reference, _ = make()
    assert gain(run(dsp_backend, prompt, mixture), mixture, reference) >= min_gain_db


@pytest.mark.slow  # real separation on seconds of audio
def test_an_owl_over_a_song_is_not_taken_for_a_talker(dsp_backend):
    """DeepFilterNet keeps an owl's hoots as voice: over a song they held a quarter of the energy in
    31% of the frames, and with that "voice" taken out first (as over a talker, 47-70%) the owl went
    with it (-4.1 dB). A tune case (corpora/tune-events): real hoots (GCompris) over a bossa."""
    case = REPO / "corpora" / "tune-events" / "tu27183_evt_03"
    mixture, reference = (load_audio(case / f"{stem}.flac", 48000) for stem in ("mixture", "target"))
    meta = json.loads((case / "case.json").read_text())
    assert gain(run(dsp_backend, meta["prompt"], mixture, meta["spans"]), mixture, reference) >= 10.0  # 13.9


@pytest.mark.slow  # real separation on seconds of audio
def test_removing_the_music_keeps_the_rooms_noise(dsp_backend):
    """ "Remove the music" takes the music, not the hum and hiss with it (issue 14, item 4)."""
    mixture, kept, room, _ = ca.speech_and_noise_over_chords(9)
    target = run(dsp_backend, "remove the background music", mixture)
    assert gain(target, mixture, kept) >= 3.0
    assert (target @ room) / (room @ room) > 0.45  # half the hum and hiss stays (mixture - all non-voice: 0.36)


@pytest.mark.slow  # real separation on seconds of audio
def test_speech_target_is_sample_aligned(dsp_backend):
    mixture, clean, _ = speech_plus_noise(snr_db=10.0, seed=2)
    target = run(dsp_backend, "isolate the speaker", mixture)
    assert abs(best_lag(target, clean)) <= 2


@pytest.mark.slow  # real separation on seconds of audio
def test_remove_returns_the_complement(dsp_backend):
    mixture, clean, _ = speech_plus_noise(snr_db=0.0, seed=3)
    speech = run(dsp_backend, "isolate the speaker", mixture)
    rest = run(dsp_backend, "remove the speaker", mixture)
    np.testing.assert_allclose(speech + rest, mixture, atol=1e-6)
    assert gain(rest, mixture, mixture - clean) >= 3.0


@pytest.mark.slow  # real separation on seconds of audio
def test_spans_pick_the_marked_talker(dsp_backend):
    """Two talkers taking turns: the prompt alone cannot say which; the spans can."""
    mixture, talker_a, _, spans = ca.two_talkers()
    without = gain(run(dsp_backend, "keep only the speaker I marked", mixture), mixture, talker_a)
    with_spans = gain(run(dsp_backend, "keep only the speaker I marked", mixture, spans), mixture, talker_a)
    assert without < 1.0 and with_spans >= without + 4.0, (without, with_spans)


@pytest.mark.slow  # real separation on seconds of audio
def test_spans_teach_the_instrument_a_generic_dictionary_confuses(dsp_backend):
    """Piano then flute, overlapping: the piano dictionary also explains the flute; marked
    examples of each (or of the piano alone) tell them apart."""
    mixture, piano, _, spans = ca.piano_then_flute()
    prompt = "I want just the piano part"
    without = gain(run(dsp_backend, prompt, mixture), mixture, piano)
    both = gain(run(dsp_backend, prompt, mixture, spans), mixture, piano)
    include_only = gain(run(dsp_backend, prompt, mixture, spans[:1]), mixture, piano)
    assert without < 0 and both >= without + 4.0 and include_only >= without + 4.0, (without, both, include_only)


@pytest.mark.slow  # real separation on seconds of audio
def test_a_sound_that_comes_and_goes_marks_its_own_spans(dsp_backend):
    """Bird calls now and then over a babble, no span hints: what rises above the steady
    background holds the babble's peaks too; a dictionary learnt from the recipe's own
    marks (where it holds most of the mixture, where least) tells the two apart."""
    mixture, birds, _ = ca.birds_over_babble(3)
    _, plan = plan_prompt(dsp_backend, "isolate the birds")
    assert plan.needs_prepare([])

    def estimate(plan: Plan) -> np.ndarray:
        if plan.needs_prepare([]):
            plan = dsp_backend.prepare(mixture, dsp_backend.info.sample_rate, plan, [])
            assert plan.span_model is not None
        return dsp_backend.separate([SeparationItem(audio=mixture, plan=plan)])[0]

    plain = gain(estimate(plan.model_copy(update={"prepare_without_spans": False})), mixture, birds)
    self_marked = gain(estimate(plan), mixture, birds)
    assert self_marked >= 8.0 and self_marked >= plain + 6.0, (plain, self_marked)


def test_self_marks_include_where_the_estimate_dominates_and_exclude_where_it_is_absent():
    sr = 8000
    rng = np.random.default_rng(0)
    bursts = np.zeros(6 * sr, np.float32)
    for a in (1.0, 3.0, 4.5):
        bursts[int(a * sr) : int((a + 0.5) * sr)] = rng.standard_normal(sr // 2)
    mixture = bursts + 0.1 * rng.standard_normal(len(bursts)).astype(np.float32)
    marks = spans.self_marks(bursts, mixture, sr)

    def near(t: float, margin: float) -> bool:
        return any(a - margin <= t <= a + 0.5 + margin for a in (1.0, 3.0, 4.5))

    included = [s for s in marks if s.include]
    assert len(included) == 3 and all(near(s.start, 0.15) and near(s.end, 0.15) for s in included)
    excluded = [s for s in marks if not s.include]
    assert excluded and all(not near(t, 0.0) for s in excluded for t in np.arange(s.start, s.end, 0.05))
    assert spans.self_marks(bursts[:800], mixture[:800], sr) == []  # too short to mark
    # Silence (here most of the recording) is neither the sound nor the rest: it stays unmarked.
    padded = np.concatenate([np.zeros(20 * sr, np.float32), mixture])
    shifted = spans.self_marks(np.concatenate([np.zeros(20 * sr, np.float32), bursts]), padded, sr)
    assert [s.include for s in shifted] == [s.include for s in marks]
    assert all(
        abs(a.start - b.start - 20) <= 0.15 and abs(a.end - b.end - 20) <= 0.15
        for a, b in zip(shifted, marks, strict=True)
    )


def test_self_marks_follow_a_presence_score_where_the_share_cannot_tell():
    """The estimate holds half the mixture everywhere (a background rising above its floor, say);
    a detector's score says where the sound is, and the marks follow it."""
    sr = 8000
    rng = np.random.default_rng(1)
    mixture = rng.standard_normal(6 * sr).astype(np.float32)
    n = len(mixture) // int(sr * spans.MARK_FRAME_S)
    frames = np.arange(n) * spans.MARK_FRAME_S
    sounding = ((frames >= 1.0) & (frames < 2.0)) | ((frames >= 3.5) & (frames < 4.5))  # a third of the time
    presence = np.where(sounding, 3.0, -3.0) + 0.1 * rng.standard_normal(n)
    marks = spans.self_marks(0.5 * mixture, mixture, sr, presence)

    def inside(span: SpanHint) -> float:
        return float(sounding[(frames >= span.start) & (frames < span.end)].mean())

    assert [inside(s) for s in marks if s.include] and all(inside(s) >= 0.9 for s in marks if s.include)
    assert [inside(s) for s in marks if not s.include] and all(inside(s) <= 0.1 for s in marks if not s.include)


@pytest.mark.slow  # real separation on seconds of audio
def test_spans_that_mark_nothing_distinct_leave_the_recipe_alone(dsp_backend):
    """The drums play throughout: a marked stretch holds nothing the unmarked ones lack."""
    mixture, drums, _ = drums_plus_tones(seed=4, seconds=3.0)
    plain = run(dsp_backend, "isolate the drums", mixture)
    marked = run(dsp_backend, "isolate the drums", mixture, [{"start": 0.5, "end": 1.5, "include": True}])
    np.testing.assert_array_equal(marked, plain)


@pytest.mark.slow  # real separation on seconds of audio
def test_batch_of_mixed_items_keeps_each_length(dsp_backend):
    rng = np.random.default_rng(5)
    items = [
        SeparationItem(audio=rng.standard_normal(n).astype(np.float32) * 0.1, plan=plan_prompt(dsp_backend, p)[1])
        for n, p in [
            (12345, "isolate the speaker"),
            (7, "isolate the drums"),
            (100, "the piano"),
            (3000, "the dog"),
            (50, "the phone ringing"),
        ]
    ]
    out = dsp_backend.separate(items)
    assert [len(t) for t in out] == [12345, 7, 100, 3000, 50]
    assert all(t.dtype == np.float32 and np.isfinite(t).all() for t in out)


def test_stereo_item_is_refused(dsp_backend):
    item = SeparationItem(audio=np.zeros((2, 480), np.float32), plan=plan_prompt(dsp_backend, "the drums")[1])
    with pytest.raises(ValueError, match="mono"):
        dsp_backend.separate([item])


@pytest.mark.parametrize(
    "shape, size, axis", [((2049, 235), 35, 0), ((2049, 235), 11, 1), ((7, 6), 11, 1), ((1, 1), 3, 0)]
)
def test_running_median_is_ndimages(shape, size, axis):
    """HPSS's medians (bottleneck's running median) equal ``scipy.ndimage.median_filter``'s, edges included."""
    from scipy.ndimage import median_filter

    from audiolasso_dsp.hpss import median

    x = np.random.default_rng(size).random(shape).astype(np.float32)
    window = [1, 1]
    window[axis] = size
    assert np.array_equal(median(x, size, axis), median_filter(x, size=tuple(window), mode="reflect"))


@pytest.mark.parametrize("sr", [48000, 16000])
def test_span_gate_mel_bank_is_torchaudios(sr):
    """The voice gate's log-mel features use torchaudio's filter bank, built in numpy."""
    import torchaudio.functional as AF

    from audiolasso_dsp.spans import N_FFT, N_MELS, mel_bank

    expected = AF.melscale_fbanks(N_FFT // 2 + 1, 50.0, min(8000.0, sr / 2), N_MELS, sr).numpy()
    np.testing.assert_allclose(mel_bank(N_FFT // 2 + 1, sr), expected, atol=1e-5)  # torchaudio: float32
