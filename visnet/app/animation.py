"""A span of the run's timeline as an animation: the window's File ▸ Export animation and
`visnet animate` both render it here.

Frames are evenly spaced moments of the span (by moment, not by step: the timeline records
densely early and log-spaced later, so the fast first learning gets as many frames as the
slow end). For each, the session looks at the moment, which the frame pacer draws on every
panel in view before look_at returns; curves waiting for their throttled redraw are
flushed, and the panel is grabbed (QWidget.grab), without its hover hint, and fitted to the
size asked (scaled keeping its proportions, centred on its own background colour).

GIFs are written with Pillow. All frames share one 256-colour palette, made from the first
and the last frame (rendered first): a panel's colours come from fixed colour maps, so the
two ends of the span hold those the frames between use, and mapping a frame onto a given
palette is ~10x faster than a palette of its own and compresses better. Frames are
quantized as they are rendered, so 200 frames of 800x600 hold ~100 MB, not the ~300 MB of
RGB. Pillow merges a frame identical to the one before into it (one longer frame), so a
GIF may hold fewer frames than were rendered; it lasts as long. MP4 needs the optional extra `visnet[video]` (imageio-ffmpeg). Either
way the file is written to a temporary file in the target's folder and renamed into place
at the end, so a cancelled or failed export leaves nothing behind.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from .session import Session

DEFAULT_FPS = 20
MAX_FPS = 50  # a GIF's frame delay is whole centiseconds; browsers slow anything under 2 cs down
DEFAULT_MAX_FRAMES = 200  # without a frame count: every moment of the span, up to this many
MAX_FRAMES = 10_000
FORMATS = (".gif", ".mp4")
VIDEO_EXTRA = "pip install visnet[video]"

# `visnet animate --panel NAME`: the dock each name exports.
PANEL_DOCKS = {
    "weights": "weights_dock",
    "network": "network_dock",
    "loss": "loss_dock",
    "gradients": "gradients_dock",
    "surface": "surface_dock",
}

Progress = Callable[[int, int], bool]  # (frames done, frames in all) -> go on?


class AnimationError(Exception):
    """A problem to report in one line (an output the export cannot write, a missing extra)."""


@dataclasses.dataclass(frozen=True)
class AnimationSettings:
    """What to export. first and last are moment indices of the timeline (last None: the
    newest); frames None: every moment of the span up to DEFAULT_MAX_FRAMES; size None: the
    panel's size on screen."""

    path: Path
    first: int = 0
    last: int | None = None
    fps: int = DEFAULT_FPS
    frames: int | None = None
    size: tuple[int, int] | None = None


def frame_moments(first: int, last: int, frames: int | None) -> list[int]:
    """The moment index of each frame: `frames` evenly spaced indices from first to last
    (a moment repeats when there are more frames than moments)."""
    lo, hi = sorted((int(first), int(last)))
    n = min(hi - lo + 1, DEFAULT_MAX_FRAMES) if frames is None else int(frames)
    if n < 1:
        raise AnimationError(f"an animation needs at least one frame, not {n}")
    return [int(i) for i in np.rint(np.linspace(lo, hi, n))]


def check_output(path: str | os.PathLike, fps: int = DEFAULT_FPS) -> Path:
    """The output path, or an AnimationError saying in one line why it cannot be written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise AnimationError(f"{path}: give a file ending in .gif or .mp4")
    if suffix == ".mp4" and not video_available():
        raise AnimationError(f"{path}: writing MP4 needs imageio-ffmpeg; {VIDEO_EXTRA} (or export a .gif)")
    if not 1 <= fps <= MAX_FPS:
        raise AnimationError(f"the frame rate must be from 1 to {MAX_FPS} frames a second, not {fps}")
    if os.path.isdir(path):
        raise AnimationError(f"{path} is a folder; give a file name such as training.gif")
    folder = path.parent
    if not os.path.isdir(folder):
        raise AnimationError(f"no folder {folder} to write {path.name} in")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise AnimationError(f"cannot write in the folder {folder}")
    return path


def video_available() -> bool:
    try:
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        return False
    return True


def render_animation(
    session: Session,
    target: QWidget,
    settings: AnimationSettings,
    panels: Sequence[QWidget] = (),
    progress: Progress | None = None,
) -> Path | None:
    """Write the animation of `target` (a dock's widget, or the whole window) over the span
    of session.timeline in `settings`; the path written, or None if progress said stop.
    panels: those drawn in target (their curves are flushed before each grab). The session
    goes back to where it was (live, or the moment looked at) afterwards."""
    timeline = session.timeline
    if not len(timeline):
        raise AnimationError("the timeline holds no moments yet: train, or open a run file")
    path = check_output(settings.path, settings.fps)
    last = len(timeline) - 1 if settings.last is None else settings.last
    if not (0 <= settings.first < len(timeline) and 0 <= last < len(timeline)):
        raise AnimationError(f"the timeline has moments 0 to {len(timeline) - 1}; asked {settings.first} to {last}")
    indices = frame_moments(settings.first, last, settings.frames)
    size = settings.size or (target.width(), target.height())
    was_live = not session.looking_back
    step_before = None if was_live else session.snapshot.step
    hinted = [w for w in (target, *target.findChildren(QWidget)) if hasattr(w, "set_hint_visible")]
    flushed = [p for p in panels if hasattr(p, "flush") and (p is target or target.isAncestorOf(p))]
    writer = _writer_for(path, size, settings.fps)
    for w in hinted:
        w.set_hint_visible(False)

    def frame(index: int) -> Image.Image:
        session.look_at(index, keep=False)  # a frame is not a moment the user went back to
        for panel in flushed:
            panel.flush()
        # Layouts settle in posted events (a label's new text); only those: painting the
        # panel on screen as well as into the grab cost a third of the time.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        return fit(pillow_image(target.grab().toImage()), size)

    try:
        if len(indices) > 1:
            writer.expect(frame(indices[-1]))
        for done, index in enumerate(indices):
            if progress is not None and not progress(done, len(indices)):
                writer.abort()
                return None
            writer.add(frame(index))
        if progress is not None and not progress(len(indices), len(indices)):
            writer.abort()
            return None
        writer.finish()
    except BaseException:
        writer.abort()
        raise
    finally:
        for w in hinted:
            w.set_hint_visible(True)
        if was_live:
            session.go_live()
        else:
            session.look_at_step(step_before)
    return path


_WORDS = (QImage.Format.Format_RGB32, QImage.Format.Format_ARGB32, QImage.Format.Format_ARGB32_Premultiplied)
# A 32-bit 0xAARRGGBB pixel's bytes in memory (a grabbed widget is opaque: alpha is ignored).
_WORD_BYTES = "BGRX" if sys.byteorder == "little" else "XRGB"


def pillow_image(image: QImage) -> Image.Image:
    """An opaque QImage as a Pillow RGB image (one copy, in C)."""
    if image.format() not in _WORDS:
        image = image.convertToFormat(QImage.Format.Format_RGB32)
    size = (image.width(), image.height())
    return Image.frombuffer("RGB", size, image.constBits(), "raw", _WORD_BYTES, image.bytesPerLine(), 1)


def fit(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """image scaled to fit (width, height) keeping its proportions, centred on the colour of
    its top-left pixel (the panel's background)."""
    width, height = size
    if image.size == (width, height):
        return image
    scale = min(width / image.width, height / image.height)
    scaled = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    scaled_image = image.resize(scaled, Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC)
    canvas = Image.new("RGB", (width, height), image.getpixel((0, 0)))
    canvas.paste(scaled_image, ((width - scaled[0]) // 2, (height - scaled[1]) // 2))
    return canvas


def _writer_for(path: Path, size: tuple[int, int], fps: int):
    return (Mp4Writer if path.suffix.lower() == ".mp4" else GifWriter)(path, size, fps)


def _temporary_beside(path: Path) -> Path:
    """A temporary file in path's folder, with path's suffix (ffmpeg picks its format by it)."""
    return path.with_name(f".{path.stem}.{secrets.token_hex(4)}.partial{path.suffix}")


class GifWriter:
    """An animated GIF built frame by frame (quantized as they come), written by finish()."""

    def __init__(self, path: Path, size: tuple[int, int], fps: int):
        self.path, self.size = path, size
        self.duration_ms = round(1000 / fps)  # Pillow takes a GIF's frame duration in milliseconds
        self._frames: list[Image.Image] = []
        self._expected: list[Image.Image] = []
        self._palette: Image.Image | None = None

    def expect(self, frame: Image.Image) -> None:
        """A frame still to come (the last) whose colours the palette must hold too."""
        self._expected.append(frame)

    def add(self, frame: Image.Image) -> None:
        if self._palette is None:
            self._palette = palette_of([frame, *self._expected])
            self._expected = []
        self._frames.append(frame.quantize(palette=self._palette, dither=Image.Dither.NONE))

    def finish(self) -> None:
        if not self._frames:
            raise AnimationError("an animation needs at least one frame")
        temporary = _temporary_beside(self.path)
        try:
            first, *rest = self._frames
            first.save(
                temporary,
                format="GIF",
                save_all=True,
                append_images=rest,
                duration=self.duration_ms,
                loop=0,
                optimize=False,  # each palette is already only the colours a frame uses
            )
            os.replace(temporary, self.path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        finally:
            self._frames = []

    def abort(self) -> None:
        self._frames = []


def palette_of(frames: Sequence[Image.Image]) -> Image.Image:
    """A 256-colour palette image for the colours of frames (side by side, median cut)."""
    sheet = Image.new("RGB", (sum(f.width for f in frames), max(f.height for f in frames)))
    x = 0
    for f in frames:
        sheet.paste(f, (x, 0))
        x += f.width
    return sheet.quantize(256, method=Image.Quantize.MEDIANCUT)


class Mp4Writer:
    """An H.264 MP4 streamed to ffmpeg (imageio-ffmpeg) frame by frame, renamed into place by
    finish(). Sizes are padded to even numbers, which yuv420p needs."""

    def __init__(self, path: Path, size: tuple[int, int], fps: int):
        import imageio_ffmpeg

        self.path = path
        self._even = (size[0] + size[0] % 2, size[1] + size[1] % 2)
        self._temporary = _temporary_beside(path)
        self._feed = imageio_ffmpeg.write_frames(
            str(self._temporary), self._even, fps=fps, codec="libx264", macro_block_size=1, quality=7
        )
        self._feed.send(None)

    def expect(self, frame: Image.Image) -> None:
        """(Each video frame is encoded on its own.)"""

    def add(self, frame: Image.Image) -> None:
        if frame.size != self._even:
            padded = Image.new("RGB", self._even, frame.getpixel((0, 0)))
            padded.paste(frame)
            frame = padded
        self._feed.send(np.ascontiguousarray(np.asarray(frame.convert("RGB"))).tobytes())

    def finish(self) -> None:
        try:
            self._feed.close()
            os.replace(self._temporary, self.path)
        except BaseException:
            self._temporary.unlink(missing_ok=True)
            raise

    def abort(self) -> None:
        try:
            self._feed.close()
        finally:
            self._temporary.unlink(missing_ok=True)
