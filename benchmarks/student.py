"""A student's browser without the browser: a real Bokeh client session over the websocket.

`Student.join(url)` does what BokehJS does when a page opens: it loads the page (whose HTML carries
the session's token), opens the websocket with TCP_NODELAY on as browsers set it, pulls the
document, and announces `document_ready` (until then Panel holds back column data, expecting to
send the whole document later). It then moves widgets and taps the plot as a person would, each
call returning the seconds until the column data the change causes has arrived back: until the
last message carrying column data, once the server has been quiet for `QUIET` seconds. Messages are
framed and parsed by Bokeh's own protocol classes; the document's JSON is only searched for the
models a student touches, not rebuilt, so that one process can play hundreds of students.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from typing import Any
from urllib.parse import urlsplit

from bokeh.protocol import Protocol
from bokeh.protocol.receiver import Receiver
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

TOKEN = re.compile(r'"token"\s*:\s*"([^"]+)"')
ANSWER_TIMEOUT = 30.0  # seconds a change may wait for its data before it counts as unanswered
QUIET = 0.05  # seconds without a message after which a change's answer is complete


class SessionError(RuntimeError):
    """The server refused, closed or broke a session, or left a change unanswered."""


def models_in(value: Any):
    """Every Bokeh model serialised anywhere inside a document's JSON."""
    if isinstance(value, dict):
        if value.get("type") == "object" and "id" in value:
            yield value
        for item in value.values():
            yield from models_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from models_in(item)


def cookie_header(cookies: dict[str, str]) -> dict[str, str]:
    """The Cookie header that sends `cookies`, or no header for none."""
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())} if cookies else {}


def carries_data(message) -> bool:
    """Whether a PATCH-DOC message brings column data (a new `data`, a stream or a patch)."""
    return any(event.get("kind") in ("ColumnDataChanged", "ColumnsStreamed", "ColumnsPatched")
               or event.get("attr") == "data" for event in message.content.get("events", []))


class Student:
    """One open page of the lab, with its websocket session."""

    def __init__(self, url: str, socket, models: list[dict]) -> None:
        self.url = url
        self.socket = socket
        self.models = models
        self.document: dict = {}  # the document's JSON as pulled
        self.receiver = Receiver(Protocol())
        self.message_ids = itertools.count()
        self.answer: asyncio.Future | None = None  # resolved when column data next arrives
        self.last_message = self.last_data = 0.0  # perf_counter times of the last message, of the last data
        self.errors: list[str] = []
        self.reader: asyncio.Task | None = None

    @classmethod
    async def join(cls, url: str, timeout: float = 120.0, cookies: dict[str, str] | None = None) -> Student:
        """Open the page at `url` and its session, as a browser would, with the `cookies` it kept from
        earlier visits; SessionError if refused."""
        client = AsyncHTTPClient(force_instance=True)  # its own: a shared client queues requests ten at a time
        try:
            page = await client.fetch(url, headers=cookie_header(cookies or {}), connect_timeout=timeout,
                                      request_timeout=timeout, raise_error=False)
        finally:
            client.close()
        if page.code != 200:
            raise SessionError(f"GET {url}: HTTP {page.code}")
        token = TOKEN.search(page.body.decode())
        if token is None:
            raise SessionError(f"GET {url}: no session token in the page")
        parts = urlsplit(url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        # As a browser: the page's origin, and its cookies back (a proxy's session affinity lives in one).
        jar = dict(cookies or {})
        jar.update(cookie.split(";", 1)[0].split("=", 1) for cookie in page.headers.get_list("Set-Cookie"))
        headers = {"Origin": f"{parts.scheme}://{parts.netloc}", **cookie_header(jar)}
        request = HTTPRequest(f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}/ws", headers=headers,
                              connect_timeout=timeout, request_timeout=timeout)
        socket = await websocket_connect(request, subprotocols=["bokeh", token.group(1)])
        socket.protocol.set_nodelay(True)  # as browsers do
        student = cls(url, socket, [])
        await student.expect("ACK", timeout)
        await student.send("PULL-DOC-REQ", {})
        reply = await student.expect("PULL-DOC-REPLY", timeout)
        student.document = reply.content["doc"]
        student.models = list(models_in(student.document["roots"]))
        student.reader = asyncio.ensure_future(student.read())
        await student.send_events([{"kind": "MessageSent", "msg_type": "bokeh_event",
                                    "msg_data": {"type": "event", "name": "document_ready", "values": {}}}])
        return student

    # What a student does
    def model(self, kind: str, **attributes: Any) -> dict:
        """The first model of type `kind` (e.g. "Slider") whose attributes start with the given values."""
        for model in self.models:
            found = model.get("attributes", {})
            if model["name"] == kind and all(str(found.get(k, "")).startswith(str(v)) for k, v in attributes.items()):
                return model
        raise SessionError(f"no {kind} with {attributes} on the page")

    async def set_value(self, model: dict, value: Any) -> float:
        """Move a widget to `value`; seconds until the data it causes arrives."""
        return await self.change([{"kind": "ModelChanged", "model": {"id": model["id"]}, "attr": "value",
                                   "new": value}])

    async def tap(self, figure: dict, x: float, y: float) -> float:
        """Tap the plot at data coordinates (x, y); seconds until the data it causes arrives."""
        values = {"model": {"id": figure["id"]}, "sx": 0.0, "sy": 0.0, "x": x, "y": y,
                  "modifiers": {"shift": False, "ctrl": False, "alt": False}}
        return await self.change([{"kind": "MessageSent", "msg_type": "bokeh_event",
                                   "msg_data": {"type": "event", "name": "tap", "values": values}}])

    async def change(self, events: list[dict]) -> float:
        """Send a change; seconds until the last message of column data it caused arrived."""
        self.answer = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        await self.send_events(events)
        try:
            await asyncio.wait_for(asyncio.shield(self.answer), ANSWER_TIMEOUT)
        except asyncio.TimeoutError:
            self.answer.cancel()
            raise SessionError(f"no data came back within {ANSWER_TIMEOUT:.0f} s") from None
        while (quiet := time.perf_counter() - self.last_message) < QUIET:
            await asyncio.sleep(QUIET - quiet)
        return self.last_data - started

    async def close(self) -> None:
        self.socket.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)

    # The wire
    async def send_events(self, events: list[dict]) -> None:
        await self.send("PATCH-DOC", {"events": events})

    async def send(self, message_type: str, content: dict) -> None:
        """A Bokeh protocol message: three text frames, header, metadata and content, sent back to back as
        BokehJS sends them (it does not wait for one to leave before sending the next)."""
        header = {"msgid": str(next(self.message_ids)), "msgtype": message_type}
        written = [self.socket.write_message(json.dumps(part)) for part in (header, {}, content)]
        await asyncio.gather(*written)

    async def receive(self):
        """The next whole message from the server, or SessionError when the socket closed."""
        while True:
            fragment = await self.socket.read_message()
            if fragment is None:
                raise SessionError(f"the server closed the session ({self.socket.close_code} {self.socket.close_reason})")
            message = await self.receiver.consume(fragment)
            if message is not None:
                return message

    async def expect(self, message_type: str, timeout: float):
        message = await asyncio.wait_for(self.receive(), timeout)
        if message.msgtype != message_type:
            raise SessionError(f"expected {message_type}, got {message.msgtype}: {message.content}")
        return message

    async def read(self) -> None:
        """Until the socket closes: note when column data arrives, and every error the server reports."""
        try:
            while True:
                message = await self.receive()
                self.last_message = time.perf_counter()
                if message.msgtype == "ERROR":
                    self.errors.append(str(message.content))
                elif message.msgtype == "PATCH-DOC" and carries_data(message):
                    self.last_data = self.last_message
                    if self.answer is not None and not self.answer.done():
                        self.answer.set_result(self.last_message)
        except SessionError as error:
            if self.answer is not None and not self.answer.done():
                self.answer.set_exception(error)
