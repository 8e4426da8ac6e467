"""The lab's page, one per browser session: `panel serve app/main.py` (or `make run`)."""

import panel as pn

from app.lab import Lab
from app.state import LabState


def create_lab() -> Lab:
    """A fresh state for this session, from the page's URL query if it has one."""
    state = LabState()
    if pn.state.location is not None and pn.state.location.search:
        for message in state.update_from_query(pn.state.location.search):
            pn.state.log(message)
    return Lab(state=state)


if pn.state.served:
    lab = create_lab()
    pn.state.curdoc.js_on_event("document_ready", lab.iterations.on_page_load)
    lab.servable(title="Newton Lab")
