"""usable_cores(): affinity, the cgroup quota (v2 and v1, ancestors included) and the load, from
files laid out in a temporary folder as /proc and /sys/fs/cgroup lay them out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cptref.check.cpus import _v2_limit, busy_elsewhere, quota_cores, usable_cores


def lay(tmp_path: Path, files: dict[str, str]) -> tuple[Path, Path]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path / "proc", tmp_path / "cgroup"


@pytest.mark.parametrize(
    ("text", "cores"),
    [("max 100000", None), ("150000 100000", 1.5), ("200000 100000", 2.0), ("50000 100000", 0.5), ("junk", None)],
)
def test_cpu_max(text: str, cores: float | None) -> None:
    assert _v2_limit(text) == cores


def test_v2_quota_smallest_along_the_path(tmp_path: Path) -> None:
    proc, root = lay(
        tmp_path,
        {
            "proc/self/cgroup": "0::/user.slice/job\n",
            "cgroup/cpu.max": "max 100000\n",
            "cgroup/user.slice/cpu.max": "300000 100000\n",
            "cgroup/user.slice/job/cpu.max": "max 100000\n",
        },
    )
    assert quota_cores(proc, root) == 3.0


def test_v2_no_limit(tmp_path: Path) -> None:
    proc, root = lay(tmp_path, {"proc/self/cgroup": "0::/\n", "cgroup/cpu.max": "max 100000\n"})
    assert quota_cores(proc, root) is None


def test_v1_quota(tmp_path: Path) -> None:
    proc, root = lay(
        tmp_path,
        {
            "proc/self/cgroup": "4:cpu,cpuacct:/docker/abc\n3:memory:/docker/abc\n",
            "cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n",
            "cgroup/cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
            "cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
            "cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "150000\n",
        },
    )
    assert quota_cores(proc, root) == 1.5


def test_no_cgroup_file(tmp_path: Path) -> None:
    assert quota_cores(tmp_path / "proc", tmp_path / "cgroup") is None


def test_load_smaller_of_average_and_runnable(tmp_path: Path) -> None:
    proc, _ = lay(tmp_path, {"proc/loadavg": "3.50 2.00 1.00 2/812 4242\n"})
    assert busy_elsewhere(proc) == 1.0  # the average says 3.5, but only one other task runs now
    proc2, _ = lay(tmp_path / "b", {"proc/loadavg": "0.20 0.50 1.00 5/812 4242\n"})
    assert busy_elsewhere(proc2) == pytest.approx(0.2)


def test_load_without_proc(tmp_path: Path) -> None:
    assert busy_elsewhere(tmp_path, getloadavg=lambda: (2.5, 0.0, 0.0)) == 1.5


@pytest.mark.parametrize(
    ("affinity", "quota", "busy", "expected"),
    [
        (2, None, 0.0, 2),  # idle
        (2, None, 1.0, 1),  # a neighbour holds a core: one process beats two workers
        (2, None, 0.4, 2),
        (2, None, 0.6, 1),
        (8, 2.5, 0.0, 3),  # the quota rounded up
        (8, 0.5, 0.0, 1),
        (4, None, 9.0, 1),  # never below one
        (1, None, 0.0, 1),
    ],
)
def test_usable(affinity: int, quota: float | None, busy: float, expected: int) -> None:
    assert usable_cores(affinity=affinity, quota=quota, busy=busy) == expected


def test_usable_reads_the_machine() -> None:
    found = usable_cores()
    assert 1 <= found <= len(os.sched_getaffinity(0))


def test_a_quota_below_the_affinity_caps_the_workers(tmp_path: Path) -> None:
    """A container given 1.5 cores on a 64-core host: 2 workers, whatever the host's count."""
    proc, root = lay(tmp_path, {"proc/self/cgroup": "0::/\n", "cgroup/cpu.max": "150000 100000\n"})
    assert usable_cores(affinity=64, busy=0.0, proc=proc, root=root) == 2
