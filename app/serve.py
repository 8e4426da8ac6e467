"""`python -m app.serve [--port 5006] [--address 127.0.0.1]`: the lab's server, tuned for interaction.

A stock Panel server loses ~50 ms per interaction to two things that have nothing to do with the
computation (see docs/benchmarks.md): Nagle's algorithm on the server's websocket, which holds back
a reply sent as several frames until the browser's delayed ACK; and Panel's 50 ms debounce of
widget changes (turned off per widget in `app.lab`, where Panel's pending-events queue still
coalesces a fast drag into one recomputation).
"""

from __future__ import annotations

import argparse

import panel as pn
from bokeh.server import urls
from panel.io.server import WSHandler
from tornado.websocket import WebSocketHandler

from app.main import create_lab


class NoDelayWSHandler(WSHandler):
    """Panel's websocket handler with TCP_NODELAY on: every reply leaves as soon as it is written."""

    def open(self, *args, **kwargs):
        self.set_nodelay(True)
        return super().open(*args, **kwargs)

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


def use_nodelay_websockets() -> None:
    """Route every app's websocket to `NoDelayWSHandler`, as Panel itself installs its own handler."""
    urls.per_app_patterns[:] = [
        (route, NoDelayWSHandler if handler is WSHandler else handler) for route, handler in urls.per_app_patterns
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.serve", description="Serve Newton Lab.")
    parser.add_argument("--port", type=int, default=5006)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--allow-websocket-origin", action="append", default=None,
                        help="host[:port] allowed to open the websocket (default: this server only)")
    options = parser.parse_args(argv)
    use_nodelay_websockets()
    print(f"Newton Lab: http://localhost:{options.port}/", flush=True)
    pn.serve(create_lab, port=options.port, address=options.address, show=False, title="Newton Lab",
             websocket_origin=options.allow_websocket_origin or [f"localhost:{options.port}",
                                                                  f"127.0.0.1:{options.port}"],
             compress_response=True)


if __name__ == "__main__":
    main()
