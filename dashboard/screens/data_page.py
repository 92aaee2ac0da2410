"""Your data: bring an event table, map its columns if need be, and see what was accepted."""

from __future__ import annotations

import streamlit as st

from dashboard import cache
from dashboard import state as S
from dashboard.components.report import show_report
from dashboard.components.text import md_text
from dashboard.context import RunContext, current
from dashboard.state import OpenDataset, ViewState
from geo.io import template_events_csv, upload_limit_mb
from geo.mapping import ColumnMapping, mapping_from_bytes, needs_mapping, suggest_mapping
from geo.problems import DataError
from geo.schema import Column
from geo.uploads import (
    check_upload_name,
    read_upload,
    upload_headers,
    upload_memory,
    upload_suffixes,
)

MAP_PAGE = "screens/map_page.py"
K_UPLOADER = "upload_generation"  # bumped after each load, which empties the uploader
K_MAPPING_FILE = "mapping_upload"
K_HEADERS = "upload_headers"  # (file id, headers or None, error or None) of the last upload
NONE = "(not in this table)"
DAY_ORDER = {
    "Decide from the data (day first when it cannot tell)": None,
    "Day first: 03/04/2016 is 3 April": True,
    "Month first: 03/04/2016 is 4 March": False,
}

#: The columns offered in the mapping step, in the order a person thinks of them.
MAPPING_FIELDS: tuple[tuple[Column, str], ...] = (
    (Column.DATE_START, "Date (or first possible date)"),
    (Column.DATE_END, "Last possible date"),
    (Column.LATITUDE, "Latitude"),
    (Column.LONGITUDE, "Longitude"),
    (Column.PLACE_NAME, "Place name (placed from GeoNames where there are no coordinates)"),
    (Column.COUNTRY, "Country (a hint for placing names)"),
    (Column.ACTOR1, "Actor"),
    (Column.ACTOR2, "Second actor"),
    (Column.EVENT_TYPE, "Event type"),
    (Column.SUB_EVENT_TYPE, "Sub-type"),
    (Column.SOURCES, "Source (text or a link)"),
    (Column.DESCRIPTION, "Description"),
    (Column.FATALITIES, "Fatalities"),
    (Column.ID, "Row id"),
    (Column.NOTES, "Notes"),
)
#: Columns a whole table may share one value for (typed once in the mapping step).
CONSTANT_FIELDS: tuple[tuple[Column, str], ...] = (
    (Column.SOURCES, "Source for rows that name none"),
    (Column.EVENT_TYPE, "Event type for rows that name none"),
    (Column.ACTOR1, "Actor for rows that name none"),
    (Column.COUNTRY, "Country for rows that name none"),
)


def _uploader_key() -> str:
    return f"upload_{st.session_state.get(K_UPLOADER, 0)}"


def _open(file_name: str, data: bytes, mapping: ColumnMapping | None) -> None:
    """Read an upload; on success open it beside the others and show its span on the map."""
    try:
        # the first place name to geocode loads the gazetteer (a few seconds, once)
        with st.spinner(f"Reading {file_name}…"):
            dataset, report = read_upload(file_name, data, mapping=mapping)
    except DataError as error:
        st.error(md_text(error))  # named as the user named the file, never by a server path
        return
    taken = [cache.load_dataset()[0].name, *(u.name for u in S.uploads())]
    name = S.unique_name(file_name, taken)
    S.add_upload(
        OpenDataset(
            dataset.renamed(name),
            report,
            file_name,
            mapping.to_json() if mapping is not None else None,
        )
    )
    if not dataset.events.empty:
        first = dataset.events[Column.DATE_START].min().date()
        last = dataset.events[Column.DATE_END].fillna(dataset.events[Column.DATE_START]).max()
        S.show_next(ViewState(start=first, end=last.date(), view="fit", datasets=(name,)))
    st.session_state[K_UPLOADER] = st.session_state.get(K_UPLOADER, 0) + 1
    st.rerun()


def _mapping_step(file_name: str, data: bytes, headers: list[str]) -> None:
    st.subheader("Which column is which?")
    st.markdown(
        f"**{md_text(file_name)}** is not in a layout the atlas knows (its own, ACLED "
        "or UCDP GED). "
        "Say which of its columns holds what; the guesses below come from the column names. "
        "Save the mapping to reuse it, here or with `atlas import --mapping FILE`."
    )
    # no type=: Streamlit would fail the whole page on a name it refuses (one holding a NUL)
    saved = st.file_uploader("Use a saved mapping (JSON)", key=K_MAPPING_FILE)
    mapping = suggest_mapping(headers)
    if saved is not None:
        try:
            check_upload_name(saved.name)
            mapping = mapping_from_bytes(saved.getvalue(), path=saved.name)
        except DataError as error:
            st.error(md_text(error))
    with st.form("mapping"):
        options = [NONE, *headers]
        chosen: dict[str, str] = {}
        left, right = st.columns(2)
        for i, (column, label) in enumerate(MAPPING_FIELDS):
            guess = mapping.columns.get(column.value)
            box = (left if i % 2 == 0 else right).selectbox(
                label,
                options,
                index=options.index(guess) if guess in options else 0,
                key=f"map_{column.value}",
            )
            if box != NONE:
                chosen[column.value] = box
        st.markdown("**Values for every row** (optional)")
        constants: dict[str, str] = {}
        for column, label in CONSTANT_FIELDS:
            value = st.text_input(
                label, value=mapping.constants.get(column.value, ""), key=f"const_{column.value}"
            )
            if value.strip():
                constants[column.value] = value.strip()
        order = st.radio(
            "Dates written with slashes",
            list(DAY_ORDER),
            index=list(DAY_ORDER.values()).index(mapping.day_first),
            key="map_day_first",
        )
        submitted = st.form_submit_button("Load with this mapping", type="primary")
    built = ColumnMapping(chosen, constants, DAY_ORDER[order])
    st.download_button(
        "Save this mapping (JSON)",
        built.to_json(),
        file_name=f"{file_name.rsplit('.', 1)[0]}.mapping.json",
        mime="application/json",
    )
    if submitted:
        gaps = built.gaps()
        if gaps:
            st.error(
                "Still needed: "
                + ", ".join(str(g) for g in gaps)
                + " (a column, or a value for every row; a place name can stand for latitude "
                "and longitude)."
            )
            return
        _open(file_name, data, built)


def _headers(file_id: str, file_name: str, data: bytes) -> list[str] | None:
    """The upload's headers (None, with the error shown, when it cannot be read).

    Read once per uploaded file: the page reruns while the mapping step is open (a saved
    mapping chosen, the mapping downloaded), and reading is the slow part.
    """
    known = st.session_state.get(K_HEADERS)
    if known is None or known[0] != file_id:
        try:
            known = (file_id, upload_headers(file_name, data), None)
        except DataError as error:
            known = (file_id, None, str(error))
        st.session_state[K_HEADERS] = known
    if known[2] is not None:
        st.error(md_text(known[2]))
    return known[1]


def _open_datasets() -> None:
    st.subheader("Open datasets")
    base = cache.load_dataset()[0]
    where = "the bundled story" if cache.data_path() is None else "opened with --data"
    st.markdown(f"- **{md_text(base.name)}** ({where}; see *About the data*)")
    if S.uploads():
        st.page_link(MAP_PAGE, label="Show them on the map")
    for opened in reversed(S.uploads()):
        title = f"{md_text(opened.name)} — {len(opened.dataset.events):,} events"
        with st.expander(title, expanded=True):
            show_report(opened.report, key=opened.name)
            if opened.mapping_json:
                st.download_button(
                    "Download the mapping used (JSON)",
                    opened.mapping_json,
                    file_name=f"{opened.file_name.rsplit('.', 1)[0]}.mapping.json",
                    mime="application/json",
                    key=f"mapping_{opened.name}",
                )
            st.button(
                "Close this dataset",
                key=f"close_{opened.name}",
                on_click=_close,
                args=(opened,),
            )


def _close(opened: OpenDataset) -> None:
    """Close an uploaded dataset: it stops counting against the server's upload memory."""
    upload_memory().release(opened.dataset)
    cache.forget_combined()
    S.remove_upload(opened.name)


def render(ctx: RunContext) -> None:
    """Draw the data page (the datasets it lists are the session's, beside ``ctx``'s)."""
    st.title("Your data")
    st.markdown(
        "Add an event table beside the story: **CSV or TSV, Excel (.xlsx), GeoJSON, "
        "GeoPackage, GeoParquet, or a zipped shapefile**, in the atlas's own layout, ACLED's "
        f"(current or older) or UCDP GED's, or any other (you map its columns). Up to "
        f"{upload_limit_mb():g} MB. The file stays in this browser session on this server: it "
        "is read, checked and never run, and closing the tab forgets it."
    )
    st.download_button(
        "Download a template CSV",
        template_events_csv(),
        file_name="conflict-atlas-template.csv",
        mime="text/csv",
        key="download_template",
        on_click="ignore",
        help="Every column of the atlas's own layout, with two example rows to replace.",
    )
    # every file is offered and its type checked on reading: given type=, Streamlit fails
    # the whole page, before this script runs, on a name holding a NUL byte
    uploaded = st.file_uploader(
        "Add an event table",
        key=_uploader_key(),
        help=f"One of: {', '.join(upload_suffixes())}",
    )
    if uploaded is not None:
        data = uploaded.getvalue()
        headers = _headers(uploaded.file_id, uploaded.name, data)
        if headers is not None:
            if needs_mapping(headers):
                _mapping_step(uploaded.name, data, headers)
            else:
                _open(uploaded.name, data, None)
    _open_datasets()


render(current())
