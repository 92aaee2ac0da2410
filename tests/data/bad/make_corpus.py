"""Write the bad-file corpus beside this script: ``python tests/data/bad/make_corpus.py``.

Each file is one kind of damage a user's upload can carry.  Its expected report,
``<stem>.expected.txt``, is what ``tests/test_bad_files.py`` checks; after changing a file
here, write the reports again with ``ATLAS_UPDATE_EXPECTED=1`` and read every changed
line before committing it.  Only the Python standard library, openpyxl and geopandas are
used, so that the script runs without the project installed.
"""

from __future__ import annotations

import io
import pickle
import random
import re
import stat
import struct
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
#: Fixed member dates, so that writing the corpus again gives the same zip bytes.
WHEN = (2024, 1, 1, 0, 0, 0)

HEADER = (
    "id",
    "date_start",
    "date_end",
    "event_type",
    "actor1",
    "latitude",
    "longitude",
    "status",
    "sources",
    "place_name",
    "description",
)
GOOD = {
    "id": "e1",
    "date_start": "2016-12-15",
    "date_end": "",
    "event_type": "Battles",
    "actor1": "Syrian government",
    "latitude": "36.2",
    "longitude": "37.15",
    "status": "reported",
    "sources": "Reuters",
    "place_name": "Aleppo",
    "description": "Shelling reported",
}


def row(sep: str = ",", **cells: str) -> str:
    """One events row: the good cells, some replaced."""
    return sep.join({**GOOD, **cells}[name] for name in HEADER)


def table(*rows: str, sep: str = ",", newline: str = "\n") -> str:
    """A header and rows, each line ended by ``newline``."""
    return "".join(line + newline for line in (sep.join(HEADER), *rows))


def text_files() -> dict[str, bytes]:
    """The CSV and GeoJSON files, as bytes."""
    arabic = table(row(id="e1", place_name="حلب الشرقية", actor1="الجيش السوري"))
    western = table(
        row(id="e1", place_name="Saint-Étienne", actor1="Forces armées"),
        row(id="e2", place_name="Düsseldorf", description="Räumung"),
    )
    rng = random.Random(20241125)
    return {
        "empty.csv": b"",
        "header_only.csv": table().encode(),
        "blank_lines_keep_row_numbers.csv": table(
            row(id="e1"), "", "", row(id="e2", latitude="136.2")
        ).encode(),
        "delimiters_only_rows.csv": table(row(id="e1"), ",,,,,,,,,,", ",,,,,,,,,,").encode(),
        "binary_bytes.csv": bytes(rng.randrange(0x80, 0x100) for _ in range(2048)),
        "nul_bytes.csv": table(row(id="e1"), row(id="e2", description="a\x00b")).encode(),
        "utf16le_with_bom.csv": b"\xff\xfe" + arabic.encode("utf-16-le"),
        "utf16le_without_bom.csv": arabic.encode("utf-16-le"),
        "arabic_windows1256.csv": arabic.encode("cp1256"),
        "latin1.csv": western.encode("latin-1"),
        "turkish_windows1254.csv": table(row(place_name="Yayladağı")).encode("cp1254"),
        "windows1252_first_accent_after_64kb.csv": table(
            *(row(id=f"e{i}") for i in range(700)), row(id="last", place_name="Málaga")
        ).encode("cp1252"),
        "semicolon.csv": table(row(sep=";", id="e1", latitude="36.2"), sep=";").encode(),
        "tab_separated.csv": table(row(sep="\t"), sep="\t").encode(),
        "cr_line_endings.csv": table(row(id="e1"), row(id="e2"), newline="\r").encode(),
        "ragged_rows.csv": table(
            row(id="e1"), row(id="e2", description="shelling, then a ceasefire"), row(id="e3")
        ).encode(),
        "short_rows.csv": table(row(id="e1"), "e2,2016-12-16,,Battles").encode(),
        "unterminated_quote.csv": table(
            row(id="e1"), row(id="e2", description='"a quote never closed'), row(id="e3")
        ).encode(),
        "duplicate_headers.csv": (",".join((*HEADER, "id")) + "\n" + row() + ",x\n").encode(),
        "formula_injection.csv": table(
            row(id="e1", description='"=HYPERLINK(""http://evil.example"",""click"")"'),
            row(id="e2", place_name="@SUM(A1)", actor1="+cmd|' /C calc'!A0"),
        ).encode(),
        "script_in_text.csv": table(
            row(description="<script>alert(1)</script>", place_name="<img src=x onerror=alert(1)>")
        ).encode(),
        "latitude_out_of_range.csv": table(row(id="e1"), row(id="e2", latitude="91")).encode(),
        "longitude_not_a_number.csv": table(row(id="e1", longitude='"37,15"')).encode(),
        "ragged_first_row.csv": table(
            row(id="e1", description="shelled, then"), row(id="e2")
        ).encode(),
        "duplicate_ids.csv": table(row(id="e1"), row(id="e2"), row(id="e1")).encode(),
        "date_end_before_start.csv": table(row(date_end="2016-12-01")).encode(),
        "unknown_choice.csv": table(row(status="rumoured")).encode(),
        "long_text.csv": table(row(description="A" * 20_000)).encode(),
        "pickle_renamed.csv": pickle.dumps({"id": "e1"}, protocol=5),
        "zip_renamed.csv": _zip({"events.csv": table(row()).encode()}),
        "table.txt": table(row()).encode(),
        "pickle.pkl": pickle.dumps({"id": "e1"}, protocol=5),
        "not_json.geojson": b'{"type": "FeatureCollection", "features": [\n  {"type": "Feat',
        "not_utf8.geojson": '{"type": "FeatureCollection", "features": [], "name": "Zürich"}'.encode(
            "latin-1"
        ),
        "not_a_feature_collection.geojson": b'{"type": "Topology", "objects": {}}',
        "feature_without_geometry.geojson": _collection(
            _feature("e1", {"type": "Point", "coordinates": [37.15, 36.2]}),
            _feature("e2", None),
            _feature("e3", None)[: -len(', "geometry": null}')] + "}",
        ),
        "invalid_polygon.geojson": _collection(
            _zone("z1", {"type": "Polygon", "coordinates": [[[37, 36], [37.1, 36]]]}),
            _zone("z2", {"type": "Polygon", "coordinates": [BOWTIE]}),
            _zone("z3", {"type": "Polygon", "coordinates": "not a list"}),
            _zone("z4", {"type": "Polygon", "coordinates": [SQUARE]}),
        ),
        "deeply_nested.geojson": (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
            '"geometry": {"type": "Point", "coordinates": ' + "[" * 5000 + "]" * 5000 + "}}]}"
        ).encode(),
        "huge_number.geojson": _collection(
            _feature("e1", '{"type": "Point", "coordinates": [1e999, 36.2]}'),
            _feature("e2", {"type": "Point", "coordinates": [37.15, 36.2]}, fatalities="9" * 5000),
        ),
        "layer_is_a_list.geojson": _collection(
            _feature("e1", {"type": "Point", "coordinates": [37.15, 36.2]}, layer='["zones"]')
        ),
    }


SQUARE = [[37, 36], [37.1, 36], [37.1, 36.1], [37, 36.1], [37, 36]]
#: A ring that crosses itself.
BOWTIE = [[37, 36], [37.1, 36.1], [37.1, 36], [37, 36.1], [37, 36]]
ZONE = {
    "layer": "zones",
    "name": "East Aleppo",
    "controller": "Opposition",
    "valid_from": "2016-11-15",
    "method": "traced",
    "sources": "Reuters",
}


def _zone(fid: str, geometry) -> str:
    import json

    props = json.dumps({"id": fid, **ZONE})
    return f'{{"type": "Feature", "properties": {props}, "geometry": {json.dumps(geometry)}}}'


def _feature(fid: str, geometry, layer: str | None = None, **more: str) -> str:
    import json

    skip = ("id", "latitude", "longitude")
    props = {"id": fid, **{k: v for k, v in GOOD.items() if k not in skip and v}}
    text = json.dumps(props, ensure_ascii=False)[:-1]
    if layer is not None:
        text += f', "layer": {layer if layer.startswith("[") else json.dumps(layer)}'
    for key, raw in more.items():
        text += f', "{key}": {raw}'
    text += "}"
    geometry_text = geometry if isinstance(geometry, str) else json.dumps(geometry)
    return f'{{"type": "Feature", "properties": {text}, "geometry": {geometry_text}}}'


def _collection(*features: str) -> bytes:
    body = ",\n".join(f"  {f}" for f in features)
    return f'{{"type": "FeatureCollection", "features": [\n{body}\n]}}\n'.encode()


def _zip(
    members: dict[str, bytes], *, symlinks: tuple[str, ...] = (), encrypted: bool = False
) -> bytes:
    """A zip of the members (dates fixed); ``encrypted`` flags a one-member zip's member."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, WHEN)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFLNK | 0o777) << 16 if name in symlinks else 0o644 << 16
            archive.writestr(info, data)
    data = bytearray(buffer.getvalue())
    if encrypted:
        # zipfile cannot encrypt, and clears the flag: set it in the member's local header
        # and its central directory entry (general purpose flags at offsets 6 and 8)
        data[6] |= 0x1
        data[data.rindex(b"PK\x01\x02") + 8] |= 0x1
    return bytes(data)


def _shapefile(frame, stem: str, *, prj: bool = True) -> dict[str, bytes]:
    """A GeoDataFrame's shapefile as {member name: bytes}."""
    with tempfile.TemporaryDirectory() as tmp:
        frame.to_file(Path(tmp) / f"{stem}.shp", engine="pyogrio")
        parts = {}
        for path in sorted(Path(tmp).iterdir()):
            data = bytearray(path.read_bytes())
            if path.suffix == ".dbf":
                data[1:4] = bytes([124, 1, 1])  # the day it was written: 2024-01-01
            if path.suffix != ".prj" or prj:
                parts[path.name] = bytes(data)
        return parts


def _workbook(rows: list[list], formulas: dict[str, tuple[str, str, str]] = ()) -> bytes:
    """An .xlsx of one sheet; ``formulas`` maps a cell (``D2``) to (formula, type, saved value).

    openpyxl writes formulas without the value a spreadsheet program saves beside them;
    the value is put in the sheet's XML here, as Excel would have.
    """
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for values in rows:
        sheet.append(values)
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # typed as text: openpyxl took it for a formula
    for cell, (formula, _, _) in dict(formulas).items():
        sheet[cell] = "=" + formula
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode()
                for cell, (_, kind, value) in dict(formulas).items():
                    xml = re.sub(
                        rf'<c r="{cell}"( [^>]*)?><f>(.*?)</f><v ?/>',
                        rf'<c r="{cell}" t="{kind}"><f>\2</f><v>{value}</v>',
                        xml,
                    )
                data = xml.encode()
            if info.filename == "docProps/core.xml":  # openpyxl stamps the time of saving
                data = re.sub(rb"(<dcterms:\w+ [^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", data)
            archive.writestr(zipfile.ZipInfo(info.filename, WHEN), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _unclose_first_ring(shp: bytes) -> bytes:
    """A polygon shapefile whose first ring's last point no longer meets its first."""
    data = bytearray(shp)
    # file header 100, record header 8, shape type 4, box 32, parts and points 4 + 4,
    # one part index 4: the first ring's five points follow, 16 bytes each
    last_x = 100 + 8 + 4 + 32 + 4 + 4 + 4 + 4 * 16
    data[last_x : last_x + 8] = struct.pack("<d", 1.0)
    return bytes(data)


def _latin1_field_name(dbf: bytes) -> bytes:
    """A .dbf whose first field is named in Latin-1 (né) while its .cpg says UTF-8."""
    data = bytearray(dbf)
    data[32:43] = b"n\xe9" + bytes(9)  # field descriptors start at byte 32, names 11 bytes
    return bytes(data)


def _central_patch(archive: bytes, offset: int, value: int) -> bytes:
    """The archive with one byte of every central directory entry set (6: version needed)."""
    data = bytearray(archive)
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        data[at + offset] = value
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def _damage_member(archive: bytes, name: str) -> bytes:
    """The archive with bytes in the middle of one member's compressed data overwritten."""
    info = zipfile.ZipFile(io.BytesIO(archive)).getinfo(name)
    data = bytearray(archive)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    data[middle : middle + 8] = b"\xff" * 8
    return bytes(data)


def _entity_bomb(workbook: bytes) -> bytes:
    """The workbook with its sheet's XML declaring entities that expand a billion times."""
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                xml = data.decode().replace("<t>e1</t>", "<t>&lol9;</t>", 1)
                xml = re.sub(r"^<\?xml[^>]*\?>", "", xml)
                data = f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]>{xml}'.encode()
            archive.writestr(zipfile.ZipInfo(info.filename, WHEN), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def binary_files() -> dict[str, bytes]:
    """The zip archives and workbooks."""
    import datetime as dt

    import geopandas as gpd
    from shapely.geometry import Polygon

    zone = {
        "id": ["z1", "z2"],
        "name": ["East Aleppo", "Castello road"],
        "controller": ["Opposition", "Government"],
        "valid_from": ["2016-11-15", "2016-11-15"],
        "valid_to": ["2016-11-25", ""],
        "method": ["traced", "traced"],
        "sources": ["Reuters", "Reuters"],
    }
    squares = [
        Polygon([(37.15, 36.2), (37.2, 36.2), (37.2, 36.25), (37.15, 36.25)]),
        Polygon([(37.1, 36.25), (37.15, 36.25), (37.15, 36.3), (37.1, 36.3)]),
    ]
    zones = gpd.GeoDataFrame(zone, geometry=squares, crs="EPSG:4326")
    projected = _shapefile(zones.to_crs(32637), "control")
    unprojected = _shapefile(zones.to_crs(32637), "control", prj=False)
    events = gpd.GeoDataFrame(
        {"id": ["e1"], "event_type": ["Battles"]},
        geometry=gpd.points_from_xy([37.15], [36.2]),
        crs="EPSG:4326",
    )
    points = _shapefile(events, "points")
    header = list(HEADER)
    typed = [
        [*header[:5], "latitude", "longitude", "status", "sources", "fatalities", None, None],
        [
            "e1",
            dt.datetime(2016, 12, 15),
            None,
            "Battles",
            "Army",
            36.2,
            37.15,
            None,
            "Reuters",
            3.0,
        ],
        [],
        ["e2", dt.date(2016, 12, 16), None, "Battles", "Army", 136.2, 37.15, None, "Reuters", 2],
        [
            "e3",
            dt.datetime(2016, 12, 17, 14, 30),
            None,
            "Battles",
            "Army",
            36,
            37,
            None,
            "Reuters",
            1.5,
            None,
            "stray cell",
        ],
    ]
    formula_rows = [
        [*header[:5], "latitude", "longitude", "sources", "fatalities", "description"],
        ["e1", "2016-12-15", None, "Battles", "Army", 36.2, 37.15, "Reuters", None, None],
        [
            "e2",
            "2016-12-15",
            None,
            "Battles",
            "Army",
            36.2,
            37.15,
            "Reuters",
            4,
            '=HYPERLINK("http://evil.example","typed as text")',
        ],
    ]
    shapefile_zip = _zip({f"data/{k}": v for k, v in projected.items()})
    workbook = _workbook(typed)
    return {
        "damaged_offsets.zip": shapefile_zip[1:],  # every member now one byte off
        "unsupported_zip_version.zip": _central_patch(shapefile_zip, 6, 84),
        "damaged_deflate.xlsx": _damage_member(workbook, "xl/worksheets/sheet1.xml"),
        "xml_entities.xlsx": _entity_bomb(workbook),
        "evil_path.zip": _zip({"../evil.shp": b"x", "ok.txt": b"x"}),
        "absolute_path.zip": _zip({"/etc/cron.d/evil.csv": b"x"}),
        "symlink.zip": _zip({"events.csv": b"/etc/passwd"}, symlinks=("events.csv",)),
        "encrypted.zip": _zip({"events.csv": b"locked"}, encrypted=True),
        "zip_bomb.zip": _zip({"zeros.csv": bytes(10 << 20)}),
        "not_a_zip.zip": table(row()).encode(),
        "no_shapefile.zip": _zip({"readme.txt": b"see attached", "photo.jpg": b"\xff\xd8\xff"}),
        "zip_in_zip.zip": _zip({"inner.zip": _zip({"events.csv": table(row()).encode()})}),
        "two_shapefiles.zip": _zip({**points, **{f"b{k[6:]}": v for k, v in points.items()}}),
        "shapefile_without_dbf.zip": _zip({k: v for k, v in points.items() if k[-4:] != ".dbf"}),
        "shapefile_projected.zip": shapefile_zip,
        "shapefile_damaged_shape.zip": _zip(
            {**projected, "control.shp": _unclose_first_ring(projected["control.shp"])}
        ),
        "shapefile_prj_not_text.zip": _zip({**projected, "control.prj": b'PROJCS["\xff\xfe"]'}),
        "shapefile_dbf_not_utf8.zip": _zip(
            {**projected, "control.dbf": _latin1_field_name(projected["control.dbf"])}
        ),
        "shapefile_without_prj.zip": _zip(unprojected),
        "layer_files.zip": _zip(
            {
                "__MACOSX/._events.csv": b"\x00\x05\x16\x07",
                "story/events.csv": table(row(), row(id="e2", latitude="x")).encode(),
                "story/places.csv": b"id,name,kind,latitude,longitude,sources\n"
                b"p1,Aleppo,city,36.2,37.15,Reuters\n",
            }
        ),
        "typed_cells.xlsx": workbook,
        "formula_cell.xlsx": _workbook(
            formula_rows,
            {
                "I2": ("1+2", "n", "3"),
                "J2": ('HYPERLINK("http://evil.example","click")', "str", "click"),
            },
        ),
        "text_named.xlsx": table(row()).encode(),
        "corrupt.xlsx": _zip({"[Content_Types].xml": b"<Types", "xl/workbook.xml": b"not xml"}),
        "xlsx_bomb.xlsx": _zip(
            {"[Content_Types].xml": b"<Types/>", "xl/media/zeros.bin": bytes(10 << 20)}
        ),
        "legacy.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
        "macros.xlsm": _zip({"xl/vbaProject.bin": b"Attribute VB_Name"}),
    }


def main() -> None:
    """Write every corpus file beside this script."""
    for name, data in {**text_files(), **binary_files()}.items():
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
