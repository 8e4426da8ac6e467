"""`python -m app.serve [--port 5006] …`: the lab's server, tuned for interaction and safe to host.

Every setting is a command-line flag whose default comes from an environment variable (the
container sets them; see docs/deploy.md), and every default is safe: the server listens on this
machine only and accepts websockets only from pages it served itself.

A stock Panel server loses ~50 ms per interaction to two things that have nothing to do with the
computation (see docs/benchmarks.md): Nagle's algorithm on the server's websocket, which holds back
a reply sent as several frames until the browser's delayed ACK; and Panel's 50 ms debounce of
widget changes (turned off per widget in `app.lab`; its sliders are Bokeh's, and `app.coalesce`
merges a fast drag into one recomputation).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import logging
import os
import secrets
import signal
import time
from collections import OrderedDict

import panel as pn
from bokeh.server import urls
from panel.io.server import DocHandler, WSHandler
from tornado.ioloop import IOLoop
from tornado.iostream import StreamClosedError
from tornado.process import task_id
from tornado.web import GZipContentEncoding
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from app.main import create_lab, open_link
from app.warm import WarmDocHandler, WarmSessions

log = logging.getLogger("newton_lab")
ENVIRONMENT_PREFIX = "NEWTON_LAB_"


class NoDelayWSHandler(WSHandler):
    """Panel's websocket handler with TCP_NODELAY on: every frame of a reply leaves as soon as it is
    written (a change's reply is five or seven frames: header, metadata, content, two per binary buffer).
    Every message received tells the warm sessions that students are at work."""

    warm_sessions: WarmSessions | None = None

    def open(self, *args, **kwargs):
        self.set_nodelay(True)
        return super().open(*args, **kwargs)

    async def on_message(self, fragment):
        if self.warm_sessions is not None:
            self.warm_sessions.active()
        return await super().on_message(fragment)

    async def write_message(self, message, binary=False, locked=True):
        """Put the frame on the stream at once, without giving the event loop a turn.

        Bokeh sends a message's frames one by one under the connection's write lock, awaiting each
        frame's flush; every such await lets the event loop run something else first, so the reply
        to a widget change is still half-sent, with the lock held, when the change starts computing,
        and Panel then defers the resulting update by a fixed 10 ms. Tornado's writes need not be
        awaited: the frame is in the stream's buffer when the call returns.
        """
        written = WebSocketHandler.write_message(self, message, binary)
        written.add_done_callback(lambda future: future.cancelled() or future.exception())  # closed: on_close handles it


def use_own_handlers(warm_sessions: WarmSessions) -> None:
    """Route every app's websocket to `NoDelayWSHandler` and its page to `WarmDocHandler`, as Panel itself
    installs its own handlers."""
    NoDelayWSHandler.warm_sessions = WarmDocHandler.warm_sessions = warm_sessions
    own = {WSHandler: NoDelayWSHandler, DocHandler: WarmDocHandler}
    urls.per_app_patterns[:] = [(route, own.get(handler, handler)) for route, handler in urls.per_app_patterns]


class GzipOnce(GZipContentEncoding):
    """Tornado's gzip content encoding, except that a static file is compressed once, not on every request.

    Every page load fetches Bokeh's and Panel's scripts, some 3 MB. Compressing them afresh for each visitor
    is the largest part of the server's work for a page load, in which it answers nobody else, and the page
    cannot start before its scripts have come. A compressed file is kept by its path and its ETag, which
    the static handlers derive from the file's content, so a kept copy is never stale.
    """

    KEPT = 32  # compressed files kept per process, the most recently served (Bokeh and Panel serve about 20)
    kept: OrderedDict[tuple[str, str], bytes] = OrderedDict()

    def __init__(self, request) -> None:
        super().__init__(request)
        self.path = request.path
        self.keepable = (request.method == "GET" and "/static/" in request.path
                         and "gzip" in request.headers.get("Accept-Encoding", ""))
        self.key: tuple[str, str] | None = None  # set while compressing a file that is to be kept
        self.parts: list[bytes] = []
        self.replaying = False

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        etag = headers.get("Etag")
        key = (self.path, etag) if self.keepable and status_code == 200 and etag else None
        body = self.kept.get(key) if key is not None else None
        if body is not None:  # the whole compressed file at once; the handler's remaining chunks are dropped
            self.kept.move_to_end(key)
            self.replaying = True
            headers["Vary"] = f"{headers['Vary']}, Accept-Encoding" if "Vary" in headers else "Accept-Encoding"
            headers["Content-Encoding"], headers["Content-Length"] = "gzip", str(len(body))
            return status_code, headers, body
        status_code, headers, chunk = super().transform_first_chunk(status_code, headers, chunk, finishing)
        if key is not None and headers.get("Content-Encoding") == "gzip":  # compressed here: kept once whole
            self.key = key
            self.keep(chunk, finishing)
        return status_code, headers, chunk

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        if self.replaying:
            return b""
        chunk = super().transform_chunk(chunk, finishing)
        if self.key is not None:
            self.keep(chunk, finishing)
        return chunk

    def keep(self, part: bytes, finishing: bool) -> None:
        self.parts.append(part)
        if finishing:
            self.kept[self.key] = b"".join(self.parts)
            while len(self.kept) > self.KEPT:
                self.kept.popitem(last=False)


class SessionLog:
    """One log line when a session starts and one when it ends, with its duration and how many are open."""

    def __init__(self, warm_sessions: WarmSessions) -> None:
        self.started: dict[str, float] = {}
        self.warm_sessions = warm_sessions

    def created(self, context) -> None:
        if context.id != self.warm_sessions.building:  # a warm session starts when it is handed out
            self.handed_out(context.id, warm=False)

    def handed_out(self, session_id: str, warm: bool = True) -> None:
        self.started[session_id] = time.monotonic()
        log.info("session %s started (%d open%s)", session_id[:12], len(self.started), ", warm" if warm else "")

    def destroyed(self, context) -> None:
        started = self.started.pop(context.id, None)
        duration = "" if started is None else f" after {time.monotonic() - started:.1f} s"
        log.info("session %s ended%s (%d open)", context.id[:12], duration, len(self.started))


class GarbageCollection:
    """Full collections a hundred times rarer while a class works, and one soon after sessions end.

    A class's open sessions hold hundreds of thousands of objects, and every full (generation-2)
    collection walks them all, stopping every student for 0.2–0.6 s; building 100 sessions set off nine
    such pauses, 2.9 s in all. The objects a closed session leaves in reference cycles wait for a full
    collection, so one is run shortly after sessions end: their memory is still given back.
    """

    def __init__(self, delay: float = 1.0) -> None:
        self.delay, self.due = delay, False

    def start(self) -> None:
        gc.collect()
        gc.freeze()  # the modules and caches loaded so far live for ever: no collection walks them again
        first, second, _ = gc.get_threshold()
        gc.set_threshold(first, second, 1000)  # a full collection after 1000 of generation 1, not 10

    def session_ended(self, context) -> None:
        if not self.due:  # sessions end in batches: one collection for the batch
            self.due = True
            IOLoop.current().call_later(self.delay, self.collect)

    def collect(self) -> None:
        self.due = False
        gc.collect()


def end_with_parent() -> None:
    """In a worker forked by `--num-procs`: ask Linux to end this process when the parent server ends.

    Tornado's parent only restarts workers that die; stopped itself, it would leave them serving.
    """
    if task_id() is None:  # not a forked worker
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the workers must be stopped one by one
        log.warning("workers cannot follow the parent server here: stop them with it")


def quiet_about_closed_pages(loop, context) -> None:
    """An update still being written when its page closed is no error: one line, not a traceback.

    Panel writes updates without waiting for them; if the session ends first, nobody collects the
    failed write, and asyncio would log it with a traceback when it is garbage-collected.
    """
    if isinstance(context.get("exception"), (WebSocketClosedError, StreamClosedError)):
        log.info("a page closed while an update to it was being sent")
    else:
        loop.default_exception_handler(context)


def setting(name: str, default):
    """The environment's NEWTON_LAB_<NAME>, or `default`."""
    return os.environ.get(ENVIRONMENT_PREFIX + name, default)


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(
        prog="python -m app.serve", description="Serve Newton Lab. Each flag's default comes from the "
        f"environment variable named after it ({ENVIRONMENT_PREFIX}PORT, {ENVIRONMENT_PREFIX}ADDRESS, …).")

    def flag(name: str, kind: type, default, help: str | None = None, environment: str | None = None) -> None:
        """--name, defaulting to the environment's NEWTON_LAB_<NAME> (or `environment`), else to `default`."""
        variable = environment or name.upper().replace("-", "_")
        arguments.add_argument(f"--{name}", type=kind, default=kind(setting(variable, default)), help=help)

    flag("port", int, 5006)
    flag("address", str, "127.0.0.1", "interface to listen on (0.0.0.0 in a container)")
    flag("allowed-origins", str, "", "comma-separated host[:port] allowed to open the websocket, as students' "
         "browsers see the server (default: this server's own localhost address only)")
    flag("prefix", str, "", "URL prefix when served behind a reverse proxy, e.g. /newton-lab")
    flag("num-procs", int, 1, f"worker processes on this port (0: one per CPU; environment: {ENVIRONMENT_PREFIX}"
         "PROCESSES); see docs/deploy.md", environment="PROCESSES")
    flag("unused-session-lifetime", float, 60, "seconds a session is kept after its page closed or before its "
         "page connects; while a class arrives a page can wait that long, and its session would be built twice")
    flag("warm-sessions", int, 8, "sessions each process builds in advance while idle, so that a class arriving "
         "together is served at once (about 2 MB each); see docs/deploy.md")
    flag("keep-alive", float, 30, "seconds between pings that keep idle websockets open through proxies")
    flag("max-message-size", int, 1 << 20, "largest websocket message accepted from a browser, in bytes")
    flag("basic-auth", str, "", "a password for the whole class, or a JSON file of {user: password}; "
         "empty: no login")
    flag("cookie-secret", str, "", "secret that signs login cookies; give the same one to every process and replica")
    return arguments


def main(argv: list[str] | None = None) -> None:
    options = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    log.setLevel(logging.INFO)
    logging.getLogger("tornado.access").setLevel(logging.WARNING)  # the session lines say who came and went
    origins = [origin.strip() for origin in options.allowed_origins.split(",") if origin.strip()]
    warm_sessions = WarmSessions(options.warm_sessions)
    sessions = SessionLog(warm_sessions)
    warm_sessions.handed_out = sessions.handed_out
    pn.state.on_session_created(sessions.created)
    pn.state.on_session_destroyed(sessions.destroyed)
    collection = GarbageCollection()
    pn.state.on_session_destroyed(collection.session_ended)
    use_own_handlers(warm_sessions)
    authentication = {}
    if options.basic_auth:
        authentication = {"basic_auth": options.basic_auth, "cookie_secret": options.cookie_secret or secrets.token_hex(32)}
    prefix = "/" + options.prefix.strip("/") if options.prefix.strip("/") else ""
    print(f"Newton Lab: http://localhost:{options.port}{prefix}/", flush=True)
    server = pn.serve(
        create_lab, port=options.port, address=options.address, show=False, start=False, title="Newton Lab",
        websocket_origin=origins or [f"localhost:{options.port}", f"127.0.0.1:{options.port}"],
        prefix=prefix, num_procs=options.num_procs, liveness=True, transforms=[GzipOnce],
        unused_session_lifetime_milliseconds=int(options.unused_session_lifetime * 1000),
        check_unused_sessions_milliseconds=int(max(1.0, options.unused_session_lifetime / 2) * 1000),
        keep_alive_milliseconds=int(options.keep_alive * 1000),
        websocket_max_message_size=options.max_message_size,
        **authentication,
    )
    end_with_parent()
    collection.start()
    server.io_loop.asyncio_loop.set_exception_handler(quiet_about_closed_pages)
    # Bokeh's server offers its Tornado application, with the application contexts, only as `_tornado`.
    warm_sessions.start(server._tornado, f"{prefix}/", options.unused_session_lifetime, open_link)
    server.start()
    server.io_loop.start()


if __name__ == "__main__":
    main()
