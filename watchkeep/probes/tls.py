"""TLS: the handshake with `host:port` completes; with `verify` the certificate chain must be
trusted and match the name (the server name sent, SNI, defaults to the host). The
certificate's details and expiry are the certificates domain's business."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time

from watchkeep.probes.base import CheckContext, CheckSpec, Outcome, elapsed_ms, split_host_port


def _context(verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def check(spec: CheckSpec, context: CheckContext) -> Outcome:
    host, port = split_host_port(spec.target)
    verify = bool(spec.settings.get("verify", True))
    server_name = spec.settings.get("server_name") or host
    started = time.perf_counter()
    try:
        async with asyncio.timeout(spec.timeout_seconds):
            _, writer = await asyncio.open_connection(
                host,
                port,
                ssl=_context(verify),
                server_hostname=server_name,
                ssl_handshake_timeout=spec.timeout_seconds,
            )
    except TimeoutError:
        return Outcome.down(f"timed out after {spec.timeout_seconds:g} s", elapsed_ms(started))
    except ssl.SSLCertVerificationError as exc:
        return Outcome.down(f"certificate not trusted: {exc.verify_message or exc.reason}", elapsed_ms(started))
    except ssl.SSLError as exc:
        return Outcome.down(f"TLS handshake failed: {exc.reason or exc}", elapsed_ms(started))
    except OSError as exc:
        return Outcome.down(f"cannot connect: {exc.strerror or exc}", elapsed_ms(started))
    took = elapsed_ms(started)
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError):
        await writer.wait_closed()
    return Outcome(True, took)
