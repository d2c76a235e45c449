"""The only part of pmo_metrics that imports Streamlit: cached data, shared widgets, session-state keys."""

from . import data, state, widgets
from .data import Context, clear_caches, get_store
from .widgets import context, guarded, page_header, sidebar_filters

__all__ = ["Context", "clear_caches", "context", "data", "get_store", "guarded", "page_header",
           "sidebar_filters", "state", "widgets"]
