"""Real servers on loopback for endpoint checks: an HTTP(S) app with the behaviours checks
meet (statuses, slow answers, redirect loops, JSON bodies), a bare TLS server, and a small
DNS server answering from a table."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import trustme
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

DOCUMENT = {"status": "ok", "items": [{"count": 3}, {"count": 5}], "version": "2.1.0", "ready": True}


async def ok(request: Request) -> Response:
    return PlainTextResponse("hello from the test server")


async def status(request: Request) -> Response:
    return PlainTextResponse(f"status {request.path_params['code']}", status_code=int(request.path_params["code"]))


IN_FLIGHT: dict[str, int] = {}
MOST_AT_ONCE: dict[str, int] = {}


async def slow(request: Request) -> Response:
    """Answers after `seconds`; counts the requests for the same `id` served at once."""
    key = request.query_params.get("id", "")
    IN_FLIGHT[key] = IN_FLIGHT.get(key, 0) + 1
    MOST_AT_ONCE[key] = max(MOST_AT_ONCE.get(key, 0), IN_FLIGHT[key])
    try:
        await asyncio.sleep(float(request.query_params.get("seconds", "5")))
    finally:
        IN_FLIGHT[key] -= 1
    return PlainTextResponse("finally")


async def loop(request: Request) -> Response:
    return RedirectResponse("/loop", status_code=302)


async def hops(request: Request) -> Response:
    left = int(request.path_params["left"])
    if left == 0:
        return PlainTextResponse("arrived")
    return RedirectResponse(f"/hops/{left - 1}", status_code=301)


async def document(request: Request) -> Response:
    return JSONResponse(DOCUMENT)


async def headers(request: Request) -> Response:
    return JSONResponse(dict(request.headers))


APP = Starlette(
    routes=[
        Route("/ok", ok, methods=["GET", "HEAD", "POST"]),
        Route("/status/{code}", status),
        Route("/slow", slow),
        Route("/loop", loop),
        Route("/hops/{left}", hops),
        Route("/json", document),
        Route("/headers", headers),
    ]
)


@contextlib.asynccontextmanager
async def http_server(ssl_files: tuple[Path, Path] | None = None) -> AsyncIterator[str]:
    """The app served on 127.0.0.1; yields its base URL (https with `ssl_files`: cert, key)."""
    options: dict[str, Any] = {}
    if ssl_files is not None:
        options = {"ssl_certfile": str(ssl_files[0]), "ssl_keyfile": str(ssl_files[1])}
    config = uvicorn.Config(APP, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="off", **options)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"{'https' if ssl_files else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def certificate_files(tmp_path: Path, *hosts: str) -> tuple[Path, Path]:
    """A certificate for `hosts` from a fresh CA nobody trusts; (cert chain, key) files."""
    ca = trustme.CA()
    cert = ca.issue_cert(*hosts)
    chain, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(key))
    with chain.open("wb") as handle:
        for blob in cert.cert_chain_pems:
            handle.write(blob.bytes())
    return chain, key


@contextlib.asynccontextmanager
async def tls_server(files: tuple[Path, Path]) -> AsyncIterator[int]:
    """A TLS server on 127.0.0.1 that completes the handshake and closes; yields its port."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(files[0]), str(files[1]))

    async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()

    server = await asyncio.start_server(greet, "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class _DnsProtocol(asyncio.DatagramProtocol):
    def __init__(self, records: dict[tuple[str, str], list[str]]) -> None:
        self.records = records
        self.transport: Any = None
        self.queries: list[str] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        kind = dns.rdatatype.to_text(question.rdtype)
        self.queries.append(f"{name} {kind}")
        if not any(known == name for known, _ in self.records):
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif values := self.records.get((name, kind)):
            response.answer.append(dns.rrset.from_text_list(question.name, 60, "IN", kind, values))
        self.transport.sendto(response.to_wire(), addr)


@contextlib.asynccontextmanager
async def dns_server(records: dict[tuple[str, str], list[str]]) -> AsyncIterator[tuple[str, _DnsProtocol]]:
    """A nameserver on 127.0.0.1 answering from `records` ((name, type) → values);
    yields its `address:port` and the protocol (which keeps the queries seen)."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: _DnsProtocol(records), local_addr=("127.0.0.1", 0)
    )
    try:
        yield f"127.0.0.1:{transport.get_extra_info('sockname')[1]}", protocol
    finally:
        transport.close()


def as_json(value: Any) -> str:
    return json.dumps(value)
