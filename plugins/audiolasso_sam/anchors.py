"""Span hints -> SAM Audio anchors.

An anchor is ``[sign, start_s, end_s]`` in seconds of the audio item the
model sees: "+" where the described sound occurs, "-" where it does not. The
pipeline hands each chunk its spans already clipped and shifted to the chunk,
in seconds (the same at any sample rate), so they map one to one.

Spans describe the target track. For a "remove X" prompt the model isolates
X, the complement of the target, so the signs swap: include ("keep what is
here") becomes "X absent", exclude ("only unwanted sound here") "X present".
"""

from __future__ import annotations

from serve_app.backend import SpanHint

Anchor = list[str | float]


def to_anchors(spans: list[SpanHint], inverted: bool) -> list[Anchor]:
    return [["+" if span.include != inverted else "-", span.start, span.end] for span in spans]
