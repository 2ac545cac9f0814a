"""A minimal Standard MIDI File writer: one track of isolated notes."""

from __future__ import annotations

import struct

from audiolasso_corpora.music import varlen as _varlen

TICKS_PER_QUARTER = 480
TICKS_PER_SECOND = 960  # at the default tempo of 120 bpm
DRUM_CHANNEL = 9


def note_sequence(
    program: int | None, notes: list[int], velocities: tuple[int, ...], on_s: float, gap_s: float
) -> bytes:
    """Each note at each velocity, one after another; ``program=None`` plays the drum channel."""
    channel = DRUM_CHANNEL if program is None else 0
    events = bytearray()
    if program is not None:
        events += _varlen(0) + bytes([0xC0 | channel, program])
    delta = 0
    for note in notes:
        for velocity in velocities:
            events += _varlen(delta) + bytes([0x90 | channel, note, velocity])
            events += _varlen(int(on_s * TICKS_PER_SECOND)) + bytes([0x80 | channel, note, 0])
            delta = int(gap_s * TICKS_PER_SECOND)
    events += _varlen(delta) + bytes([0xFF, 0x2F, 0])
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_QUARTER)
    return header + b"MTrk" + struct.pack(">I", len(events)) + bytes(events)
