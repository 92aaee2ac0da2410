"""Validate a raw table against a layer's schema; keep the valid rows, list the rest.

The rules are declared once per field type and run by pandera, lazily, so every bad cell of
every row is found in one pass.  Each failure becomes a :class:`~geo.problems.Problem` that
names the file, the row, the column and what was expected.

The readers' :class:`~geo.raw.RawTable` comes in; a layer in its canonical form goes out
(:func:`normalise`, :func:`assemble`, and :func:`empty_layer` for a layer with no rows,
which :class:`~geo.dataset.Dataset` uses for the layers it lacks).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pandera.pandas as pa
import shapely

from geo.parsing import (
    DATE_DTYPE,
    DATE_RANGE_TEXT,
    canonical_people_moved,
    canonical_periods,
    canonical_sources,
    clean_category,
    clean_text,
    factorized,
    parse_booleans,
    parse_dates,
    parse_dates_in_range,
    parse_integers,
    parse_numbers,
    parse_structured,
    structured_error,
)
from geo.problems import DataError, LayerReport, Problem
from geo.raw import RawTable
from geo.schema import (
    CRS,
    LAYER_SPECS,
    OUR_LAYOUT,
    Column,
    Field,
    FieldType,
    Layer,
    LayerSpec,
)

#: Longest text accepted in one cell: long enough for any description, short enough that a
#: hostile file cannot make one cell a megabyte of popup.
MAX_TEXT_LENGTH = 10_000

_STRUCTURED: dict[FieldType, Callable[[Any], str]] = {
    FieldType.SOURCES: canonical_sources,
    FieldType.PERIODS: canonical_periods,
    FieldType.PEOPLE_MOVED: canonical_people_moved,
}

#: Pairs (first, last) whose last must not come before its first.
_DATE_RANGES = ((Column.DATE_START, Column.DATE_END), (Column.VALID_FROM, Column.VALID_TO))


def _describe_range(field: Field, whole: bool) -> str:
    noun = "a whole number" if whole else "a number"
    low, high = field.minimum, field.maximum
    if low is not None and high is not None:
        return f"expected {noun} from {low:g} to {high:g}"
    if low is not None:
        return f"expected {noun} ≥ {low:g}"
    if high is not None:
        return f"expected {noun} ≤ {high:g}"
    return f"expected {noun}"


def _in_range(values: pd.Series, field: Field) -> pd.Series:
    ok = values.notna() & np.isfinite(values.astype("float64"))
    if field.minimum is not None:
        ok &= values >= field.minimum
    if field.maximum is not None:
        ok &= values <= field.maximum
    return ok.fillna(False).astype(bool)


def _message(field: Field) -> str:
    """What a field expects, as its failure message."""
    t = field.type
    if t is FieldType.TEXT:
        return f"expected at most {MAX_TEXT_LENGTH:,} characters"
    if t is FieldType.CHOICE:
        return f"expected one of: {', '.join(field.choices)}"
    if t is FieldType.DATE:
        return "expected a date as YYYY-MM-DD"
    if t in (FieldType.NUMBER, FieldType.INTEGER):
        return _describe_range(field, t is FieldType.INTEGER)
    if t is FieldType.BOOLEAN:
        return "expected true or false (or yes/no, 1/0)"
    return t.value  # structured: the precise reason is found per cell


def parse_column(raw: pd.Series, field: Field) -> tuple[pd.Series, pd.Series]:
    """Parse one column once: its values in the field's dtype, and where the raw cell was fine.

    A blank cell is fine here (whether it may be blank is the schema's ``nullable``); a cell
    that does not parse, or a date outside the accepted range, is missing in the values and
    False in the mask.
    """
    values, ok, far = _parse_column(raw, field)
    return values, ok if far is None else ok & ~far


def _parse_column(raw: pd.Series, field: Field) -> tuple[pd.Series, pd.Series, pd.Series | None]:
    """:func:`parse_column`, with a date column's out-of-range cells apart (else None).

    A date outside :data:`~geo.parsing.FIRST_DATE` .. :data:`~geo.parsing.LAST_DATE` is
    well formed (True in the mask) and True in the third series, so that it gets its own
    message.
    """
    t = field.type
    if t is FieldType.CHOICE:
        lowered = clean_category(raw, lower=True)
        values = clean_category(lowered, categories=field.choices)
        return values, lowered.isna() | values.notna(), None
    if t is FieldType.TEXT:
        values = clean_category(raw) if field.is_category else clean_text(raw)
        if field.is_category:
            lengths = pd.Series(values.cat.categories.str.len(), dtype="Int64")
            long_codes = set(np.flatnonzero((lengths > MAX_TEXT_LENGTH).to_numpy()))
            ok = ~values.cat.codes.isin(long_codes) if long_codes else values.notna() | True
        else:
            ok = (values.str.len() <= MAX_TEXT_LENGTH).fillna(True)
        if not ok.all():
            values = values.where(ok)
        return values, ok.astype(bool), None
    present = _present(raw)
    if t is FieldType.DATE:
        values, far = parse_dates_in_range(raw)
        return values, ~present | values.notna() | far, far
    if t is FieldType.NUMBER:
        values = parse_numbers(raw)
        values = values.where(_in_range(values, field))
    elif t is FieldType.INTEGER:
        values = parse_integers(raw)
        values = values.where(_in_range(values, field))
    elif t is FieldType.BOOLEAN:
        values = parse_booleans(raw)
    elif t in _STRUCTURED:
        values = parse_structured(raw, _STRUCTURED[t])
    else:
        raise AssertionError(f"no parser for field type {t}")
    return values, ~present | values.notna(), None


def _present(raw: pd.Series) -> pd.Series:
    """True where a raw cell holds something (not missing, not blank text)."""
    if pd.api.types.is_string_dtype(raw.dtype) and raw.dtype != object:
        return raw.notna() & (raw.str.strip() != "")
    if raw.dtype == object:
        codes, uniques = factorized(raw)
        blank = np.array([isinstance(u, str) and not u.strip() for u in uniques] + [True])
        return pd.Series(~blank[np.where(codes >= 0, codes, len(uniques))], index=raw.index)
    return raw.notna()


def _mask_check(field: Field, ok: pd.Series) -> pa.Check:
    """A pandera check that reads a mask computed by :func:`parse_column`."""
    # ignore_na=False: a cell that failed to parse is missing in the parsed column, and
    # that is exactly the cell this check must see
    return pa.Check(
        lambda s: ok.reindex(s.index, fill_value=True), error=_message(field), ignore_na=False
    )


def _far_date_check(far: pd.Series) -> pa.Check:
    """A pandera check failing the dates outside the accepted range."""
    return pa.Check(
        lambda s: ~far.reindex(s.index, fill_value=False),
        error=f"expected {DATE_RANGE_TEXT}",
        ignore_na=False,
    )


def _unique_check() -> pa.Check:
    return pa.Check(lambda s: ~s.duplicated(keep="first"), error="duplicate")


def _geometry_check(spec: LayerSpec) -> list[pa.Check]:
    allowed = spec.geometry_types

    def right_type(s: pd.Series) -> pd.Series:
        return pd.Series(shapely.get_type_id(s.to_numpy()), index=s.index).map(
            lambda i: _GEOMETRY_NAMES.get(i) in allowed
        )

    def within_wgs84(s: pd.Series) -> pd.Series:
        bounds = shapely.bounds(s.to_numpy())
        return pd.Series(
            (bounds[:, 0] >= -180)
            & (bounds[:, 2] <= 180)
            & (bounds[:, 1] >= -90)
            & (bounds[:, 3] <= 90),
            index=s.index,
        )

    def valid(s: pd.Series) -> pd.Series:
        return pd.Series(shapely.is_valid(s.to_numpy()), index=s.index)

    return [
        pa.Check(right_type, error=f"expected a geometry of type {' or '.join(allowed)}"),
        pa.Check(
            within_wgs84,
            error="coordinates outside WGS84 longitude/latitude (EPSG:4326): reproject first?",
        ),
        pa.Check(valid, error="geometry is not valid (self-intersecting or degenerate)"),
    ]


_FROM_GEOMETRY = {Column.LATITUDE.value, Column.LONGITUDE.value, Column.GEOMETRY.value}

_GEOMETRY_NAMES = {
    0: "Point",
    1: "LineString",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def _range_check(first: Column, last: Column) -> pa.Check:
    def ordered(df: pd.DataFrame) -> pd.Series:
        a, b = parse_dates(df[first]), parse_dates(df[last])
        return a.isna() | b.isna() | (b >= a)

    return pa.Check(ordered, error=f"{last} before {first}")


def build_schema(
    spec: LayerSpec,
    masks: dict[str, pd.Series],
    *,
    with_geometry: bool,
    far_dates: dict[str, pd.Series] | None = None,
) -> pa.DataFrameSchema:
    """The pandera schema of ``spec`` for parsed columns whose cells' masks are given.

    ``far_dates`` marks, per date column, the cells holding a date outside the accepted
    range (see :func:`~geo.parsing.parse_dates_in_range`): they fail a check of their own.
    """
    columns: dict[str, pa.Column] = {}
    for field in spec.fields:
        if field.column not in masks:
            continue
        checks = [_mask_check(field, masks[field.column])]
        far = (far_dates or {}).get(field.column)
        if far is not None:
            checks.append(_far_date_check(far))
        if field.unique:
            checks.append(_unique_check())
        columns[field.column] = pa.Column(
            None, checks=checks, nullable=not field.required, required=False
        )
    if with_geometry:
        columns[Column.GEOMETRY] = pa.Column(
            None, checks=_geometry_check(spec), nullable=False, required=False
        )
    frame_checks = [
        _range_check(first, last)
        for first, last in _DATE_RANGES
        if first in masks and last in masks
    ]
    return pa.DataFrameSchema(columns, checks=frame_checks)


def _short(value: Any) -> str:
    if isinstance(value, np.generic):
        value = value.item()  # 95.0, not np.float64(95.0)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


def _problems_from(
    failures: pd.DataFrame, table: RawTable, raw: pd.DataFrame, spec: LayerSpec
) -> list[Problem]:
    problems: set[Problem] = set()
    ids = raw.get(Column.ID)
    for row in failures.itertuples(index=False):
        if row.index is None or (isinstance(row.index, float) and np.isnan(row.index)):
            raise DataError(table.path, f"{row.column}: {row.check}")
        index = int(row.index)
        column, check = str(row.column), str(row.check)
        value = raw.at[index, column] if column in raw else None
        if row.schema_context == "DataFrameSchema":
            # a check across columns: report it once, against the later date's column
            column, first = check.split(" before ")
            message = f"is before {first} ({_short(raw.at[index, first])})"
            value = raw.at[index, column]
        elif check == "not_nullable":
            if not _is_blank(value) and not (isinstance(value, str) and not value.strip()):
                continue  # a value that did not parse: its own check says why
            message, value = "required, but empty", None
        elif check == "duplicate":
            first = ids.index[np.flatnonzero((ids == ids.loc[index]).to_numpy())[0]]
            message = f"duplicate id, first used on {table.record_label} {first + table.first_row}"
        elif check in {t.value for t in _STRUCTURED}:
            message = structured_error(value, _STRUCTURED[FieldType(check)])
            value = None
        else:
            message = check
        if value is not None and column != Column.GEOMETRY and not _is_blank(value):
            message = f"{message} (got {_short(value)})"
        problems.add(
            Problem(
                path=table.path,
                row=index + table.first_row,
                column=column,
                message=message or check,
                layer=str(spec.layer),
                record_label=table.record_label,
            )
        )
    return sorted(problems)


#: How many of a table's headers a message lists: a binary file read as text can have
#: thousands of them.
_HEADERS_LISTED = 30


def _list_headers(headers: pd.Index) -> str:
    """A table's headers for a message: the first few, each shortened."""
    names = []
    for header in map(str, headers):
        text = header if header.isprintable() else repr(header)[1:-1]
        names.append(text if len(text) <= 40 else text[:37] + "...")
    if not names:
        return "none"
    listed = ", ".join(names[:_HEADERS_LISTED])
    more = len(names) - _HEADERS_LISTED
    return listed + (f" and {more} more" if more > 0 else "")


def _is_blank(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and np.isnan(value)


def match_columns(headers: Iterable[Any], spec: LayerSpec) -> tuple[dict[Any, Column], list[str]]:
    """Map a table's headers onto the layer's columns; list the headers that are not ours.

    A header matches trimmed and in any case (``Latitude `` is ``latitude``); where two
    headers match one column, the first wins and the other is ignored.
    """
    wanted = {c.value: c for c in spec.columns}
    matched: dict[Any, Column] = {}
    ignored = []
    for header in headers:
        key = str(header).strip().lower()
        if key in wanted and wanted[key] not in matched.values():
            matched[header] = wanted[key]
        elif key not in (Column.GEOMETRY, Column.LAYER):
            ignored.append(str(header))
    return matched, ignored


def _points_from_geometry(
    table: RawTable, cells: pd.DataFrame, spec: LayerSpec
) -> tuple[pd.DataFrame, list[Problem]]:
    """Fill latitude and longitude from point geometries; list the rows that have none."""
    geoms = table.geometry.to_numpy()
    type_ids = shapely.get_type_id(geoms)
    is_point = (type_ids == 0) & ~shapely.is_empty(geoms)
    cells = cells.copy()
    cells[Column.LONGITUDE] = pd.Series(shapely.get_x(geoms), index=cells.index).where(is_point)
    cells[Column.LATITUDE] = pd.Series(shapely.get_y(geoms), index=cells.index).where(is_point)
    already = {p.row for p in table.problems}
    problems = [
        Problem(
            table.path,
            int(label) + table.first_row,
            Column.GEOMETRY,
            "required, but empty" if type_id < 0 else "expected a geometry of type Point",
            str(spec.layer),
            table.record_label,
        )
        for label, type_id, point in zip(cells.index, type_ids, is_point, strict=True)
        if not point and int(label) + table.first_row not in already
    ]
    return cells, problems


_DATA_LIKE = re.compile(r"[-+]?\d[\d.,:/ -]*|https?://\S+")


def looks_like_data(headers) -> bool:
    """True when most headers are numbers, dates or links: a first row of data, not names.

    >>> looks_like_data(["324845984", "20041126", "2004.8932", "Police", "http://x.example"])
    True
    >>> looks_like_data(["id", "date", "lat", "lon"])
    False
    """
    # a blank cell in the first row gets a name like "Unnamed: 5" from the reader
    names = [n for n in (str(h).strip() for h in headers) if n and not n.startswith("Unnamed: ")]
    data_like = sum(bool(_DATA_LIKE.fullmatch(n)) for n in names)
    return bool(names) and data_like * 2 > len(names)


def validate_table(table: RawTable, spec: LayerSpec) -> tuple[gpd.GeoDataFrame, LayerReport]:
    """Validate a raw table; return its valid rows in canonical form and a report.

    Parameters
    ----------
    table
        The raw cells as read from ``table.path``; point layers need ``latitude`` and
        ``longitude`` columns or point geometries, other layers geometries.
    spec
        The layer's schema.

    Returns
    -------
    The accepted rows as a GeoDataFrame in EPSG:4326 with the layer's columns in schema
    order and canonical dtypes, and a :class:`LayerReport` listing every rejected row.

    Raises
    ------
    DataError
        When a required column is missing altogether.
    """
    matched, ignored = match_columns(table.cells.columns, spec)
    # a known layout read only some of the file's columns: the others are not loaded either
    ignored = [*table.unread_columns, *ignored]
    if not len(table.cells.columns) and (table.geometry is None or table.geometry.empty):
        # nothing to check (an empty FeatureCollection has no columns at all); a header
        # without rows still has its columns checked
        report = LayerReport(
            table.path,
            str(spec.layer),
            ignored_columns=ignored,
            layout=table.layout,
            encoding=table.encoding,
            delimiter=table.delimiter,
        )
        return empty_layer(spec.layer), report
    raw = table.cells[list(matched)].rename(columns=matched)
    has_geometry = table.geometry is not None
    read_problems = list(table.problems)
    if has_geometry and spec.point_columns:
        raw, point_problems = _points_from_geometry(table, raw, spec)
        read_problems += point_problems
    missing = [f.column.value for f in spec.fields if f.required and f.column not in raw.columns]
    if missing:
        expected = ", ".join(c.value for c in spec.columns)
        way_out = ""
        if spec.layer is Layer.EVENTS and table.layout == OUR_LAYOUT:
            way_out = (
                "; for a table in another layout, say which column is which with a mapping "
                "(atlas mapping FILE writes a first guess to check; then --mapping FILE, or "
                "the app's Your data page)"
            )
        if looks_like_data(table.cells.columns):
            way_out = (
                "; its first row looks like data, not column names: does the file have no "
                "header row? Add one, or map its columns" + way_out.removeprefix(";")
            )
        raise DataError(
            table.path,
            f"the {spec.layer} table has no {', no '.join(missing)} column "
            f"(its columns are: {_list_headers(table.cells.columns)}; expected: {expected})"
            f"{way_out}",
        )
    if not has_geometry and not spec.point_columns:
        raise DataError(table.path, f"the {spec.layer} layer needs geometries")

    parsed, masks, far_dates = {}, {}, {}
    for field in spec.fields:
        if field.column in raw:
            values, ok, far = _parse_column(raw[field.column], field)
            parsed[field.column], masks[field.column] = values, ok
            if far is not None and far.any():
                far_dates[field.column] = far
    frame = pd.DataFrame(parsed, index=raw.index)
    if has_geometry and not spec.point_columns:
        frame[Column.GEOMETRY] = table.geometry.to_numpy()
    schema = build_schema(spec, masks, with_geometry=Column.GEOMETRY in frame, far_dates=far_dates)
    try:
        schema.validate(frame, lazy=True)
        problems: list[Problem] = []
    except pa.errors.SchemaErrors as errors:
        problems = _problems_from(errors.failure_cases, table, raw, spec)
    # a geometry that could not be read is reported once, not again as empty (nor its
    # point's latitude and longitude); a record that could not be read at all (its cells
    # shifted by a stray delimiter) only by that reason
    unread = {p.row for p in read_problems}
    unreadable = {p.row for p in read_problems if not p.column}
    # a cell the reader already explained (a shapefile cut it short) is not reported again
    explained = {(p.row, p.column) for p in read_problems}
    problems = sorted(
        {*read_problems}
        | {
            p
            for p in problems
            if p.row not in unreadable
            and (p.row, p.column) not in explained
            and not (p.row in unread and p.column in _FROM_GEOMETRY)
        }
    )
    rejected_rows = {p.row - table.first_row for p in problems}
    report = LayerReport(
        path=table.path,
        layer=str(spec.layer),
        rows_read=len(raw),
        problems=problems,
        ignored_columns=ignored,
        layout=table.layout,
        encoding=table.encoding,
        delimiter=table.delimiter,
    )
    keep = ~frame.index.isin(list(rejected_rows)) if rejected_rows else slice(None)
    return assemble(frame[keep].reset_index(drop=True), spec), report


def normalise(cells: pd.DataFrame, spec: LayerSpec) -> gpd.GeoDataFrame:
    """Parse valid raw cells into the layer's canonical form (see :func:`assemble`).

    ``cells`` must hold values that pass validation; point layers need ``latitude`` and
    ``longitude``, other layers a ``geometry`` column of shapely geometries (EPSG:4326).
    """
    parsed = {
        field.column: parse_column(cells[field.column], field)[0]
        for field in spec.fields
        if field.column in cells
    }
    frame = pd.DataFrame(parsed, index=cells.index)
    if not spec.point_columns:
        frame[Column.GEOMETRY] = cells[Column.GEOMETRY].to_numpy()
    return assemble(frame, spec)


def empty_layer(layer: Layer | str) -> gpd.GeoDataFrame:
    """An empty GeoDataFrame (EPSG:4326) with the layer's columns and canonical dtypes.

    Each call gives a frame of its own (a copy), so changing it changes no other.
    """
    return _empty_template(Layer(layer)).copy()


@functools.cache
def _empty_template(layer: Layer) -> gpd.GeoDataFrame:
    # parsing every column of an empty table costs ~30 ms, and every dataset with a layer
    # missing (most uploads have events only) builds one per missing layer
    spec: LayerSpec = LAYER_SPECS[layer]
    cells = pd.DataFrame({c.value: pd.Series(dtype=object) for c in spec.columns})
    if not spec.point_columns:
        cells[Column.GEOMETRY] = pd.Series(dtype=object)
    return normalise(cells, spec)


def _missing_column(field: Field, index: pd.Index) -> pd.Series:
    if field.is_category:
        categories = list(field.choices) if field.type is FieldType.CHOICE else []
        return pd.Series(
            pd.Categorical([None] * len(index), categories=pd.Index(categories, dtype=object)),
            index=index,
        )
    dtype = {
        FieldType.DATE: DATE_DTYPE,
        FieldType.NUMBER: "float64",
        FieldType.INTEGER: "Int64",
        FieldType.BOOLEAN: "boolean",
    }.get(field.type, "string")
    if dtype == "float64":
        return pd.Series(np.nan, index=index, dtype=dtype)
    return pd.Series(pd.NA if dtype != DATE_DTYPE else pd.NaT, index=index, dtype=dtype)


def assemble(parsed: pd.DataFrame, spec: LayerSpec) -> gpd.GeoDataFrame:
    """Parsed columns in schema order and canonical dtypes, defaults filled, with geometry.

    Choices and repetitive text are categories; text is pandas ``string``; dates are
    midnight timestamps; geometry is EPSG:4326 (points from latitude and longitude).
    """
    out: dict[str, pd.Series] = {}
    for field in spec.fields:
        if field.column in parsed:
            values = parsed[field.column]
        else:
            values = _missing_column(field, parsed.index)
        if field.default is not None:
            values = values.fillna(field.default)
        out[field.column] = values
    frame = pd.DataFrame(out, index=parsed.index)
    if spec.point_columns:
        geometry = gpd.points_from_xy(frame[Column.LONGITUDE], frame[Column.LATITUDE], crs=CRS)
    else:
        geometry = gpd.GeoSeries(parsed[Column.GEOMETRY].to_numpy(), index=parsed.index, crs=CRS)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CRS)
