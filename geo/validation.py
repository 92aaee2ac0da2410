"""Validate a raw table against a layer's schema; keep the valid rows, list the rest.

The rules are declared once per field type and run by pandera, lazily, so every bad cell of
every row is found in one pass.  Each failure becomes a :class:`~geo.problems.Problem` that
names the file, the row, the column and what was expected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pandera.pandas as pa
import shapely

from geo.dataset import empty_layer
from geo.parsing import (
    blank_to_na,
    boolean_ok,
    canonical_people_moved,
    canonical_periods,
    canonical_sources,
    parse_booleans,
    parse_dates,
    parse_integers,
    parse_numbers,
    parse_structured,
    structured_error,
)
from geo.problems import DataError, LayerReport, Problem
from geo.schema import CRS, Column, Field, FieldType, LayerSpec

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


@dataclass(frozen=True)
class RawTable:
    """A table as read from a file, before validation.

    ``cells`` holds the attribute columns as found (text, or typed values from typed
    formats); ``geometry`` holds shapely geometries (None where missing or unreadable) for
    formats that carry geometry; ``problems`` are those found while reading (for example a
    GeoJSON feature whose geometry could not be parsed).
    """

    path: str
    cells: pd.DataFrame
    geometry: pd.Series | None = None
    record_label: str = "line"
    first_row: int = 2
    problems: tuple[Problem, ...] = ()


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


def _field_checks(field: Field) -> list[pa.Check]:
    """The pandera checks of one field; each check's ``error`` is the user's message."""
    t = field.type
    if t is FieldType.TEXT:
        return [
            pa.Check(
                lambda s: s.astype("string").str.len() <= MAX_TEXT_LENGTH,
                error=f"expected at most {MAX_TEXT_LENGTH:,} characters",
            )
        ]
    if t is FieldType.CHOICE:
        allowed = set(field.choices)
        return [
            pa.Check(
                lambda s: s.astype("string").str.lower().isin(allowed),
                error=f"expected one of: {', '.join(field.choices)}",
            )
        ]
    if t is FieldType.DATE:
        return [pa.Check(lambda s: parse_dates(s).notna(), error="expected a date as YYYY-MM-DD")]
    if t is FieldType.NUMBER:
        return [
            pa.Check(
                lambda s: _in_range(parse_numbers(s), field), error=_describe_range(field, False)
            )
        ]
    if t is FieldType.INTEGER:
        return [
            pa.Check(
                lambda s: _in_range(parse_integers(s), field), error=_describe_range(field, True)
            )
        ]
    if t is FieldType.BOOLEAN:
        return [pa.Check(boolean_ok, error="expected true or false (or yes/no, 1/0)")]
    if t in _STRUCTURED:
        canonical = _STRUCTURED[t]
        return [pa.Check(lambda s: parse_structured(s, canonical).notna(), error=t.value)]
    raise AssertionError(f"no checks for field type {t}")


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


def build_schema(spec: LayerSpec, present: set[str], *, with_geometry: bool) -> pa.DataFrameSchema:
    """The pandera schema of ``spec`` for a table holding the ``present`` columns."""
    columns: dict[str, pa.Column] = {}
    for field in spec.fields:
        if field.column not in present:
            continue
        checks = _field_checks(field)
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
        if first in present and last in present
    ]
    return pa.DataFrameSchema(columns, checks=frame_checks)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"


def _problems_from(
    failures: pd.DataFrame, table: RawTable, cells: pd.DataFrame, spec: LayerSpec
) -> list[Problem]:
    problems: set[Problem] = set()
    ids = cells.get(Column.ID, None)
    for row in failures.itertuples(index=False):
        if row.index is None or (isinstance(row.index, float) and np.isnan(row.index)):
            raise DataError(table.path, f"{row.column}: {row.check}")
        index = int(row.index)
        column, check, value = str(row.column), str(row.check), row.failure_case
        if row.schema_context == "DataFrameSchema":
            # a check across columns: report it once, against the later date's column
            column, first = check.split(" before ")
            message = f"is before {first} ({_short(cells.at[index, first])})"
            value = cells.at[index, column]
        elif check == "not_nullable":
            message = "required, but empty"
            value = None
        elif check == "duplicate":
            first = ids.index[np.flatnonzero((ids == ids.loc[index]).to_numpy())[0]]
            message = f"duplicate id, first used on {table.record_label} {first + table.first_row}"
        elif check in {t.value for t in _STRUCTURED}:
            message = structured_error(cells.at[index, column], _STRUCTURED[FieldType(check)])
            value = None
        else:
            message = check
        if value is not None and column != Column.GEOMETRY:
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


def _match_columns(table: RawTable, spec: LayerSpec) -> tuple[dict[str, Column], list[str]]:
    """Map the table's headers onto our columns (trimmed, any case); list the ignored ones."""
    wanted = {c.value: c for c in spec.columns}
    matched: dict[str, Column] = {}
    ignored = []
    for header in table.cells.columns:
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
    matched, ignored = _match_columns(table, spec)
    if table.cells.empty and (table.geometry is None or table.geometry.empty):
        # nothing to check (an empty FeatureCollection has no columns at all)
        report = LayerReport(table.path, str(spec.layer), ignored_columns=ignored)
        return empty_layer(spec.layer), report
    cells = table.cells[list(matched)].rename(columns=matched)
    cells = cells.apply(blank_to_na) if len(cells.columns) else cells
    has_geometry = table.geometry is not None
    read_problems = list(table.problems)
    if has_geometry and spec.point_columns:
        cells, point_problems = _points_from_geometry(table, cells, spec)
        read_problems += point_problems
    missing = [f.column.value for f in spec.fields if f.required and f.column not in cells.columns]
    if missing:
        expected = ", ".join(c.value for c in spec.columns)
        raise DataError(
            table.path,
            f"the {spec.layer} table has no {', no '.join(missing)} column "
            f"(its columns are: {', '.join(map(str, table.cells.columns)) or 'none'}; "
            f"expected: {expected})",
        )
    if has_geometry and not spec.point_columns:
        cells[Column.GEOMETRY] = table.geometry.to_numpy()
    elif not has_geometry and not spec.point_columns:
        raise DataError(table.path, f"the {spec.layer} layer needs geometries")

    schema = build_schema(spec, set(cells.columns), with_geometry=Column.GEOMETRY in cells)
    try:
        schema.validate(cells, lazy=True)
        problems: list[Problem] = []
    except pa.errors.SchemaErrors as errors:
        problems = _problems_from(errors.failure_cases, table, cells, spec)
    # a geometry that could not be read is reported once, not again as empty (nor its
    # point's latitude and longitude)
    unread = {p.row for p in read_problems}
    problems = sorted(
        {*read_problems}
        | {p for p in problems if not (p.row in unread and p.column in _FROM_GEOMETRY)}
    )
    rejected_rows = {p.row - table.first_row for p in problems}
    keep = ~cells.index.isin(list(rejected_rows))
    report = LayerReport(
        path=table.path,
        layer=str(spec.layer),
        rows_read=len(cells),
        problems=problems,
        ignored_columns=ignored,
    )
    return normalise(cells[keep].reset_index(drop=True), spec), report


def normalise(cells: pd.DataFrame, spec: LayerSpec) -> gpd.GeoDataFrame:
    """Convert valid cells to canonical dtypes, fill defaults, order columns, add geometry.

    ``cells`` must already have passed validation; point layers need ``latitude`` and
    ``longitude``, other layers a ``geometry`` column of shapely geometries (EPSG:4326).
    """
    out: dict[str, pd.Series] = {}
    for field in spec.fields:
        values = (
            cells[field.column]
            if field.column in cells
            else pd.Series(pd.NA, index=cells.index, dtype="object")
        )
        out[field.column] = convert(values, field)
    frame = pd.DataFrame(out, index=cells.index)
    if spec.point_columns:
        geometry = gpd.points_from_xy(frame[Column.LONGITUDE], frame[Column.LATITUDE], crs=CRS)
    else:
        geometry = gpd.GeoSeries(cells[Column.GEOMETRY].to_numpy(), index=cells.index, crs=CRS)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CRS)


def convert(values: pd.Series, field: Field) -> pd.Series:
    """Convert one column of valid cells to the field's canonical dtype, filling its default."""
    t = field.type
    if t is FieldType.DATE:
        result = parse_dates(values)
    elif t is FieldType.NUMBER:
        result = parse_numbers(values)
    elif t is FieldType.INTEGER:
        result = parse_integers(values)
    elif t is FieldType.BOOLEAN:
        result = parse_booleans(values)
    elif t in _STRUCTURED:
        result = parse_structured(values, _STRUCTURED[t])
    elif t is FieldType.CHOICE:
        result = blank_to_na(values.astype("string")).str.lower()
    else:
        result = blank_to_na(values.astype("string")).astype("string")
    if field.default is not None:
        result = result.fillna(field.default)
    return result
