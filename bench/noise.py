"""Machine noise: how much of the CPU other processes used while a timing ran.

Other people's test runs on the same machine distort every figure, so each
timing reports the CPU seconds this process tree used (waited-for
subprocesses, workers and kernels included once reaped) and the share of the
machine's CPU capacity *other* processes used meanwhile (system busy time from
``/proc/stat`` minus this process tree's CPU time), and a timing can wait for
quiet first (:func:`measure`).
"""

from __future__ import annotations

import os
import time

NOISY = 0.15  # other processes above this share of the CPUs: the timing is marked NOISY
_waited = [0.0]
WAIT = {"limit": 15.0}  # per timing; --wait-quiet sets it
TOTAL_WAIT = 60.0  # at most this long over the whole benchmark


def _machine_cpu() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of all CPUs since boot; None where /proc/stat is absent."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [int(x) for x in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    hz = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / hz, sum(fields) / hz


def _own_cpu() -> float:
    t = os.times()  # children: the waited-for subprocesses, workers and their kernels
    return t.user + t.system + t.children_user + t.children_system


class Noise:
    """CPU used by this process tree, and share of the machine's CPU capacity used by
    other processes, between creation and :meth:`stop`."""

    def __init__(self) -> None:
        self.m0, self.o0 = _machine_cpu(), _own_cpu()
        self.share: float | None = None
        self.cpu: float | None = None

    def other(self) -> float | None:
        m1, own = _machine_cpu(), _own_cpu() - self.o0
        if m1 is None or self.m0 is None or m1[1] <= self.m0[1]:
            return None
        busy, total = m1[0] - self.m0[0], m1[1] - self.m0[1]
        return max(0.0, busy - own) / total

    def stop(self) -> Noise:
        self.share, self.cpu = self.other(), _own_cpu() - self.o0
        return self


def noise_text(n: Noise) -> str:
    """``[cpu 21.3 s; other processes 4% of CPU]``: the CPU our processes used (workers and
    kernels included once reaped) is steadier than wall time on a busy machine."""
    if n.share is None:
        return f"  [cpu {n.cpu:.1f} s]"
    flag = "  NOISY" if n.share > NOISY else ""
    return f"  [cpu {n.cpu:.1f} s; other processes {n.share:.0%} of CPU{flag}]"


def noise_note(shares: list | None) -> str:
    """A summary line when some of a part's timings were NOISY (else the empty string)."""
    noisy = [x for x in shares or [] if x is not None and x > NOISY]
    if not noisy:
        return ""
    return (f"  ({len(noisy)} of {len(shares)} timings NOISY: other processes used up to "
            f"{max(noisy):.0%} of the CPUs; the medians may be high)\n")


def measure(fn):
    """(seconds, Noise, fn's value) of one timed call, after waiting for a quiet machine."""
    wait_quiet(WAIT["limit"])
    noise = Noise()
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    return seconds, noise.stop(), value


def wait_quiet(limit: float) -> None:
    """Wait (at most ``limit`` s, and 60 s over the whole benchmark) for other processes
    to use less than 15% of the CPUs over a 2-second window."""
    if limit <= 0 or _machine_cpu() is None:
        return
    start = time.perf_counter()
    while True:
        n = Noise()
        time.sleep(2)
        share = n.other() or 0.0
        spent = time.perf_counter() - start
        if share < NOISY or spent >= limit or _waited[0] + spent >= TOTAL_WAIT:
            break
    _waited[0] += spent
    if spent > 2.5:
        print(f"  (waited {spent:.0f} s for other processes to quieten: {share:.0%} of CPU "
              "in the last 2 s)", flush=True)
