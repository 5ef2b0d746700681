"""A curve the hall shapes: the room's Volume and Tempo sliders set a wave's amplitude and
frequency, the plot redraws at every move, and the wave's description goes back to the room as
``result`` for every screen to show.

    pip install ./clients/python matplotlib
    python examples/live_plot.py                          # a window, the demo room, until Ctrl-C
    python examples/live_plot.py --seconds 20 --frames var/frames   # headless: PNG per redraw

Without a display (or with ``--frames``/``--out``) it draws with matplotlib's Agg backend and
saves PNGs instead of opening a window.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

SAMPLES = 400
WINDOW_S = 2.0  # seconds of the wave on the x axis
AMPLITUDE_RANGE = (0, 100)  # the Volume slider's range (app/audience/demo.py)
TEMPO_DEFAULT = 120


def wave(volume: Any, tempo: Any) -> tuple[list[float], list[float], float, float]:
    """The curve for the slider values: x, y, amplitude (0-1) and frequency (Hz, tempo/60)."""
    amplitude = _number(volume, 50) / AMPLITUDE_RANGE[1]
    frequency = _number(tempo, TEMPO_DEFAULT) / 60
    xs = [WINDOW_S * i / (SAMPLES - 1) for i in range(SAMPLES)]
    ys = [amplitude * math.sin(2 * math.pi * frequency * x) for x in xs]
    return xs, ys, amplitude, frequency


def describe(amplitude: float, frequency: float) -> str:
    """The derived value written back as ``result``: what the curve is, in a phone's line."""
    return f"{frequency:.2f} Hz at {amplitude:.0%}"


def _number(value: Any, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return float(value)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("CHORUS_URL", "http://127.0.0.1:5000"),
                        help="server URL (default: CHORUS_URL, then http://127.0.0.1:5000)")
    parser.add_argument("--room", default="demo")
    parser.add_argument("--amplitude-key", default="volume", help="default: volume (a slider)")
    parser.add_argument("--frequency-key", default="tempo", help="default: tempo (a slider)")
    parser.add_argument("--result-key", default="result")
    parser.add_argument("--seconds", type=float, help="stop after this many seconds")
    parser.add_argument("--frames", type=Path, help="save a PNG per redraw in this folder")
    parser.add_argument("--out", type=Path, help="save the last frame as this PNG")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import matplotlib

    headless = bool(args.frames or args.out) or not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform in
        ("darwin", "win32"))
    if headless:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from chorus_client import Room

    if args.frames:
        args.frames.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(figsize=(6.4, 3.6), dpi=100)
    (line,) = axes.plot([], [], linewidth=2.5, color="#3b82f6")
    axes.set(xlim=(0, WINDOW_S), ylim=(-1.05, 1.05), xlabel="seconds",
             ylabel=f"{args.amplitude_key} as amplitude")
    axes.grid(alpha=0.3)
    axes.set_title(f"room {args.room}")
    figure.tight_layout()
    keys = {args.amplitude_key, args.frequency_key}
    frames = 0

    with Room(args.url, args.room) as room:
        stream = room.changes()

        def redraw() -> None:
            nonlocal frames
            xs, ys, amplitude, frequency = wave(room.get(args.amplitude_key),
                                                room.get(args.frequency_key))
            line.set_data(xs, ys)
            result = describe(amplitude, frequency)
            axes.set_title(f"room {args.room}: {result}")
            if headless:
                figure.canvas.draw()
            else:
                figure.canvas.draw_idle()
            frames += 1
            if args.frames:
                figure.savefig(args.frames / f"frame-{frames:04d}.png")
            if room.get(args.result_key) != result:
                room.set(args.result_key, result)
            print(f"frame {frames}: {result}", flush=True)

        redraw()
        if not headless:
            plt.show(block=False)
        deadline = None if args.seconds is None else time.monotonic() + args.seconds
        try:
            while deadline is None or time.monotonic() < deadline:
                change = stream.get(timeout=0.05 if not headless else 0.25)
                moved = change is not None and change.key in keys
                while change is not None:  # take every change waiting, draw once
                    change = stream.get(timeout=0)
                    moved = moved or (change is not None and change.key in keys)
                if moved:
                    redraw()
                if not headless:
                    if not plt.fignum_exists(figure.number):
                        break  # the window was closed
                    plt.pause(0.01)
        except KeyboardInterrupt:
            pass
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            figure.savefig(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
