"""A fast drag merged into one change: the server never works on a position the student has already left.

A browser sends a slider's position at every notch it crosses. When they come faster than the server
answers, they wait in the websocket, and the server would otherwise answer each in turn, the last one
long after the drag ended. `Coalescer` applies only the newest of such a burst.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from bokeh.document import Document

QUIET = 0.002  # seconds without a newer value after which a burst's newest is applied


class Coalescer:
    """Applies a control's values as they come, merging those that queued up while the server was busy.

    A value is applied on the next tick of the server's loop, unless it came within QUIET of the end of
    the previous application: the browser then sent it while the server worked, more may be queued behind
    it, and the newest is applied once none has come for QUIET. Out of a served document (a test), at once.
    """

    def __init__(self, apply: Callable[[Any], None]) -> None:
        self.apply = apply
        self.latest: Any = None
        self.pending = False
        self.arrived = self.finished = float("-inf")  # monotonic times of the newest value, of the last application

    def offer(self, document: Document | None, value: Any) -> None:
        self.latest, self.arrived = value, time.monotonic()
        if document is None or document.session_context is None:
            self._apply()
        elif not self.pending:
            self.pending = True
            if self.arrived - self.finished < QUIET:
                document.add_timeout_callback(lambda: self._settle(document), QUIET * 1000)
            else:
                document.add_next_tick_callback(self._apply)

    def _settle(self, document: Document) -> None:
        wait = self.arrived + QUIET - time.monotonic()
        if wait > 0:  # a newer value came meanwhile: the burst is not over
            document.add_timeout_callback(lambda: self._settle(document), wait * 1000)
        else:
            self._apply()

    def _apply(self) -> None:
        self.pending, value = False, self.latest
        try:
            self.apply(value)
        finally:
            self.finished = time.monotonic()
