"""How many worker processes ``check --file`` starts by default (``--jobs``): the cores this process
may run on, capped by the cgroup's CPU quota, less the cores other processes are keeping busy now.

- **Affinity**: ``os.sched_getaffinity(0)`` (``taskset``, a container's cpuset); ``os.cpu_count()``
  where it does not exist (macOS, Windows).
- **Quota** (cgroup v2): ``/proc/self/cgroup`` names this process's cgroup (``0::/user.slice/x``); its
  ``cpu.max`` under ``/sys/fs/cgroup`` reads ``max 100000`` (no limit) or ``QUOTA PERIOD`` in
  microseconds (``150000 100000``: one and a half cores). Every ancestor's limit applies too, so the
  smallest along the path counts, rounded up (1.5 cores: two workers get 75% of a core each, which
  still beats one). cgroup v1's ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (-1: none) the same.
- **Load**: the cores others keep busy, read as the smaller of the one-minute load average and the
  tasks runnable right now less this one (``/proc/loadavg``'s fourth field, ``running/total``): the
  average alone lags (a job that just ended still counts for a minute), the instant count alone
  jumps. Both are machine-wide (a container without lxcfs sees the host's), so a quota, when
  there is one, is the better guide and the load only lowers it. Where no ``/proc/loadavg`` exists,
  ``os.getloadavg()``; where none, no load.

``usable_cores()`` is at least 1 and at most the allowed cores. A batch then runs in-process (no
worker) when it is 1: two workers sharing one free core with a neighbour measured 1.09-1.24x the
time of one process (issue 26). ``--jobs N`` overrides it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

PROC = Path("/proc")
CGROUP_ROOT = Path("/sys/fs/cgroup")


def affinity_cores() -> int:
    """The cores this process may run on (its affinity mask), else every core of the machine."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None


def _v2_limit(text: str) -> float | None:
    """``cpu.max``: ``max PERIOD`` -> None; ``QUOTA PERIOD`` -> QUOTA / PERIOD cores."""
    parts = text.split()
    if len(parts) != 2 or parts[0] == "max":
        return None
    try:
        quota, period = int(parts[0]), int(parts[1])
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def _v1_limit(quota_text: str | None, period_text: str | None) -> float | None:
    try:
        quota, period = int(quota_text or ""), int(period_text or "")
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def quota_cores(proc: Path = PROC, root: Path = CGROUP_ROOT) -> float | None:
    """The CPU quota of this process's cgroup and its ancestors, in cores (the smallest); None: none."""
    text = _read(proc / "self" / "cgroup")
    if text is None:
        return None
    limits: list[float] = []
    for line in text.splitlines():
        number, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        relative = path.strip("/")
        if number == "0" and controllers == "":  # cgroup v2, the unified hierarchy
            base = root
            names = ["", *relative.split("/")] if relative else [""]
            current = base
            for name in names:
                current = current / name if name else current
                found = _read(current / "cpu.max")
                limit = _v2_limit(found) if found is not None else None
                if limit is not None:
                    limits.append(limit)
        elif "cpu" in controllers.split(","):  # cgroup v1: cpu,cpuacct
            for mount in (root / "cpu,cpuacct", root / "cpu"):
                current = mount
                for name in ["", *relative.split("/")] if relative else [""]:
                    current = current / name if name else current
                    limit = _v1_limit(_read(current / "cpu.cfs_quota_us"), _read(current / "cpu.cfs_period_us"))
                    if limit is not None:
                        limits.append(limit)
                if (mount / "cpu.cfs_period_us").exists():
                    break
    return min(limits) if limits else None


def busy_elsewhere(proc: Path = PROC, getloadavg: Callable[[], tuple[float, float, float]] | None = None) -> float:
    """Cores other processes keep busy: the smaller of the one-minute load average and the tasks
    runnable now less this one; 0.0 when neither can be read."""
    text = _read(proc / "loadavg")
    if text is not None:
        fields = text.split()
        try:
            load1 = float(fields[0])
            running = int(fields[3].split("/")[0])
        except (IndexError, ValueError):
            return 0.0
        return max(0.0, min(load1, running - 1))
    try:
        load1 = (getloadavg or os.getloadavg)()[0]
    except (AttributeError, OSError):
        return 0.0
    return max(0.0, load1 - 1)  # the average alone: less the one this process will keep busy


def usable_cores(
    *,
    affinity: int | None = None,
    quota: float | bool | None = True,
    busy: float | None = None,
    proc: Path = PROC,
    root: Path = CGROUP_ROOT,
) -> int:
    """The cores a batch should use now: allowed (affinity, capped by the cgroup quota rounded up)
    less those others keep busy (rounded to the nearest), at least 1. Each input can be given (tests,
    or a caller that has read it); ``quota=True`` reads it, None says there is none."""
    allowed = affinity if affinity is not None else affinity_cores()
    limit = quota_cores(proc, root) if quota is True else quota
    if isinstance(limit, float | int) and not isinstance(limit, bool):
        allowed = min(allowed, max(1, math.ceil(limit - 1e-9)))
    others = busy if busy is not None else busy_elsewhere(proc)
    free = math.floor(allowed - others + 0.5)
    return max(1, min(allowed, free))
