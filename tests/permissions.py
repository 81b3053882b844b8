"""Permission bits that hold for the tests even when they run as root.

Root passes every permission check through two capabilities (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so
a folder of mode 0600 is searchable to it and a test of "the cache cannot be searched" would pass
without testing anything. :func:`owner_permissions` lowers the two from the thread's effective set (they
stay permitted, and are raised again afterwards): root is then held to a file's owner bits like any
user. Elsewhere it does nothing. A test that needs it is skipped only where neither works (another
system without capabilities, run as root)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_VERSION_3 = 0x20080522
_DAC = (1 << 1) | (1 << 2)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH


class _Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _Data(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


@contextlib.contextmanager
def owner_permissions() -> Iterator[None]:
    """Within it, this process is held to permission bits, root or not."""
    if os.geteuid() != 0:
        yield
        return
    if not sys.platform.startswith("linux"):
        pytest.skip("root without Linux capabilities to lower: permission bits do not apply")
    libc = ctypes.CDLL(None, use_errno=True)
    header = _Header(_VERSION_3, 0)
    saved = (_Data * 2)()
    if libc.capget(ctypes.byref(header), saved) != 0:
        pytest.skip("cannot read this process's capabilities")
    lowered = (_Data * 2)(*saved)
    lowered[0].effective &= ~_DAC
    if libc.capset(ctypes.byref(header), lowered) != 0:
        pytest.skip("cannot lower this process's capabilities")
    try:
        yield
    finally:
        libc.capset(ctypes.byref(_Header(_VERSION_3, 0)), saved)


def unsearchable(folder: Path, mode: int = 0o600) -> None:
    """Give ``folder`` a ``mode`` without the search bit, and check that it now holds (within
    :func:`owner_permissions`): looking up a name in it fails with PermissionError."""
    folder.chmod(mode)
    with pytest.raises(PermissionError):
        os.stat(folder / "anything")
