"""Read and write layers and datasets: CSV, Excel, GeoJSON, GeoPackage, GeoParquet, shapefiles.

One public reader and writer per granularity (:func:`read_layer`, :func:`read_dataset`,
:func:`write_layer`, :func:`write_dataset`); the format-specific work is in one module per
format family.  Everything read is validated (see :mod:`geo.validation`); everything
written is written to a temporary file beside the target and moved into place, so a failed
write never leaves a half-written file where the user's file was.

Every file read is treated as hostile: nothing in it is evaluated or unpickled (Excel
formulas are read as the values the workbook saved), text is decoded strictly, and zip
archives (``.xlsx`` workbooks, zipped shapefiles) are checked before anything in them is
inflated (see :mod:`geo.archives`).  A file that cannot be read at all is one
:class:`~geo.problems.DataError`; a bad record is a :class:`~geo.problems.Problem`.

Where things live:

- :mod:`geo.io.formats`: the table of formats (suffixes, readers, writers) and the
  dispatch of a file to its reader; adding a format is a module and a line there.
- :mod:`geo.io.core`: :func:`read_layer`, :func:`read_dataset`, :func:`read_preview`,
  :func:`read_headers`.
- :mod:`geo.io.write`: :func:`write_layer`, :func:`write_dataset`, :func:`atomic_path`,
  the template CSV.
- :mod:`geo.io.text` (encodings, delimiters, CSV and TSV), :mod:`geo.io.excel`,
  :mod:`geo.io.zipped` (shapefiles and zipped tables), :mod:`geo.io.geojson`,
  :mod:`geo.io.gpkg_parquet`: one format family each.
- :mod:`geo.io.limits`: what an upload may make the server do (:class:`UploadLimits`).
- :mod:`geo.io.tables`: what the format modules share.
"""

from geo.io.core import (
    MAPPED_LAYOUT,
    PREVIEW_ROWS,
    TablePreview,
    read_dataset,
    read_headers,
    read_layer,
    read_preview,
)
from geo.io.formats import (
    PICKLE_SUFFIXES,
    REFUSED_SUFFIXES,
    Format,
    dataset_outputs,
    format_of,
    readable_formats,
    upload_suffixes,
)
from geo.io.geojson import feature_collection
from geo.io.limits import (
    MAX_GEOMETRY_HOLES,
    MAX_GEOMETRY_VERTICES,
    MAX_SHARED_STRINGS_MB,
    MAX_UPLOAD_CELLS,
    MAX_UPLOAD_MB,
    MAX_UPLOAD_ROWS,
    SHEET_XML_BYTES_PER_CELL,
    UPLOAD_LIMIT_VARIABLE,
    UPLOAD_MEMORY_MB,
    UploadLimits,
    check_upload_size,
    shape_sizes,
    upload_limit_mb,
)
from geo.io.text import csv_delimiter, text_encoding, to_text_table
from geo.io.write import atomic_path, template_events_csv, write_dataset, write_layer

__all__ = [
    "MAPPED_LAYOUT",
    "MAX_GEOMETRY_HOLES",
    "MAX_GEOMETRY_VERTICES",
    "MAX_SHARED_STRINGS_MB",
    "MAX_UPLOAD_CELLS",
    "MAX_UPLOAD_MB",
    "MAX_UPLOAD_ROWS",
    "PICKLE_SUFFIXES",
    "PREVIEW_ROWS",
    "REFUSED_SUFFIXES",
    "SHEET_XML_BYTES_PER_CELL",
    "UPLOAD_LIMIT_VARIABLE",
    "UPLOAD_MEMORY_MB",
    "Format",
    "TablePreview",
    "UploadLimits",
    "atomic_path",
    "check_upload_size",
    "csv_delimiter",
    "dataset_outputs",
    "feature_collection",
    "format_of",
    "read_dataset",
    "read_headers",
    "read_layer",
    "read_preview",
    "readable_formats",
    "shape_sizes",
    "template_events_csv",
    "text_encoding",
    "to_text_table",
    "upload_limit_mb",
    "upload_suffixes",
    "write_dataset",
    "write_layer",
]
