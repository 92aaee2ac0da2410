"""Your data: bring an event table, map its columns if need be, and see what was accepted."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard import cache
from dashboard import state as S
from dashboard.components.report import show_report
from dashboard.components.text import md_text
from dashboard.context import RunContext, current
from dashboard.state import OpenDataset, ViewState
from geo.dataset import Dataset
from geo.geocode import country_names
from geo.io import TablePreview, template_events_csv, upload_limit_mb
from geo.mapping import (
    ColumnMapping,
    mapping_from_bytes,
    needs_mapping,
    still_needed,
    suggest_mapping,
)
from geo.problems import DataError, LoadReport
from geo.schema import Column, column_label
from geo.uploads import (
    check_upload_name,
    read_upload,
    upload_memory,
    upload_preview,
    upload_suffixes,
)

MAP_PAGE = "screens/map_page.py"
K_UPLOADER = "upload_generation"  # bumped after each load, which empties the uploader
K_MAPPING_FILE = "mapping_upload"
K_COUNTRY_QUESTION = "country_question"  # a CountryQuestion while the page asks
K_COUNTRY = "upload_country"
K_PREVIEW = "upload_preview"  # (file id, TablePreview or None, error or None) of the last upload
K_FORM_OF = "mapping_form_of"  # (upload, saved mapping) file ids the mapping form was filled from
NONE = "(not in this table)"
DAY_ORDER = {
    "Decide from the data (day first when it cannot tell)": None,
    "Day first: 03/04/2016 is 3 April": True,
    "Month first: 03/04/2016 is 4 March": False,
}

DATE_ONE = "In one column"
DATE_SPLIT = "Split over year, month and day columns"
#: The parts of a date split over columns, year first, as the mapping step offers them.
DATE_PARTS: tuple[tuple[str, str], ...] = (
    ("year", "Year column"),
    ("month", "Month column"),
    ("day", "Day column"),
)

#: The columns offered in the mapping step, in the order a person thinks of them, each with
#: a word on what it is for (the date, which may be split over columns, comes before them).
MAPPING_FIELDS: tuple[tuple[Column, str], ...] = (
    (Column.DATE_END, "The last day it may have happened on (blank: the same day)."),
    (Column.LATITUDE, "In degrees, north positive."),
    (Column.LONGITUDE, "In degrees, east positive."),
    (
        Column.PLACE_NAME,
        "A town or village's name: rows without coordinates are placed from GeoNames, offline.",
    ),
    (Column.COUNTRY, "A hint for placing names: a name or ISO code."),
    (Column.ACTOR1, "Who acted."),
    (Column.ACTOR2, "Who it was against, or with."),
    (Column.EVENT_TYPE, "A category (battles, protests...): each one gets a colour."),
    (Column.SUB_EVENT_TYPE, "A finer category."),
    (Column.SOURCES, "Where it was reported: text or a link."),
    (Column.DESCRIPTION, "What happened, in words."),
    (Column.FATALITIES, "A whole number, blank where unknown."),
    (Column.ID, "A row's own reference (blank: numbered by its row)."),
    (Column.NOTES, "Anything else."),
)
#: Columns a whole table may share one value for (typed once in the mapping step).
CONSTANT_FIELDS: tuple[Column, ...] = (
    Column.SOURCES,
    Column.EVENT_TYPE,
    Column.ACTOR1,
    Column.COUNTRY,
)


def _uploader_key() -> str:
    return f"upload_{st.session_state.get(K_UPLOADER, 0)}"


@dataclass(frozen=True)
class CountryQuestion:
    """An upload read, held back while the page asks the country of rows naming none."""

    file_id: str
    file_name: str
    mapping: ColumnMapping | None
    dataset: Dataset
    report: LoadReport


def _open(
    file_id: str,
    file_name: str,
    data: bytes,
    mapping: ColumnMapping | None,
    country: str | None = None,
) -> None:
    """Read an upload; open it beside the others and show it on the map.

    When rows name a place that several countries have and no country, the page first
    asks which country they are in (see :func:`_ask_country`).
    """
    try:
        # the first place name to geocode loads the gazetteer (a few seconds, once)
        with st.spinner(f"Reading {file_name}…"):
            dataset, report = read_upload(file_name, data, mapping=mapping, country=country)
    except DataError as error:
        st.error(md_text(error))  # named as the user named the file, never by a server path
        return
    if country is None and report.rows_in_several_countries:
        st.session_state[K_COUNTRY_QUESTION] = CountryQuestion(
            file_id, file_name, mapping, dataset, report
        )
        st.rerun()
    _add(file_name, dataset, report, mapping)


def _add(
    file_name: str, dataset: Dataset, report: LoadReport, mapping: ColumnMapping | None
) -> None:
    st.session_state.pop(K_COUNTRY_QUESTION, None)
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


def country_choices(report: LoadReport) -> list[str]:
    """ISO codes to offer as the country of rows that name none.

    Where the other rows were placed comes first, then the countries the ambiguous names
    lie in, then every other country by name.
    """
    first = [*report.placed_countries]
    for codes in report.names_in_several_countries.values():
        first.extend(codes)
    first = list(dict.fromkeys(first))
    return [*first, *(code for code in country_names() if code not in first)]


def _ask_country(question: CountryQuestion, data: bytes) -> None:
    report = question.report
    names = report.names_in_several_countries
    rows = report.rows_in_several_countries
    listed = "; ".join(
        f"**{md_text(name)}** ({', '.join(codes)})" for name, codes in list(names.items())[:5]
    )
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    st.subheader("Which country are these places in?")
    st.markdown(
        f"{rows:,} row{'s' if rows != 1 else ''} of **{md_text(question.file_name)}** "
        f"name{'s' if rows == 1 else ''} no country and a place that several countries "
        f"have: {listed}{more}. Choose the country of rows that name none and they are "
        "looked up there (rows that name a country keep it)."
    )
    placed = report.placed_countries
    if placed:
        st.caption(f"The rows placed so far lie in {_country(placed[0])} most of all.")
    names_by_code = country_names()
    with st.form("country_form"):
        code = st.selectbox(
            "Country for rows that name none",
            country_choices(report),
            format_func=_country,
            key=K_COUNTRY,
        )
        place = st.form_submit_button("Place them in this country", type="primary")
    stay = f"{rows:,} rows stay" if rows != 1 else "1 row stays"
    without = st.button(
        f"Open without a country ({stay} rejected)",
        key="open_without_country",
    )
    if place:
        country = names_by_code.get(code, code)
        mapping = question.mapping
        if mapping is not None:
            # the saved mapping then reproduces this load
            constants = {**mapping.constants, Column.COUNTRY.value: code}
            _open(
                question.file_id,
                question.file_name,
                data,
                ColumnMapping(mapping.columns, constants, mapping.day_first),
                country=country,
            )
        else:
            _open(question.file_id, question.file_name, data, None, country=country)
    elif without:
        _add(question.file_name, question.dataset, report, question.mapping)


def _country(code: str) -> str:
    name = country_names().get(code)
    return f"{name} ({code})" if name else code


def _form_keys() -> list[str]:
    """The session-state keys of the mapping form's widgets."""
    keys = [f"map_{column.value}" for column, _ in MAPPING_FIELDS]
    keys += [f"map_{Column.DATE_START.value}", "map_date_form", "map_day_first"]
    keys += [f"map_date_{part}" for part, _ in DATE_PARTS]
    return keys + [f"const_{column.value}" for column in CONSTANT_FIELDS]


def _fill_form_from(file_id: str, saved_id: str | None) -> None:
    """Let the form show this upload's guess, or the saved mapping just chosen.

    A widget keeps its value across reruns and ignores a new default: without this, a
    saved mapping chosen after the form was drawn (or the next file's guess) would not
    show.  Its keys are dropped once per upload and saved mapping, so each widget starts
    again from the default the form gives it.
    """
    source = (file_id, saved_id)
    if st.session_state.get(K_FORM_OF) != source:
        for key in _form_keys():
            st.session_state.pop(key, None)
        st.session_state[K_FORM_OF] = source


def _date_fields(
    mapping: ColumnMapping, options: list[str]
) -> tuple[str | tuple[str, ...] | None, str | None]:
    """The date part of the mapping form: one column, or year, month and day columns.

    Returns what the form maps onto ``date_start`` (a header, a tuple of headers year
    first, or None) and what is wrong with the choice, in the screen's words (None: nothing).
    The guess (``mapping``) sets which form is chosen and the columns shown.
    """
    guess = mapping.columns.get(Column.DATE_START.value)
    split_guess = () if guess is None or isinstance(guess, str) else tuple(guess)
    st.markdown("**The date**")
    form = st.radio(
        "How the table writes each row's date",
        [DATE_ONE, DATE_SPLIT],
        index=1 if split_guess else 0,
        key="map_date_form",
        horizontal=True,
        help=(
            "Split: a month or day of 0 or blank means unknown (as the Global Terrorism "
            "Database writes it); such a row spans its month or year."
        ),
    )
    single = guess if isinstance(guess, str) else None
    one = st.selectbox(
        f"{column_label(Column.DATE_START)} (one column)",
        options,
        index=options.index(single) if single in options else 0,
        key=f"map_{Column.DATE_START.value}",
        help="The day of the event, or the first day it may have happened on.",
    )
    parts: dict[str, str] = {}
    for (part, label), box in zip(DATE_PARTS, st.columns(len(DATE_PARTS)), strict=True):
        at = [p for p, _ in DATE_PARTS].index(part)
        part_guess = split_guess[at] if at < len(split_guess) else None
        value = box.selectbox(
            f"{label} (split date)",
            options,
            index=options.index(part_guess) if part_guess in options else 0,
            key=f"map_date_{part}",
        )
        if value != NONE:
            parts[part] = value
    if form == DATE_ONE:
        return (None if one == NONE else one), None
    if "year" not in parts:
        return None, "A date split over columns needs its Year column."
    if "day" in parts and "month" not in parts:
        return None, "A date split over columns needs its Month column when it has a Day column."
    chosen = tuple(parts[p] for p, _ in DATE_PARTS if p in parts)
    if len(set(chosen)) < len(chosen):
        return None, "The Year, Month and Day of a split date must be different columns."
    return chosen, None


def _mapping_step(file_id: str, file_name: str, data: bytes, preview: TablePreview) -> None:
    st.subheader("Which column is which?")
    st.markdown(
        f"**{md_text(file_name)}** is not in a layout the atlas knows (its own, ACLED, "
        "UCDP GED, GTD or GDELT). "
        "Say which of its columns holds what; the guesses below come from the column names "
        "and the first rows. "
        "Save the mapping to reuse it, here or with `atlas import --mapping FILE`."
    )
    # no type=: Streamlit would fail the whole page on a name it refuses (one holding a NUL)
    saved = st.file_uploader("Use a saved mapping (JSON)", key=K_MAPPING_FILE)
    headers = preview.headers
    mapping = suggest_mapping(headers, preview.rows)
    used = None
    if saved is not None:
        try:
            check_upload_name(saved.name)
            mapping = mapping_from_bytes(saved.getvalue(), path=saved.name)
            used = saved.file_id
        except DataError as error:
            st.error(md_text(error))
    _fill_form_from(file_id, used)
    with st.form("mapping"):
        options = [NONE, *headers]
        chosen: dict[str, str | tuple[str, ...]] = {}
        date, date_problem = _date_fields(mapping, options)
        if date is not None:
            chosen[Column.DATE_START.value] = date
        left, right = st.columns(2)
        for i, (column, hint) in enumerate(MAPPING_FIELDS):
            guess = mapping.columns.get(column.value)
            if isinstance(guess, tuple):
                # a saved mapping's last date split over columns is kept as it is: the form
                # splits only the first date (the end of a range is rarely split)
                chosen[column.value] = guess
                (left if i % 2 == 0 else right).caption(
                    f"{column_label(column)}: {md_text(' / '.join(guess))}, from the saved "
                    "mapping (edit the file to change it)."
                )
                continue
            box = (left if i % 2 == 0 else right).selectbox(
                column_label(column),
                options,
                index=options.index(guess) if guess in options else 0,
                key=f"map_{column.value}",
                help=hint,
            )
            if box != NONE:
                chosen[column.value] = box
        st.markdown("**Values for every row** (optional)")
        constants: dict[str, str] = {}
        for column in CONSTANT_FIELDS:
            value = st.text_input(
                f"{column_label(column)} for rows that name none",
                value=mapping.constants.get(column.value, ""),
                key=f"const_{column.value}",
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
        if date_problem:
            st.error(date_problem)
            return
        missing = still_needed(built)
        if missing:
            st.error(missing)
            return
        _open(file_id, file_name, data, built)


def _preview(file_id: str, file_name: str, data: bytes) -> TablePreview | None:
    """The upload's headers and first rows (None, with the error shown, when unreadable).

    Read once per uploaded file: the page reruns while the mapping step is open (a saved
    mapping chosen, the mapping downloaded), and reading is the slow part.
    """
    known = st.session_state.get(K_PREVIEW)
    if known is None or known[0] != file_id:
        try:
            known = (file_id, upload_preview(file_name, data), None)
        except DataError as error:
            known = (file_id, None, str(error))
        st.session_state[K_PREVIEW] = known
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
        f"(current or older), UCDP GED's, the GTD's, GDELT's, or any other (you map its "
        f"columns). Up to "
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
    question = st.session_state.get(K_COUNTRY_QUESTION)
    if question is not None and (uploaded is None or question.file_id != uploaded.file_id):
        # the file it asked about is gone: its dataset stops counting against the memory
        st.session_state.pop(K_COUNTRY_QUESTION)
        question = None
    if uploaded is not None and question is not None:
        _ask_country(question, uploaded.getvalue())
    elif uploaded is not None:
        data = uploaded.getvalue()
        preview = _preview(uploaded.file_id, uploaded.name, data)
        if preview is not None:
            if needs_mapping(preview.headers):
                _mapping_step(uploaded.file_id, uploaded.name, data, preview)
            else:
                _open(uploaded.file_id, uploaded.name, data, None)
    _open_datasets()


render(current())
