"""ICMP: one echo request answered within the timeout, sent from an unprivileged datagram
ICMP socket. Linux allows those to the groups in `net.ipv4.ping_group_range`; where the
hub's group is not among them the check is down with that reason, never silently up."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
import time

from watchkeep.probes.base import CheckContext, CheckSpec, Outcome, elapsed_ms

NOT_ALLOWED = (
    "unprivileged ICMP is not allowed here: add the hub's group to net.ipv4.ping_group_range "
    "(sysctl -w net.ipv4.ping_group_range='0 2147483647') or use a tcp check"
)


def _echo_request(family: int, sequence: int, payload: bytes) -> bytes:
    kind = 8 if family == socket.AF_INET else 128
    # The kernel fills in the identifier and checksum of a datagram ICMP socket.
    return struct.pack("!BBHHH", kind, 0, 0, 0, sequence) + payload


def _is_reply(family: int, packet: bytes, sequence: int) -> bool:
    kind = 0 if family == socket.AF_INET else 129
    return len(packet) >= 8 and packet[0] == kind and struct.unpack("!H", packet[6:8])[0] == sequence


async def check(spec: CheckSpec, context: CheckContext) -> Outcome:
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    try:
        async with asyncio.timeout(spec.timeout_seconds):
            infos = await loop.getaddrinfo(spec.target, None, type=socket.SOCK_DGRAM)
    except TimeoutError:
        return Outcome.down(f"could not resolve {spec.target} within {spec.timeout_seconds:g} s")
    except OSError as exc:
        return Outcome.down(f"cannot resolve {spec.target}: {exc.strerror or exc}")
    family, _, _, _, address = infos[0]
    protocol = socket.IPPROTO_ICMP if family == socket.AF_INET else socket.IPPROTO_ICMPV6
    try:
        sock = socket.socket(family, socket.SOCK_DGRAM, protocol)
    except PermissionError:
        return Outcome.down(NOT_ALLOWED)
    except OSError as exc:
        return Outcome.down(f"cannot open an ICMP socket: {exc.strerror or exc}")
    sequence = int.from_bytes(os.urandom(2), "big")
    with contextlib.closing(sock):
        sock.setblocking(False)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(spec.timeout_seconds):
                await loop.sock_sendto(sock, _echo_request(family, sequence, b"watchkeep"), (address[0], 0))
                while True:
                    packet = await loop.sock_recv(sock, 2048)
                    if _is_reply(family, packet, sequence):
                        return Outcome(True, elapsed_ms(started))
        except TimeoutError:
            return Outcome.down(f"no echo reply within {spec.timeout_seconds:g} s", elapsed_ms(started))
        except OSError as exc:
            return Outcome.down(f"ICMP echo failed: {exc.strerror or exc}", elapsed_ms(started))
