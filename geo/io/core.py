"""Reading: the public readers, from a file or a folder to validated layers.

:func:`read_layer`, :func:`read_dataset`, :func:`read_preview` and :func:`read_headers`
have a file read into raw tables by its format (:func:`geo.io.formats.read_raw`), hold
them to the row limit, and validate them (:mod:`geo.validation`); an events table is
first mapped onto our columns, its dates read in the forms spreadsheets write them, and
its rows placed by name.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import pandas as pd

from geo.dataset import Dataset
from geo.dates import MIXED, read_date_column
from geo.io.formats import either, read_raw, table_kinds, table_suffixes
from geo.io.limits import UploadLimits, bounded_shapes, check_rows
from geo.mapping import ColumnMapping
from geo.placement import Placement, place_by_name
from geo.problems import DataError, LayerReport, LoadReport
from geo.raw import RawTable
from geo.schema import DATASET_LAYERS, LAYER_SPECS, OUR_LAYOUT, Column, Layer
from geo.validation import match_columns, validate_table

#: The layout of a table read through a user's column mapping.
MAPPED_LAYOUT = "mapped"
#: How many of a table's first rows a preview holds: enough to tell sentences from names.
PREVIEW_ROWS = 200


def read_layer(
    path: str | Path,
    layer: Layer | str | None = None,
    *,
    mapping: ColumnMapping | None = None,
    limits: UploadLimits | None = None,
    country: str | None = None,
) -> tuple[gpd.GeoDataFrame, LayerReport]:
    """Read and validate one layer from a file.

    Parameters
    ----------
    path
        A CSV or TSV (point layers: ``latitude``/``longitude`` columns; other layers: a WKT
        ``geometry`` column), an Excel ``.xlsx`` workbook (laid out as the CSV), a GeoJSON
        FeatureCollection, a GeoPackage, a GeoParquet file, or a ``.zip`` holding one
        shapefile (or one of the other files).
    layer
        Which layer the file holds; by default taken from the file name (``zones.csv``), a
        GeoJSON ``layer`` property, a GeoPackage layer or workbook sheet name, a
        shapefile's geometry type, or else ``events``.
    mapping
        For an events table in a layout the atlas does not know: which of its columns
        holds which of ours (see :mod:`geo.mapping`).
    limits
        What the file may make the reader do (an upload's, see :class:`UploadLimits`);
        None reads it whole.
    country
        The country (a name or ISO code) of events that name none: the hint for placing
        their place names.

    Events with a place name and no coordinates are placed offline (see
    :mod:`geo.placement`).

    Returns
    -------
    The valid rows (EPSG:4326, the layer's columns in schema order) and a report of the
    rejected ones.

    Raises
    ------
    DataError
        When the file cannot be read at all.
    """
    path = Path(path)
    wanted = Layer(layer) if layer is not None else None
    tables = read_raw(path, wanted, limits)
    if wanted is None:
        wanted = Layer.EVENTS if Layer.EVENTS in tables or len(tables) != 1 else next(iter(tables))
    if wanted not in tables:
        found = ", ".join(str(k) for k in tables) or "none"
        raise DataError(path, f"holds no {wanted} layer (layers found: {found})")
    check_rows(path, len(tables[wanted].cells), limits)
    return _validate(tables[wanted], wanted, mapping, limits, country)


def read_dataset(
    path: str | Path,
    *,
    mapping: ColumnMapping | None = None,
    limits: UploadLimits | None = None,
    country: str | None = None,
) -> tuple[Dataset, LoadReport]:
    """Read and validate every layer of a dataset.

    ``path`` is a folder (``events.csv``, ``places.geojson``, ``zones.gpkg`` ...: one file
    per layer, named after it), a GeoPackage with a table per layer, a GeoJSON
    FeatureCollection whose features carry a ``layer`` property, an Excel workbook with a
    sheet per layer, a zip of layer files, or any single-layer file (taken as events unless
    its name or content says otherwise).  Layers not found are empty.  All geometry is
    EPSG:4326.  ``mapping``, ``limits``, ``country`` and placing by name work as in
    :func:`read_layer`; the row limit counts every layer together.
    """
    path = Path(path)
    tables: list[tuple[Layer, RawTable]] = []
    if path.is_dir():
        for layer, file in _layer_files(path).items():
            tables.append((layer, read_raw(file, layer, limits)[layer]))
        if not tables:
            raise DataError(
                path,
                "holds no layer files: expected events, places, zones or routes "
                f"({either(table_kinds())})",
            )
    else:
        tables = [
            (layer, table)
            for layer, table in read_raw(path, None, limits).items()
            if layer in DATASET_LAYERS
        ]
    rows = sum(len(table.cells) for _, table in tables)
    held = f"holds {rows:,} rows" + (" in its layers" if len(tables) > 1 else "")
    check_rows(path, rows, limits, held=held)
    report = LoadReport()
    frames: dict[Layer, gpd.GeoDataFrame] = {}
    for layer, table in tables:
        frame, layer_report = _validate(table, layer, mapping, limits, country)
        frames[layer] = frame
        report.layers.append(layer_report)
    return Dataset.from_layers(frames, name=path.stem, source=str(path)), report


class TablePreview(NamedTuple):
    """A file's events table as the mapping step sees it, before any mapping."""

    #: The column headers (``geometry`` too, where the table has shapes).
    headers: list[str]
    #: The first :data:`PREVIEW_ROWS` rows' cells, as read (no geometry).
    rows: pd.DataFrame


def read_preview(path: str | Path, *, limits: UploadLimits | None = None) -> TablePreview:
    """The headers and first rows of a file's events table.

    Known layouts (ACLED, UCDP GED) come back as our columns: they need no mapping.
    ``limits`` bound the reading as in :func:`read_layer`.

    Raises
    ------
    DataError
        When the file cannot be read at all, or passes a limit.
    """
    tables = read_raw(Path(path), None, limits)
    table = tables.get(Layer.EVENTS) or next(iter(tables.values()))
    headers = [str(c) for c in table.cells.columns]
    if table.geometry is not None:
        headers.append(Column.GEOMETRY.value)
    return TablePreview(headers, table.cells.head(PREVIEW_ROWS))


def read_headers(path: str | Path, *, limits: UploadLimits | None = None) -> list[str]:
    """The column headers of a file's events table (see :func:`read_preview`)."""
    return read_preview(path, limits=limits).headers


def _validate(
    table: RawTable,
    layer: Layer,
    mapping: ColumnMapping | None,
    limits: UploadLimits | None = None,
    country: str | None = None,
) -> tuple[gpd.GeoDataFrame, LayerReport]:
    """Validate one raw table; an events table is mapped and placed by name first.

    With ``limits``, a shape over the vertex or hole limit rejects its row before anything
    looks at it.
    """
    notes: list[str] = list(table.notes)
    placement = Placement()
    if limits is not None and table.geometry is not None:
        table = bounded_shapes(table, layer, limits)
    if layer is Layer.EVENTS:
        if mapping is not None:
            table, notes = _mapped(table, mapping)
            notes = list(table.notes) + notes
        elif table.layout == OUR_LAYOUT:
            table, notes = _date_forms(table)
        table, placement = place_by_name(table, country=country)
    frame, report = validate_table(table, LAYER_SPECS[layer])
    report.geocoded, report.notes = placement.placed, notes
    report.placed_countries = dict(placement.countries)
    report.names_in_several_countries = dict(placement.in_several_countries)
    report.rows_in_several_countries = placement.rows_in_several_countries
    if country and placement.placed:
        notes.append(f"rows naming no country had their places looked up in {country}")
    if mapping is not None and table.layout == MAPPED_LAYOUT:
        # a spreadsheet's user finds "Town" in the file; "place_name" is only ours
        report.problems = mapping.in_table_terms(report.problems)
    return frame, report


def _date_forms(table: RawTable) -> tuple[RawTable, list[str]]:
    """Our layout's event dates in the forms spreadsheets write them, read as YYYY-MM-DD.

    15/12/2016, 15 December 2016, Excel serials...: see :mod:`geo.dates`; an ambiguous
    order (03/04/2016) is read day first and noted.  Typed dates (Parquet) are left alone.
    """
    matched, _ = match_columns(table.cells.columns, LAYER_SPECS[Layer.EVENTS])
    cells, notes = table.cells, []
    for header, column in matched.items():
        values = cells[header]
        if column not in (Column.DATE_START, Column.DATE_END) or values.dtype.kind == "M":
            continue
        read, form = read_date_column(values, column=str(header))
        if form.ambiguous or form.name == MIXED:
            notes.append(form.note)
        if cells is table.cells:
            cells = cells.copy()
        cells[header] = read
    return (table if cells is table.cells else replace(table, cells=cells)), notes


def _mapped(table: RawTable, mapping: ColumnMapping) -> tuple[RawTable, list[str]]:
    """A table through the user's mapping, which wins over a layout recognised by its columns.

    A recognised layout's reading is set aside: the mapping is applied to the file's own
    cells, so that a wrong recognition can always be corrected.
    """
    notes: list[str] = []
    cells = table.cells
    if table.as_read is not None:
        notes.append(
            f"its columns look like the {table.layout} layout, but the mapping given was "
            "used instead"
        )
        # a reader that read only the layout's columns reads the rest for the mapping
        cells = table.read_every_column() if table.read_every_column else table.as_read
    # the file's columns the mapping names nothing onto are reported as not loaded
    unread = mapping.unread_headers(cells.columns)
    cells, date_notes = mapping.apply(cells, path=table.path)
    positioned = {Column.LATITUDE.value, Column.LONGITUDE.value} & set(mapping.columns)
    # shapes (GeoJSON, shapefile) place rows unless the mapping names coordinate columns
    geometry = None if positioned else table.geometry
    mapped = replace(
        table,
        cells=cells,
        geometry=geometry,
        layout=MAPPED_LAYOUT,
        as_read=None,
        unread_columns=unread,
        notes=(),
    )
    return mapped, notes + date_notes


def _layer_files(folder: Path) -> dict[Layer, Path]:
    """A dataset folder's file per layer, named after it (``events.csv``, ``zones.gpkg``)."""
    found: dict[Layer, Path] = {}
    suffixes = table_suffixes()
    for layer in DATASET_LAYERS:
        candidates = [folder / f"{layer}{suffix}" for suffix in suffixes]
        existing = [c for c in candidates if c.is_file()]
        if len(existing) > 1:
            names = ", ".join(c.name for c in existing)
            raise DataError(folder, f"has more than one {layer} file ({names}): keep one")
        if existing:
            found[layer] = existing[0]
    return found
