"""What the entry point works out once per run and every page reads."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard.maps import Palette
from dashboard.state import Choices, ViewState
from geo.dataset import Dataset
from geo.problems import LoadReport


@dataclass(frozen=True)
class RunContext:
    """The dataset, what the user chose, and the data those choices keep."""

    dataset: Dataset
    report: LoadReport
    choices: Choices
    palette: Palette
    defaults: ViewState
    state: ViewState
    tiles: str
    filtered: Dataset
    asset_base_url: str | None
    #: Streamlit's ``server.baseUrlPath``: our routes (dashboard.event_details) lie below it.
    base_url_path: str = ""


_KEY = "run_context"


def publish(ctx: RunContext) -> None:
    """Hand this run's context to the page about to run (per session, never shared)."""
    st.session_state[_KEY] = ctx


def current() -> RunContext:
    """The context the entry point published for this run."""
    return st.session_state[_KEY]
