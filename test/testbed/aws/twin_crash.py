"""Crash injection: SIGKILL a client process right after its k-th mutating AWS call took effect.

A crash test arms the twin with k (POST /_twin/crash {afterMutating: k}), starts the process under
test and registers its pid (POST /_twin/crash {pid}). Every call that changes something (an action
not named Describe*, List* or Get*, STS excluded: AssumeRole changes nothing) and succeeds (HTTP
status below 400) is counted once moto has made the change; the k-th one kills the registered
process before the answer is sent. So the change is in the twin and the process never learns of it:
the worst moment for a run to die, between an AWS change and its state write.
GET /_twin/crash answers {after, pid, seen, fired, calls}; DELETE /_twin/crash disarms (so does a reset).
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from twin_state import is_mutating

# Calls that change nothing of the stack's (credentials, prices).
NOT_COUNTED = {"sts", "pricing"}

_LOCK = threading.Lock()
_ARMED: dict[str, Any] = {}


def reset() -> None:
    with _LOCK:
        _ARMED.clear()


def arm(body: dict[str, Any]) -> dict[str, Any]:
    """POST /_twin/crash: {afterMutating: k} arms (counting from 0); {pid} alone names the process."""
    with _LOCK:
        if "afterMutating" in body:
            after = int(body["afterMutating"])
            if after < 1:
                raise ValueError("afterMutating must be 1 or more")
            _ARMED.clear()
            _ARMED.update({"after": after, "pid": None, "seen": 0, "fired": None, "calls": []})
        if "pid" in body:
            if not _ARMED:
                raise ValueError("arm with afterMutating first")
            _ARMED["pid"] = int(body["pid"])
        return dict(_ARMED)


def state() -> dict[str, Any]:
    with _LOCK:
        return dict(_ARMED) if _ARMED else {"after": None}


def observe(service: str, action: str, status: int) -> None:
    """After a call moto answered: counts it when it changed something, and kills at the k-th."""
    if not _ARMED or status >= 400 or service in NOT_COUNTED or not is_mutating(action):
        return
    with _LOCK:
        if not _ARMED or _ARMED["fired"] is not None:
            return
        _ARMED["seen"] += 1
        _ARMED["calls"].append(f"{service}:{action}")
        if _ARMED["seen"] < _ARMED["after"]:
            return
        _ARMED["fired"] = f"{service}:{action}"
        pid = _ARMED["pid"]
    if pid is not None:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
