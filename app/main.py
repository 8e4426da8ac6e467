"""The lab's page, one per browser session: served by `python -m app.serve` (`make run`), or
`panel serve app/main.py`."""

import weakref

import panel as pn

from app.lab import Lab
from app.state import LabState

# Each page's lab, by its document, weakly both ways: the server shows a link's scene on a page built in
# advance (`app.warm`). The lab lives as long as its page: the page's widgets hold its state, whose
# watchers hold the lab.
LABS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
URL_DELAY_MS = 100


def open_link(document, query: str) -> None:
    """Show the scene of a link's URL query on a page built without one."""
    for message in LABS[document]().state.update_from_query(query):
        pn.state.log(message)


def follow_in_address_bar(state: LabState, document, location) -> None:
    """Keep the page's address a link to its scene, written URL_DELAY_MS after a change: after the change's
    own data has left, and once for a burst of changes (a drag)."""
    due = False

    def write_url() -> None:
        nonlocal due
        due = False
        query = state.to_query()
        location.search = f"?{query}" if query else ""

    def schedule(*_) -> None:
        nonlocal due
        if not due:
            due = True
            document.add_timeout_callback(write_url, URL_DELAY_MS)

    state.param.watch(schedule, [name for name in state.param if name != "name"])


def create_lab() -> Lab:
    """A fresh state for this session, from the page's URL query if it has one."""
    state = LabState()
    if pn.state.location is not None and pn.state.location.search:
        for message in state.update_from_query(pn.state.location.search):
            pn.state.log(message)
    lab = Lab(state=state)
    if pn.state.curdoc is not None:
        pn.state.curdoc.js_on_event("document_ready", *lab.on_page_load)
        LABS[pn.state.curdoc] = weakref.ref(lab)
    if pn.state.location is not None:  # the address bar always holds a link to this very scene
        follow_in_address_bar(state, pn.state.curdoc, pn.state.location)
    return lab


if pn.state.served:
    create_lab().servable(title="Newton Lab")
