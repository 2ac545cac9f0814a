"""Visual prompts: the encoded video and mask -> masked frames for one chunk."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from serve_app.backend import VisualPrompt


def read_frames(data: bytes) -> tuple[Any, float]:
    """(frames uint8 (N, C, H, W), frames per second) of an encoded video.
    OpenCV comes with sam_audio (its processor decodes video with it)."""
    import cv2
    import numpy as np
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "video"
        path.write_bytes(data)
        capture = cv2.VideoCapture(str(path))
        fps = capture.get(cv2.CAP_PROP_FPS)
        frames = []
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        capture.release()
    if not frames or fps <= 0:
        raise ValueError("the visual prompt's video could not be decoded")
    return torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2), float(fps)


def window(frames: Any, fps: float, start_s: float, end_s: float | None) -> Any:
    """The frames shown during [start_s, end_s) (at least one)."""
    first = min(int(start_s * fps), len(frames) - 1)
    last = len(frames) if end_s is None else max(first + 1, round(end_s * fps))
    return frames[first:last]


def masked_video(processor: Any, prompt: VisualPrompt) -> Any:
    """The chunk's masked video, masked by SAM Audio's own convention."""
    video, fps = read_frames(prompt.video)
    mask, mask_fps = read_frames(prompt.mask)
    (masked,) = processor.mask_videos(
        [window(video, fps, prompt.start_s, prompt.end_s)], [window(mask, mask_fps, prompt.start_s, prompt.end_s)]
    )
    return masked
