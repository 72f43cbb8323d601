"""Side-by-side timing: alternate two runs in one process and report the median ratio."""

from __future__ import annotations

import statistics
from typing import Callable

Run = Callable[[int], tuple[float, str]]  # seed -> (seconds, a note such as the accuracy reached)


def compare(first: tuple[str, Run], second: tuple[str, Run], repeats: int, target: str) -> float:
    """Run both ``repeats`` times, swapping which goes first each time (drift hits both alike).

    Prints every pair and the medians; returns the median of the per-pair ratios first/second.
    """
    name_a, name_b = first[0], second[0]
    times: dict[str, list[float]] = {name_a: [], name_b: []}
    ratios = []
    for rep in range(repeats):
        order = [first, second] if rep % 2 == 0 else [second, first]
        notes = {}
        for name, run in order:
            seconds, notes[name] = run(rep)
            times[name].append(seconds)
        ratios.append(times[name_a][-1] / times[name_b][-1])
        print(f"run {rep}: {name_a} {times[name_a][-1]:.2f}s {notes[name_a]}  "
              f"{name_b} {times[name_b][-1]:.2f}s {notes[name_b]}  ratio {ratios[-1]:.3f}", flush=True)
    median = statistics.median(ratios)
    print(f"median: {name_a} {statistics.median(times[name_a]):.2f}s, {name_b} {statistics.median(times[name_b]):.2f}s, "
          f"ratio {name_a}/{name_b} {median:.3f} (target {target}); range {min(ratios):.3f}-{max(ratios):.3f}; "
          f"fastest runs {min(times[name_a]) / min(times[name_b]):.3f}")
    return median
