"""Warm sessions: pages built while the server is idle, handed out when a class arrives.

Opening the page costs a lab process about 0.4 s of CPU: 0.3 s to build the session's document,
0.1 s to serialise it for the browser, and 30 ms to render the HTML page (Bokeh reads every
property of every model for the last two). One process builds one session at a time, so a class of
200 arriving together waits over a minute for the last page. Here each process keeps a pool of
finished sessions of the default scene, each with its page rendered and its document serialised: a
page load takes one, applies the link's query if it has one, and is answered at once. The pool is
refilled one session at a time, only once no student has sent anything for a while, so refilling
never delays anyone's interaction.

Each pooled session is an ordinary Bokeh session, built by Bokeh's own `create_session_if_needed`
under a fresh session id and kept from expiring; its page is rendered by Panel's own function, and
`WarmDocHandler` serves it with a fresh token in place of the one it was rendered with. Signed
session ids would need that token signed, so with `BOKEH_SIGN_SESSIONS` on no pool is kept.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bokeh.document import Document
from bokeh.server.contexts import ApplicationContext
from bokeh.server.session import ServerSession
from bokeh.server.tornado import BokehTornado
from bokeh.util.token import generate_session_id
from panel.config import config
from panel.io.resources import Resources
from panel.io.server import DocHandler, server_html_page_for_session
from panel.io.state import set_curdoc
from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine
from tornado.ioloop import IOLoop
from tornado.web import authenticated

log = logging.getLogger("newton_lab")


class KeptJsonDocument(Document):
    """A document that keeps its serialised form until it changes: a pooled page is serialised while
    the server is idle, and its visitor's pull is answered from that."""

    kept_json = None

    def keep_json(self) -> None:
        self.kept_json = super().to_json()
        self.on_change(self._forget_json)

    def _forget_json(self, event) -> None:
        self.kept_json = None

    def to_json(self, *, deferred: bool = True):
        if deferred and self.kept_json is not None and self.callbacks.hold_value is None:  # held changes: not seen yet
            return self.kept_json
        return super().to_json(deferred=deferred)


@dataclass
class WarmSession:
    session: ServerSession
    page: str  # its HTML page, rendered with `token`
    token: str

    def page_with_fresh_token(self) -> str:
        """The page, carrying a token made now: a token expires minutes after it is made."""
        return self.page.replace(self.token, self.session.token)


class WarmSessions:
    """Up to `size` sessions of an application, built in advance; `take` hands one out."""

    def __init__(self, size: int, quiet: float = 2.0) -> None:
        self.size = size
        self.quiet = quiet  # seconds without any student's message before a session is built
        self.handed_out: Callable[[str], None] = lambda session_id: None
        self.ready: list[WarmSession] = []
        self.building: str | None = None  # the id of the session being built
        self.last_activity = time.monotonic()
        self.server: BokehTornado | None = None
        self.context: ApplicationContext | None = None
        self.page_path = "/"
        self.reconnect_window = 60.0  # seconds a handed-out session waits for its websocket
        self.opening_link: Callable[[Document, str], None] | None = None

    def active(self) -> None:
        """A student did something: building waits until `quiet` seconds pass without this."""
        self.last_activity = time.monotonic()

    def start(self, server: BokehTornado, page_path: str, reconnect_window: float,
              opening_link: Callable[[Document, str], None]) -> None:
        """Keep the pool of `server`'s one application, whose page is at `page_path`, full from now on
        (a no-op for size 0)."""
        if self.size <= 0:
            return
        if server.sign_sessions:
            log.warning("signed session ids: no warm sessions are kept")
            return
        (self.context,) = server.applications.values()
        self.server, self.page_path, self.reconnect_window = server, page_path, reconnect_window
        self.opening_link = opening_link
        self.last_activity = time.monotonic() - self.quiet
        IOLoop.current().add_callback(self.keep_full)

    async def keep_full(self) -> None:
        while True:
            idle = time.monotonic() - self.last_activity
            if len(self.ready) < self.size and idle >= self.quiet:
                self.ready.append(await self.build())
                if len(self.ready) == self.size:
                    log.info("warm sessions: %d ready", self.size)
                await asyncio.sleep(0)
            else:
                await asyncio.sleep(max(0.05, self.quiet - idle) if len(self.ready) < self.size else self.quiet)

    async def build(self) -> WarmSession:
        # Built as for a plain visit to the page (Panel reads the request while building); the browser
        # tells its own address once it connects.
        visit = HTTPServerRequest(start_line=RequestStartLine("GET", self.page_path, "HTTP/1.1"),
                                  headers=HTTPHeaders({"Host": "localhost"}))
        self.building = generate_session_id()
        try:
            session = await self.context.create_session_if_needed(self.building, visit)
        finally:
            self.building = None
        session.block_expiration()  # unused, but not to be reclaimed
        document = session.document
        with set_curdoc(document):  # as Panel's page handler renders a page
            token = session.token
            page = server_html_page_for_session(
                session, resources=Resources.from_bokeh(self.server.resources()), title=document.title,
                token=token, template=document.template, template_variables=document.template_variables)
        # Rendering changed the document unseen by change callbacks (stylesheets now point to this
        # server, not the CDN): the serialisation is kept only now.
        document.__class__ = KeptJsonDocument  # adds only the kept serialisation
        document.keep_json()
        return WarmSession(session, page, token)

    async def take(self, query: str) -> WarmSession | None:
        """A pooled session showing the link's `query` (its page's query string), or None if none is ready."""
        if not self.ready:
            return None
        self.active()
        warm = self.ready.pop()
        if query:
            def open_link() -> None:
                with set_curdoc(warm.session.document):
                    self.opening_link(warm.session.document, query)
            await warm.session.with_document_locked(open_link)
        # Reclaimed like any session once unused, but only after its page has had time to connect.
        IOLoop.current().call_later(self.reconnect_window, warm.session.unblock_expiration)
        self.handed_out(warm.session.id)
        return warm


class WarmDocHandler(DocHandler):
    """Panel's page handler, answering with a warm session's page when the request is a plain visit."""

    warm_sessions: WarmSessions | None = None

    def plain_visit(self) -> bool:
        """A page load that names no session of its own, at the page's path, with no authorisation hook."""
        return not (self.get_argument("bokeh-session-id", None) or self.get_argument("bokeh-token", None)
                    or "Bokeh-Session-Id" in self.request.headers or config.authorize_callback
                    or not self.request.path.endswith("/"))

    @authenticated
    async def get(self, *args, **kwargs):
        if self.warm_sessions is not None and self.plain_visit():
            warm = await self.warm_sessions.take(self.request.query)
            if warm is not None:
                self.set_header("Cache-Control", "no-store")  # as Panel: the page holds a short-lived token
                self.set_header("Content-Type", "text/html")
                self.write(warm.page_with_fresh_token())
                return
        await super().get(*args, **kwargs)
