"""What the format modules share.

Which layer a file holds by its name, a known layout's table mapped onto our columns, a
GeoDataFrame as a raw table (in EPSG:4326), and dates as the ISO text every writer uses.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyproj.exceptions

from geo.layouts import detect_layout, unread_columns
from geo.problems import DataError
from geo.raw import RawTable
from geo.schema import CRS, Layer


def as_ours(table: RawTable) -> RawTable:
    """An events table in a known layout (ACLED, ...) mapped onto our columns."""
    layout = detect_layout(table.cells.columns)
    if layout is None:
        return table
    cells, notes = layout.to_ours(table.cells)
    # a point's position comes from the layout's own latitude/longitude columns; the
    # file's own cells stay for a user's mapping, which wins over the layout's
    return replace(
        table,
        cells=cells,
        geometry=None,
        layout=layout.name,
        as_read=table.cells,
        unread_columns=unread_columns(layout, table.cells.columns),
        notes=table.notes + tuple(notes),
    )


def layer_from_name(path: Path) -> Layer | None:
    """The layer a file is named after (``zones.csv``), or None."""
    stem = path.stem.lower()
    return next((layer for layer in Layer if stem == layer.value), None)


def table_from_frame(path: Path, frame: gpd.GeoDataFrame) -> RawTable:
    """A frame read by GDAL or pyarrow as a raw table, its shapes reprojected to EPSG:4326.

    Raises
    ------
    DataError
        When its coordinate system cannot be reprojected.
    """
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame:
        if frame.crs is not None and not frame.crs.equals(CRS):
            try:
                frame = frame.to_crs(CRS)
            except (pyproj.exceptions.CRSError, pyproj.exceptions.ProjError) as exc:
                raise DataError(
                    path, f"cannot be reprojected to longitude and latitude ({CRS}): {exc}"
                ) from exc
        geometry = pd.Series(frame.geometry.to_numpy(), index=frame.index, dtype=object)
        cells = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    else:
        geometry, cells = None, pd.DataFrame(frame)
    return RawTable(str(path), cells.reset_index(drop=True), geometry, "row", 1)


def iso_dates(values: pd.Series) -> pd.Series:
    """Dates as ``YYYY-MM-DD`` text, as every format writes them."""
    return values.dt.strftime("%Y-%m-%d").astype("string")
