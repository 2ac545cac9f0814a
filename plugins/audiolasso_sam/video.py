"""Visual prompts: the video and its object mask -> the masked frames of one chunk.

Within memory: each file is staged once per job on the replica (keyed by its
content, so every chunk of the job finds it), and a chunk decodes only the
frames SAM Audio uses -- one per codec frame of the chunk's audio (25 per
second), seeking to each -- and shrinks them, a few at a time, to the vision
encoder's input size before anything else holds them. The mask is made
binary by threshold (an encoded mask video is lossy: its background is rarely
exactly 0), then applied with SAM Audio's own ``mask_videos``.

Decoding uses torchcodec, which sam_audio itself depends on. ``check_files``
is the submit-time check of a video and mask pair (sizes, rates, durations).
"""

from __future__ import annotations

import hashlib
import math
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serve_app.backend import VisualPrompt
from serve_app.errors import ServiceError

HOP_SECONDS = 1920 / 48_000  # one SAM Audio codec frame
DECODE_SLICE = 16  # full-size frames held at once while shrinking them
MASK_THRESHOLD = 127  # mask pixels above it are the object
# How far the mask may differ from the video, and the video fall short of the audio.
FPS_TOLERANCE = 0.01  # relative
DURATION_TOLERANCE_S = 0.5


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float
    duration_s: float


def probe(path: Path) -> VideoInfo:
    """Size, frame rate and duration of an encoded video; ValueError if it is not one."""
    try:
        from torchcodec.decoders import VideoDecoder

        meta = VideoDecoder(str(path)).metadata
    except (RuntimeError, ValueError) as exc:
        raise ValueError(f"not a decodable video ({exc})") from exc
    fps = float(meta.average_fps or 0.0)
    duration = float(meta.duration_seconds or 0.0)
    if not (meta.width and meta.height and fps > 0 and duration > 0):
        raise ValueError("a video without frames, frame rate or duration")
    return VideoInfo(width=int(meta.width), height=int(meta.height), fps=fps, duration_s=duration)


def mismatches(video: VideoInfo, mask: VideoInfo, audio_seconds: float | None = None) -> list[str]:
    """Why a mask does not fit its video (or the video the audio), in words; [] if it fits."""
    problems = []
    if (mask.width, mask.height) != (video.width, video.height):
        problems.append(f"the mask is {mask.width}x{mask.height} pixels, the video {video.width}x{video.height}")
    if abs(mask.fps - video.fps) > FPS_TOLERANCE * video.fps:
        problems.append(f"the mask runs at {mask.fps:.3g} frames per second, the video at {video.fps:.3g}")
    if abs(mask.duration_s - video.duration_s) > max(DURATION_TOLERANCE_S, 2 / video.fps):
        problems.append(f"the mask lasts {mask.duration_s:.2f} s, the video {video.duration_s:.2f} s")
    if audio_seconds is not None and video.duration_s < audio_seconds - DURATION_TOLERANCE_S:
        problems.append(f"the video lasts {video.duration_s:.2f} s, the audio {audio_seconds:.2f} s")
    return problems


def check_files(video: Path, mask: Path, audio_seconds: float | None = None) -> VideoInfo:
    """The submit-time check of a visual prompt's files: a 422 naming the input at
    fault when either is not a video or the mask does not fit the video (or the
    video the audio, when its duration is known). Returns the video's info."""
    infos = {}
    for role, path in (("video", video), ("mask", mask)):
        try:
            infos[role] = probe(path)
        except ValueError as exc:
            raise ServiceError(f"The {role}_url file is {exc}.", field=f"input.{role}_url", status_code=422) from exc
    problems = mismatches(infos["video"], infos["mask"], audio_seconds)
    if problems:
        raise ServiceError(
            f"The visual prompt does not fit: {'; '.join(problems)}. The mask must be the video's "
            "object mask: same size, frame rate and length.",
            field="input.mask_url",
            status_code=422,
        )
    return infos["video"]


class StagedFiles:
    """Encoded files written once to a private folder, keyed by their content;
    the least recently used are deleted past ``keep`` (a few jobs' worth)."""

    def __init__(self, keep: int = 8):
        self._dir = tempfile.TemporaryDirectory(prefix="audiolasso-sam-")
        self._files: OrderedDict[str, tuple[Path, VideoInfo | None]] = OrderedDict()
        self._keep = keep
        self._lock = threading.Lock()

    def path(self, data: bytes) -> Path:
        key = hashlib.blake2b(data, digest_size=16).hexdigest()
        with self._lock:
            if key in self._files:
                self._files.move_to_end(key)
                return self._files[key][0]
            path = Path(self._dir.name) / key
            path.write_bytes(data)
            self._files[key] = (path, None)
            while len(self._files) > self._keep:
                _, (old, _info) = self._files.popitem(last=False)
                old.unlink(missing_ok=True)
            return path

    def info(self, path: Path) -> VideoInfo:
        with self._lock:
            cached = self._files.get(path.name)
        if cached is not None and cached[1] is not None:
            return cached[1]
        info = probe(path)
        with self._lock:
            if path.name in self._files:
                self._files[path.name] = (path, info)
        return info


def frame_times(start_s: float, samples: int, sample_rate: int = 48_000) -> list[float]:
    """The instants SAM Audio shows a frame for: one per codec frame of a chunk
    of ``samples`` starting at ``start_s`` of the video."""
    frames = math.ceil(samples / (HOP_SECONDS * sample_rate))
    return [start_s + k * HOP_SECONDS for k in range(frames)]


def decode_frames(path: Path, times: list[float], info: VideoInfo, size: int) -> Any:
    """uint8 (len(times), 3, size, size): the frames shown at ``times``, squeezed to
    the vision encoder's square input as its own resize would, a slice at a time."""
    import torch
    from torchcodec.decoders import VideoDecoder
    from torchvision.transforms.v2 import functional as F

    decoder = VideoDecoder(str(path), dimension_order="NCHW")
    last = max(0.0, info.duration_s - 0.5 / info.fps)
    clamped = [min(max(t, 0.0), last) for t in times]
    out = []
    for i in range(0, len(clamped), DECODE_SLICE):
        frames = decoder.get_frames_played_at(seconds=clamped[i : i + DECODE_SLICE]).data
        out.append(F.resize(frames, [size, size], antialias=True))
    return torch.cat(out)


class VisualFrames:
    """Masked frames for the chunks of visual prompts, from staged files."""

    def __init__(self, staging: StagedFiles | None = None):
        self.staging = staging or StagedFiles()

    def masked_video(self, processor: Any, prompt: VisualPrompt, samples: int, size: int) -> Any:
        """The chunk's masked frames (one per codec frame of its ``samples``), masked
        by SAM Audio's own ``mask_videos``; ValueError when the files do not fit."""
        video, mask = self.staging.path(prompt.video), self.staging.path(prompt.mask)
        video_info, mask_info = self.staging.info(video), self.staging.info(mask)
        problems = mismatches(video_info, mask_info)
        if problems:
            raise ValueError(f"the visual prompt does not fit: {'; '.join(problems)}")
        times = frame_times(prompt.start_s, samples)
        frames = decode_frames(video, times, video_info, size)
        object_mask = decode_frames(mask, times, mask_info, size).float().mean(1, keepdim=True) > MASK_THRESHOLD
        (masked,) = processor.mask_videos([frames], [object_mask.to(frames.dtype)])
        return masked
