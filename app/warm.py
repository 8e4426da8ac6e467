"""Warm sessions: pages built while the server is idle, handed out when a class arrives.

Building a session's document costs about 0.3 s of CPU, and sending it to the browser another 0.1 s
(Bokeh reads every property of every model to serialise it). One process builds one session at a
time, so a class of 200 arriving together waits over a minute for the last page. Here each process
keeps a pool of finished sessions of the default scene, each with its serialised document kept: a
page load takes one from the pool, applies the link's query if it has one, and is answered at once.
The pool is refilled one session at a time, only once no student has sent anything for a while, so
refilling never delays anyone's interaction.

Each pooled session is an ordinary Bokeh session, built by Bokeh's own `create_session_if_needed`
under a fresh session id and kept from expiring; the page handler (`WarmDocHandler`) hands its id to
the visitor in place of a new one. Signed session ids would need the page's token signed for the
pooled id, so with `BOKEH_SIGN_SESSIONS` on no pool is kept.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from bokeh.document import Document
from bokeh.server.contexts import ApplicationContext
from bokeh.server.session import ServerSession
from bokeh.util.token import generate_session_id
from panel.io.resources import LOCAL_DIST, patch_model_css
from panel.io.server import DocHandler
from panel.io.state import set_curdoc, state
from tornado.httputil import HTTPHeaders, HTTPServerRequest
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


class WarmSessions:
    """Up to `size` sessions of an application, built in advance; `take` hands one out."""

    def __init__(self, size: int, quiet: float = 2.0) -> None:
        self.size = size
        self.quiet = quiet  # seconds without any student's message before a session is built
        self.handed_out: Callable[[str], None] = lambda session_id: None
        self.ready: list[ServerSession] = []
        self.building: str | None = None  # the id of the session being built
        self.context: ApplicationContext | None = None
        self.page_path = "/"
        self.last_activity = time.monotonic()
        self.reconnect_window = 60.0  # seconds a handed-out session waits for its websocket
        self.opening_link: Callable[[Document, str], None] | None = None

    def active(self) -> None:
        """A student did something: building waits until `quiet` seconds pass without this."""
        self.last_activity = time.monotonic()

    def start(self, context: ApplicationContext, page_path: str, sign_sessions: bool, reconnect_window: float,
              opening_link: Callable[[Document, str], None]) -> None:
        """Keep the pool of `context`'s sessions, whose page is at `page_path`, full from now on (a no-op for
        size 0)."""
        if self.size <= 0:
            return
        if sign_sessions:
            log.warning("signed session ids: no warm sessions are kept")
            return
        self.context, self.page_path, self.reconnect_window = context, page_path, reconnect_window
        self.opening_link = opening_link
        self.last_activity = time.monotonic() - self.quiet
        IOLoop.current().add_callback(self.keep_full)

    async def keep_full(self) -> None:
        while True:
            idle = time.monotonic() - self.last_activity
            if len(self.ready) < self.size and idle >= self.quiet:
                await self.build()
                if len(self.ready) == self.size:
                    log.info("warm sessions: %d ready", self.size)
                await asyncio.sleep(0)
            else:
                await asyncio.sleep(max(0.05, self.quiet - idle) if len(self.ready) < self.size else self.quiet)

    async def build(self) -> None:
        # Built as for a plain visit to the page (Panel reads the request while building); the browser
        # tells its own address once it connects.
        visit = HTTPServerRequest(method="GET", uri=self.page_path, headers=HTTPHeaders({"Host": "localhost"}))
        self.building = generate_session_id()
        try:
            session = await self.context.create_session_if_needed(self.building, visit)
        finally:
            self.building = None
        session.block_expiration()  # unused, but not to be reclaimed
        document = session.document
        # What Panel does to every page it renders, done before the serialisation is kept: the
        # stylesheets' addresses, on the CDN until then, point to this server. Panel makes that change
        # unseen by change callbacks, so it must not come after.
        with set_curdoc(document):
            dist_url = f"{state.rel_path}/{LOCAL_DIST}" if state.rel_path else LOCAL_DIST
        for root in document.roots:
            patch_model_css(root, dist_url=dist_url)
        document.__class__ = KeptJsonDocument  # adds only the kept serialisation
        document.keep_json()
        self.ready.append(session)

    async def take(self, query: str) -> ServerSession | None:
        """A pooled session showing the link's `query` (its page's query string), or None if none is ready."""
        if not self.ready:
            return None
        self.active()
        session = self.ready.pop()
        if query:
            def open_link() -> None:
                with set_curdoc(session.document):
                    self.opening_link(session.document, query)
            await session.with_document_locked(open_link)
        # Reclaimed like any session once unused, but only after its page has had time to connect.
        IOLoop.current().call_later(self.reconnect_window, session.unblock_expiration)
        self.handed_out(session.id)
        return session


class WarmDocHandler(DocHandler):
    """Panel's page handler, handing out a warm session when the request names no session of its own."""

    warm_sessions: WarmSessions | None = None

    @authenticated
    async def get_session(self) -> ServerSession:
        names_one = self.get_argument("bokeh-session-id", None) or self.get_argument("bokeh-token", None) \
            or "Bokeh-Session-Id" in self.request.headers
        if not names_one and self.warm_sessions is not None:
            session = await self.warm_sessions.take(self.request.query)
            if session is not None:
                return session
        return await super().get_session()
