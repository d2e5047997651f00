"""A guard on every socket a library opens on our behalf, for senders that do their own
networking (Apprise, with requests and smtplib inside): while a guard is active in the
current context, a connection (or datagram) to an address the URL policy does not allow is
refused before it leaves, whatever name, override parameter or redirect led there.

It hooks Python's `socket.connect` / `socket.sendto` / `socket.sendmsg` audit events, once
per process; the guard is a context variable, so it covers the thread the send runs in and
the worker threads Apprise starts with a copy of its context, and nothing else."""

from __future__ import annotations

import contextlib
import errno
import socket
import sys
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from watchkeep.notify.urlpolicy import UrlPolicy

_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})


class ConnectGuard:
    def __init__(self, policy: UrlPolicy) -> None:
        self.policy = policy
        self.refused = 0
        self._lock = threading.Lock()

    def check(self, sock: socket.socket, address: Any) -> None:
        if address is None:  # sendmsg on a connected socket: checked when it connected
            return
        ip_socket = sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple)
        if ip_socket and self.policy.address_allowed(str(address[0])):
            return
        with self._lock:
            self.refused += 1
        raise PermissionError(errno.EACCES, "connection refused by the outbound URL policy")


_active: ContextVar[ConnectGuard | None] = ContextVar("watchkeep_connect_guard", default=None)
_installed = False
_install_lock = threading.Lock()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event not in _EVENTS:
        return
    guard = _active.get()
    if guard is not None:
        guard.check(args[0], args[1])


def install() -> None:
    """Add the audit hook (it cannot be removed; inactive, it returns at once)."""
    global _installed
    with _install_lock:
        if not _installed:
            sys.addaudithook(_audit)
            _installed = True


@contextlib.contextmanager
def guarded(policy: UrlPolicy) -> Iterator[ConnectGuard]:
    install()
    guard = ConnectGuard(policy)
    token = _active.set(guard)
    try:
        yield guard
    finally:
        _active.reset(token)
