"""Which process owns something (a sync run, a scratch file), and whether that process still lives.

A run or a scratch file records "host:pid"; on the same host a dead owner is known at once, on another host
only by its silence (the heartbeat).
"""

from __future__ import annotations

import os
import socket


def this_process() -> str:
    """'host:pid' of the running process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def process_alive(pid: int) -> bool:
    """True while a process with this ID exists on this host (someone else's counts as alive)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_dead(owner: str | None) -> bool:
    """True when `owner` ('host:pid') names a process of this host that no longer exists."""
    host, _, pid = (owner or "").rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not process_alive(int(pid))
