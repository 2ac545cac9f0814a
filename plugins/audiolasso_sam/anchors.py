"""Span hints -> SAM Audio anchors.

An anchor is ``[sign, start_s, end_s]`` in seconds of the audio item the
model sees: "+" where the described sound occurs, "-" where it does not. The
pipeline hands each chunk its spans already clipped and shifted to the chunk,
in seconds (the same at any sample rate), so they map one to one.

Spans describe the sound the model is asked for (the plan's ``sound``, also
for a "remove X" prompt, where the service turns the estimate around):
include is "+" (it sounds here), exclude "-" (only other sounds here).
"""

from __future__ import annotations

from serve_app.backend import SpanHint

Anchor = list[str | float]


def to_anchors(spans: list[SpanHint]) -> list[Anchor]:
    return [["+" if span.include else "-", span.start, span.end] for span in spans]
