"""The ``atlas`` command line: everything a script or newsroom pipeline needs without a browser.

    atlas run [--data PATH] [--port N] [--host ADDRESS] [--no-browser]
              [--users USERS_FILE --tls-cert CERT.pem [--tls-key KEY.pem]]
              [--public-url URL] [--open-to-everyone]
    atlas passwd USERS_FILE NAME
    atlas info [--data PATH] [--json]
    atlas validate [--mapping FILE] PATH...
    atlas import FILE [--mapping FILE] --out FILE.gpkg [--report FILE.csv]
    atlas mapping FILE [--out MAPPING.json]
    atlas export [--data PATH] [filters...] --out FILE
    atlas synth --rows N [--seed S] --out FILE.csv|FILE.parquet
    atlas snapshot [--data PATH] [--view NAME] [filters...] [--title T] [--width W]
                   [--height H] [--scale S] [--preset social|print|letter] [--paper WxH]
                   [--provenance metadata|footer] [--basemap NAME] [--gif FILE]
                   --out FILE.png|FILE.html|FILE.svg|FILE.pdf|FILE.mp4|DIR/

``--data`` defaults to the bundled story everywhere; ``--mapping FILE`` (made by the app's
mapping step or ``atlas mapping``) reads a table in a layout the atlas does not know.
Exit codes: 0 success, 1 invalid rows (validate), 2 a file or an argument that cannot be
used.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from dashboard.browser import BrowserUnavailable
from dashboard.launch import plan_sharing, serve, should_open_browser
from dashboard.proxy import hash_password, set_password
from dashboard.serve import streamlit_command
from dashboard.settings import (
    COUNTRY,
    DATA,
    MAPPING,
    PUBLIC_URL,
    SNAPSHOT_PRESETS,
    STORY,
    VIEW,
    settings_help,
)
from dashboard.views import COUNTED_IN, DEFAULT_DRAWING, EVENT_DRAWINGS, MAX_MARKERS, VIEW_NAMES
from geo.dataset import Dataset
from geo.filters import (
    FILTER_FIELDS,
    Filters,
    describe_filters,
    filter_dataset,
    filters_from_text,
)
from geo.io import atomic_path, dataset_outputs, read_dataset, read_preview, write_dataset
from geo.io.checked import read_checked
from geo.mapping import ColumnMapping, needs_mapping, read_mapping, suggest_mapping
from geo.problems import DataError, LoadReport
from geo.schema import DATASET_LAYERS
from geo.story import load_story

EXIT_OK, EXIT_INVALID, EXIT_UNUSABLE = 0, 1, 2


def _mapping(path: str | None) -> ColumnMapping | None:
    return read_mapping(path) if path else None


def _read(
    path: str | Path, given: ColumnMapping | None, country: str | None, *, keep: bool = False
) -> tuple[Dataset, LoadReport]:
    """Read a dataset through the mapping given; else as it is; else through a guess.

    A table in no layout the atlas knows, whose guessed mapping (``atlas mapping``) covers
    every column a row needs, is read through that guess, and stderr says how each column
    was read.  Otherwise the reader's own error stands.  ``keep``: leave (or reuse) a
    validated copy in the cache folder, as the dashboard reads it (``geo.io.checked``).
    """
    try:
        if keep:
            return read_checked(path, mapping=given, country=country)
        return read_dataset(path, mapping=given, country=country)
    except DataError:
        guess = None if given is not None else _complete_guess(path)
        if guess is None:
            raise
    read_as = ", ".join(f"{ours} ← {theirs}" for ours, theirs in guess.columns.items())
    print(
        f"{path}: in no layout the atlas knows; read through a guessed mapping ({read_as}). "
        f"Check it, and keep it with 'atlas mapping {path} --out M.json', then --mapping M.json",
        file=sys.stderr,
    )
    return read_dataset(path, mapping=guess, country=country)


def _complete_guess(path: str | Path) -> ColumnMapping | None:
    """The guessed mapping of a table in no known layout, if it covers what a row needs."""
    try:
        preview = read_preview(path)
    except DataError:
        return None
    if not needs_mapping(preview.headers):
        return None
    guess = suggest_mapping(*preview)
    return None if guess.gaps() else guess


def _load(
    path: str | None,
    mapping: str | None = None,
    country: str | None = None,
    *,
    err=sys.stderr,
    keep: bool = False,
) -> Dataset:
    """The dataset at ``path`` (invalid rows reported on ``err`` and left out), or the story.

    ``keep``: leave a validated copy for the dashboard (see :func:`_read`).
    """
    if path is None:
        if mapping or country:
            raise ValueError("--mapping and --country apply to a file given with --data")
        return load_story()
    dataset, report = _read(path, _mapping(mapping), country, keep=keep)
    _check_kept(path, report)
    if not report.ok:
        print(report.summary(), file=err)
        print(
            f"{len(report.problems)} problems; run 'atlas validate {path}' to list them",
            file=err,
        )
    return dataset


def _check_apart(path: str, mapping: str | None, country: str | None) -> int:
    """Check the table for ``atlas run`` in a child process; its exit code.

    The dashboard reads the table again in its own process: a copy held here would double
    the memory of the run (2.4 GB at a million events), and memory a Python process freed
    is not always given back to the system, so the copy lives and dies in a child.  The
    child prints what ``_load`` prints, and the error ``main`` would; it leaves a validated
    copy in the cache folder, which the dashboard's first visitor then reads in a fraction
    of the time.  ``path``, ``mapping``: as the dashboard will be given them (resolved).
    """
    import multiprocessing

    # fork: no second import of geopandas; where fork is unsafe (macOS) or missing, spawn
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    child = multiprocessing.get_context(method).Process(
        target=_check_in_child, args=(path, mapping, country), name="atlas-run-check"
    )
    child.start()
    child.join()
    return EXIT_OK if child.exitcode == 0 else EXIT_UNUSABLE


def _check_in_child(path: str, mapping: str | None, country: str | None) -> None:
    """``_load`` the table and exit: 0 when it can be served, EXIT_UNUSABLE with the reason."""
    try:
        _load(path, mapping, country, keep=True)
    except DataError as error:
        print(f"atlas: {error}", file=sys.stderr, flush=True)
        sys.exit(EXIT_UNUSABLE)
    except (ValueError, FileNotFoundError) as error:
        print(f"atlas run: {error}", file=sys.stderr, flush=True)
        sys.exit(EXIT_UNUSABLE)
    sys.stderr.flush()
    sys.exit(0)


def _check_kept(path: str | Path, report: LoadReport) -> None:
    """Refuse a non-empty file that keeps no row, saying why in one line.

    Raises
    ------
    DataError
        With the commonest reason and its count (``atlas validate`` lists every row).
    """
    why = report.nothing_kept()
    if why is not None:
        raise DataError(path, f"{why}; run 'atlas validate {path}' to list every row")


def add_data_argument(parser: argparse.ArgumentParser) -> None:
    """``--data PATH [--mapping FILE]``, shared by every command that reads a dataset."""
    parser.add_argument("--data", metavar="PATH", help="dataset (default: the bundled story)")
    add_mapping_argument(parser)


def add_mapping_argument(parser: argparse.ArgumentParser) -> None:
    """``--mapping FILE --country C``: how to read a table in a layout the atlas does not know.

    ``--country`` says where to look up the place names of rows that name no country.
    """
    parser.add_argument(
        "--mapping",
        metavar="FILE",
        help="a mapping file (from the app's mapping step or 'atlas mapping') naming which "
        "column holds the date, position, place, actors, type and source",
    )
    parser.add_argument(
        "--country",
        metavar="NAME|ISO",
        help="the country of rows that name none: where their place names are looked up "
        "(a name found in several countries is otherwise left unplaced)",
    )


def add_filter_arguments(
    parser: argparse.ArgumentParser, *, more_help: dict[str, str] | None = None
) -> None:
    """The filter options (see ``geo.filters.FILTER_FIELDS``) of a command that filters.

    ``more_help`` adds to a field's help, by field name (the snapshot's series of days).
    """
    for spec in FILTER_FIELDS:
        if spec.flag is None:
            continue
        help_text = spec.help + (more_help or {}).get(spec.field, "")
        if spec.many:
            parser.add_argument(
                spec.flag,
                dest=spec.field,
                action="append",
                default=[],
                metavar=spec.metavar,
                help=help_text,
            )
        else:
            parser.add_argument(spec.flag, dest=spec.field, metavar=spec.metavar, help=help_text)


def filters_from(args: argparse.Namespace) -> Filters:
    """The :class:`Filters` named by parsed filter options (raises ValueError)."""
    return filters_from_text(
        {spec.field: getattr(args, spec.field) for spec in FILTER_FIELDS if spec.flag}
    )


def cmd_info(args: argparse.Namespace) -> int:
    """Print each layer's count, date span and actors."""
    info = _load(args.data, args.mapping, args.country).info()
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{info['name']}  (version {info['version']})")
    print(f"  from {info['source']}")
    for layer, entry in info["layers"].items():
        span = f", {entry['first_date']} to {entry['last_date']}" if "first_date" in entry else ""
        print(f"{layer}: {entry['count']}{span}")
        for key in ("actors", "controllers"):
            if entry.get(key):
                names = ", ".join(f"{name} ({n})" for name, n in entry[key].items())
                print(f"  {key}: {names}")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    """List every problem as ``PATH:LINE: COLUMN: message``; exit 1 if any, 2 if unreadable."""
    report, unreadable = LoadReport(), False
    mapping = _mapping(args.mapping)  # a bad mapping file fails the command, not one path
    for path in args.paths:
        try:
            report.extend(_read(path, mapping, args.country)[1])
        except DataError as error:
            print(error, file=sys.stderr)
            unreadable = True
    for problem in report.problems:
        print(problem)
    if report.layers:
        print(report.summary(), file=sys.stderr)
    if unreadable:
        return EXIT_UNUSABLE
    return EXIT_OK if report.ok else EXIT_INVALID


def cmd_export(args: argparse.Namespace) -> int:
    """Write the filtered dataset to .geojson, .gpkg, .csv (events) or .parquet (events)."""
    filters = filters_from(args)
    dataset = filter_dataset(_load(args.data, args.mapping, args.country), filters)
    out = write_dataset(dataset, args.out)
    counts = ", ".join(f"{len(dataset.layer(name))} {name}" for name in DATASET_LAYERS)
    print(f"wrote {out}: {counts}", file=sys.stderr)
    print(describe_filters(filters), file=sys.stderr)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """Read a table (any layout), write its accepted rows and the report of the rest.

    The cleaned dataset goes to ``--out``; every rejected row, with its line and reason, to
    ``--report`` (by default ``OUT.report.csv`` beside it).  Exit 0 even with rejected rows:
    they are reported, and the import is what was asked for.
    """
    dataset, report = _read(args.file, _mapping(args.mapping), args.country)
    _check_kept(args.file, report)
    out = write_dataset(dataset, args.out)
    report_path = args.report or out.with_name(out.stem + ".report.csv")
    with atomic_path(report_path) as tmp:
        tmp.write_text(report.problems_csv(), encoding="utf-8")
    print(report.summary())
    for note in report.notes:
        print(f"note: {note}")
    print(f"wrote {out} and {report_path} ({len(report.problems)} problems)")
    return EXIT_OK


def cmd_mapping(args: argparse.Namespace) -> int:
    """Write a first guess at a mapping file for a table, to check and edit."""
    mapping = suggest_mapping(*read_preview(args.file))
    text = mapping.to_json()
    if args.out is None:
        print(text, end="")
    else:
        with atomic_path(args.out) as tmp:
            tmp.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    gaps = mapping.gaps()
    if gaps:
        print(
            'still to map (edit the file, or add a value under "constants"): ' + ", ".join(gaps),
            file=sys.stderr,
        )
    return EXIT_OK


#: What ``atlas snapshot --out`` writes, by suffix (a folder: a series of PNG frames).
SNAPSHOT_SUFFIXES = (".png", ".html", ".svg", ".pdf", ".mp4")


def cmd_snapshot(args: argparse.Namespace) -> int:
    """Write a snapshot (PNG, HTML, SVG, PDF), or a series of days (PNG frames, GIF, MP4)."""
    from dashboard.snapshot import parse_series

    series = parse_series(args.as_of) if args.as_of and ":" in args.as_of else None
    if series is not None:
        args.as_of = None
    out = Path(args.out)
    suffix = out.suffix.lower()
    # refused before the data is read and a browser started
    if series is None and suffix not in SNAPSHOT_SUFFIXES[:4]:
        if suffix == ".mp4":
            raise ValueError("a video is a series of days: give --as-of START:END[:STEP]")
        raise ValueError(
            f"a snapshot is a .png, .html, .svg or .pdf file, got {out.name!r} "
            "(a series: a folder or a .mp4 file)"
        )
    if series is not None and suffix not in ("", ".mp4"):
        raise ValueError(
            f"a series is written to a folder (--out DIR/) or a video (--out FILE.mp4), got {out}"
        )
    request = _snapshot_request(args)
    if series is None:
        return _write_snapshot(request, out)
    return _write_series(request, series, out, gif=args.gif)


def _snapshot_request(args: argparse.Namespace):
    from dashboard.maps import MAP_LAYERS
    from dashboard.snapshot import SnapshotRequest, parse_paper
    from dashboard.state import Choices, ViewState, to_query
    from dashboard.views import FIT, VIEWS, fit_bounds

    filters = filters_from(args)
    paper = parse_paper(args.paper) if args.paper else None
    dataset = _load(args.data, args.mapping, args.country)
    if args.view == FIT:
        shown = filter_dataset(dataset, filters)
        bounds = fit_bounds(shown.events, shown.zones, shown.routes) or VIEWS["region"].bounds
    else:
        bounds = VIEWS[args.view].bounds
    layers = tuple(args.layers.split(",")) if args.layers else MAP_LAYERS.names()
    # the dataset's own span where the filters leave the window open (never NaT: a
    # dataset without events spans its zones' days)
    span = Choices.for_dataset(dataset)
    state = ViewState(
        start=filters.start.date() if filters.start is not None else span.first_day,
        end=filters.end.date() if filters.end is not None else span.last_day,
        as_of=filters.effective_as_of.date() if filters.effective_as_of is not None else None,
        actors=filters.actors,
        types=filters.event_types,
        view=args.view,
        layers=layers,
        draw=args.draw,
    )
    query = "&".join(f"{k}={v}" for k, values in to_query(state).items() for v in values)
    request = SnapshotRequest(
        dataset=dataset,
        filters=filters,
        bounds=bounds,
        layers=layers,
        tiles=args.basemap,
        link=f"{args.link_base.rstrip('/')}/?{query}",
        title=args.title or "",
        width=args.width,
        height=args.height,
        scale=args.scale,
        provenance_footer=args.provenance == "footer",
        count_in=COUNTED_IN.get(args.draw),
    )
    if args.preset:
        request = request.with_preset(args.preset)
    if paper is not None:
        request = request.with_paper(*paper)
    return request


def _basemap():
    from dashboard.maps import attribution_text, basemap_geojson
    from geo.story import load_basemap

    basemap = load_basemap()
    return basemap_geojson(basemap), attribution_text(basemap)


def _write_snapshot(request, out: Path) -> int:
    from dashboard.snapshot import render_pdf, render_png, render_svg, renderer, snapshot_html

    basemap_json, attribution = _basemap()
    suffix = out.suffix.lower()
    if suffix == ".html":
        html = snapshot_html(request, basemap_json, attribution=attribution)
        with atomic_path(out) as tmp:
            tmp.write_text(html, encoding="utf-8")
    else:
        render = {".png": render_png, ".svg": render_svg, ".pdf": render_pdf}[suffix]
        with renderer() as browser:
            data = render(request, basemap_json, attribution=attribution, using=browser)
        with atomic_path(out) as tmp:
            tmp.write_bytes(data)
    print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


def _write_series(request, days, out: Path, *, gif: Path | None) -> int:
    from dashboard.snapshot import render_png, renderer, write_gif, write_mp4

    video = out if out.suffix.lower() == ".mp4" else None
    if video is None:
        out.mkdir(parents=True, exist_ok=True)
    basemap_json, attribution = _basemap()
    frames: list[Path | bytes] = []
    with renderer() as browser:
        for number, day in enumerate(days, start=1):
            png = render_png(
                request.with_as_of(day), basemap_json, attribution=attribution, using=browser
            )
            if video is not None:
                frames.append(png)  # a video alone: the frames stay in memory
                print(f"drew {day:%Y-%m-%d} ({number}/{len(days)})", file=sys.stderr)
                continue
            frame = out / f"frame-{number:04d}-{day:%Y-%m-%d}.png"
            with atomic_path(frame) as tmp:
                tmp.write_bytes(png)
            frames.append(frame)
            print(f"wrote {frame}", file=sys.stderr)
    if video is not None:
        write_mp4(frames, video)
        print(f"wrote {video} ({len(frames)} frames, one per day)", file=sys.stderr)
    if gif is not None:
        write_gif(frames, gif)
        print(f"wrote {gif} ({len(frames)} frames)", file=sys.stderr)
    return EXIT_OK


def cmd_synth(args: argparse.Namespace) -> int:
    """Write seeded synthetic events in ACLED's layout (CSV or GeoParquet)."""
    import geopandas as gpd

    from geo.io import atomic_path
    from geo.synth import synth_acled

    frame = synth_acled(args.rows, seed=args.seed)
    out = Path(args.out)
    suffix = out.suffix.lower()
    with atomic_path(out) as tmp:
        if suffix == ".csv":
            frame.to_csv(tmp, index=False)
        elif suffix in (".parquet", ".geoparquet"):
            points = gpd.points_from_xy(frame["longitude"], frame["latitude"], crs="EPSG:4326")
            gpd.GeoDataFrame(frame, geometry=points).to_parquet(tmp, index=False)
        else:
            raise ValueError(f"synthetic events are written as .csv or .parquet, got {out.name!r}")
    print(f"wrote {out}: {args.rows:,} synthetic events (seed {args.seed})", file=sys.stderr)
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """Serve the dashboard on the dataset (checked first, so a bad file fails here).

    Beyond the loopback it needs a login over TLS (``--users``, ``--tls-cert``), served by
    HAProxy in front of Streamlit, or an explicit ``--open-to-everyone``.
    """
    sharing = plan_sharing(
        args.host,
        args.port,
        users_file=args.users,
        certificate=args.tls_cert,
        key=args.tls_key,
        public_url=args.public_url,
        open_to_everyone=args.open_to_everyone,
        workers=args.workers,
    )
    env = dict(os.environ)
    if args.data:
        # the dashboard is given the resolved paths: the check reads them as it will
        data = str(Path(args.data).resolve())
        mapping = str(Path(args.mapping).resolve()) if args.mapping else None
        checked = _check_apart(data, mapping, args.country)
        if checked != EXIT_OK:
            return checked
        env[DATA.variable] = data
        if mapping:
            env[MAPPING.variable] = mapping
        if args.country:
            env[COUNTRY.variable] = args.country
    if args.view:
        env[VIEW.variable] = args.view
    if args.story:  # story mode opens (and saves) this file
        env[STORY.variable] = str(Path(args.story).resolve())
    if args.public_url:
        env[PUBLIC_URL.variable] = args.public_url  # the app's share links use it
    return serve(
        sharing,
        streamlit_command,
        env=env,
        open_browser=should_open_browser(args.no_browser),
    )


def cmd_publish(args: argparse.Namespace) -> int:
    """Write a story as a static site (dashboard/publish.py); print its embed snippet."""
    from dashboard.publish import run_publish

    dataset = _load(args.data, args.mapping, args.country)
    published = run_publish(
        dataset,
        args.story,
        args.out,
        url=args.url,
        tiles=args.basemap,
        pictures=not args.no_pictures,
    )
    for path in published.files:
        print(f"wrote {path}", file=sys.stderr)
    print(published.embed)
    return EXIT_OK


def cmd_passwd(args: argparse.Namespace) -> int:
    """Set a person's password in a users file for ``atlas run --users``."""
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Again: ") != password:
            print("atlas passwd: the two passwords differ; nothing changed", file=sys.stderr)
            return EXIT_UNUSABLE
    else:  # a script pipes it in: the first line
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        print("atlas passwd: an empty password; nothing changed", file=sys.stderr)
        return EXIT_UNUSABLE
    replaced = set_password(args.users_file, args.name, hash_password(password))
    action = "changed the password of" if replaced else "added"
    print(f"atlas passwd: {action} {args.name} in {args.users_file}", file=sys.stderr)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The ``atlas`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="atlas",
        description="Map the geography of a conflict story.",
        epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,  # the epilog's lines as written
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="serve the dashboard and open it in a browser")
    add_data_argument(run)
    run.add_argument("--port", type=int, default=8501)
    run.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (0.0.0.0 to share it on your network: needs --users and "
        "--tls-cert, or --open-to-everyone)",
    )
    run.add_argument("--no-browser", action="store_true", help="do not open a browser")
    run.add_argument(
        "--view", choices=VIEW_NAMES, help="the view it opens on (a link's view= still wins)"
    )
    access = run.add_argument_group("sharing it safely (HAProxy in front, over TLS)")
    access.add_argument(
        "--users",
        type=Path,
        metavar="USERS_FILE",
        help="require a login by a name in USERS_FILE (made with: atlas passwd USERS_FILE NAME)",
    )
    access.add_argument(
        "--tls-cert",
        type=Path,
        metavar="CERT.pem",
        help="serve HTTPS with this certificate (PEM; with its key, or give --tls-key)",
    )
    access.add_argument("--tls-key", type=Path, metavar="KEY.pem", help="the certificate's key")
    access.add_argument(
        "--public-url",
        default=PUBLIC_URL.value(),
        metavar="URL",
        help=f"the address people use, if not --host:--port (default: ${PUBLIC_URL.variable})",
    )
    access.add_argument(
        "--open-to-everyone",
        action="store_true",
        help="serve beyond the loopback with no login: anyone who reaches it may use it",
    )
    run.add_argument("--story", type=Path, metavar="FILE", help="the story file story mode opens")
    many = run.add_argument_group("many viewers")
    many.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="N Streamlit servers behind HAProxy, each viewer kept on one (default 1)",
    )
    run.set_defaults(func=cmd_run)

    publish = commands.add_parser("publish", help="write a story as a static site (no server)")
    add_data_argument(publish)
    publish.add_argument("--story", type=Path, metavar="FILE", help="default: the bundled story")
    publish.add_argument("--out", type=Path, required=True, metavar="DIR/")
    publish.add_argument(
        "--url",
        default=PUBLIC_URL.value() or "https://example.org/your-story/",
        help="where the site will be served, for the embed snippet",
    )
    publish.add_argument("--basemap", choices=["offline", "osm", "carto"], default="offline")
    publish.add_argument("--no-pictures", action="store_true", help="no step PNGs and GIF")
    publish.set_defaults(func=cmd_publish)

    passwd = commands.add_parser(
        "passwd", help="set a password in a users file for atlas run --users"
    )
    passwd.add_argument("users_file", type=Path, metavar="USERS_FILE")
    passwd.add_argument("name", metavar="NAME")
    passwd.set_defaults(func=cmd_passwd)

    info = commands.add_parser("info", help="each layer's count, date span and actors")
    add_data_argument(info)
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=cmd_info)

    validate = commands.add_parser("validate", help="check files; list every bad row")
    validate.add_argument("paths", nargs="+", metavar="PATH")
    add_mapping_argument(validate)
    validate.set_defaults(func=cmd_validate)

    importer = commands.add_parser(
        "import", help="read a table in any layout; write the accepted rows and the report"
    )
    importer.add_argument("file", metavar="FILE")
    add_mapping_argument(importer)
    importer.add_argument("--out", required=True, type=Path, metavar="FILE", help=dataset_outputs())
    importer.add_argument(
        "--report", type=Path, metavar="FILE.csv", help="rejected rows (default OUT.report.csv)"
    )
    importer.set_defaults(func=cmd_import)

    mapping = commands.add_parser(
        "mapping", help="a first guess at a mapping file for a table in an unknown layout"
    )
    mapping.add_argument("file", metavar="FILE")
    mapping.add_argument("--out", type=Path, metavar="MAPPING.json", help="default: print it")
    mapping.set_defaults(func=cmd_mapping)

    export = commands.add_parser("export", help="write the filtered data to a file")
    add_data_argument(export)
    add_filter_arguments(export)
    export.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="FILE",
        help=dataset_outputs(),
    )
    export.set_defaults(func=cmd_export)

    snapshot = commands.add_parser(
        "snapshot",
        help="the map for publication (PNG, HTML, SVG, PDF; a series: frames, GIF, MP4), "
        "with its provenance",
    )
    add_data_argument(snapshot)
    snapshot.add_argument("--view", choices=VIEW_NAMES, default="fit", help="preset view")
    add_filter_arguments(snapshot, more_help={"as_of": "; also START:END[:STEP], a series of days"})
    # the dataset's tables, not the map's layers: naming those would import folium here
    snapshot.add_argument("--layers", metavar="L1,L2", help=",".join(DATASET_LAYERS))
    snapshot.add_argument(
        "--draw",
        choices=list(EVENT_DRAWINGS),
        default=DEFAULT_DRAWING,
        help=f"more than {MAX_MARKERS} events in view: "
        + "; ".join(f"{name}: {label.lower()}" for name, label in EVENT_DRAWINGS.items())
        + f" (default: {DEFAULT_DRAWING})",
    )
    snapshot.add_argument("--title", help="the headline (default: the dataset's name)")
    snapshot.add_argument("--width", type=int, default=1600, help="CSS pixels (default 1600)")
    snapshot.add_argument("--height", type=int, default=1000, help="CSS pixels (default 1000)")
    snapshot.add_argument("--scale", type=float, default=1.0, help="pixel density (2 = retina)")
    snapshot.add_argument(
        "--preset",
        choices=list(SNAPSHOT_PRESETS),
        help="; ".join(f"{p.name}: {p.label}" for p in SNAPSHOT_PRESETS.values())
        + " (instead of --width/--height/--scale)",
    )
    snapshot.add_argument(
        "--paper",
        metavar="WxH",
        help="the sheet in millimetres, e.g. 297x210 (for PDF and SVG; a PNG is laid out alike)",
    )
    snapshot.add_argument(
        "--provenance",
        choices=["metadata", "footer"],
        default="metadata",
        help="the full provenance in the file's metadata only (default), or also in a "
        "small-print footer",
    )
    snapshot.add_argument(
        "--basemap",
        choices=["offline", "osm", "carto"],
        default="offline",
        help="offline outlines (default) or online tiles",
    )
    snapshot.add_argument(
        "--link-base",
        default=PUBLIC_URL.value() or "http://127.0.0.1:8501",
        help="where the dashboard is served, for the link in the caption and metadata "
        f"(default: ${PUBLIC_URL.variable}, else http://127.0.0.1:8501)",
    )
    snapshot.add_argument(
        "--gif", type=Path, metavar="FILE.gif", help="with a series: also an animated GIF"
    )
    snapshot.add_argument(
        "--out",
        required=True,
        metavar="FILE|DIR/",
        help="FILE.png, FILE.html, FILE.svg or FILE.pdf; with --as-of START:END[:STEP], "
        "DIR/ (a PNG per day) or FILE.mp4 (a video, a frame per day)",
    )
    snapshot.set_defaults(func=cmd_snapshot)

    synth = commands.add_parser(
        "synth", help="seeded synthetic events in ACLED's layout, for benchmarks and tests"
    )
    synth.add_argument("--rows", type=int, required=True)
    synth.add_argument("--seed", type=int, default=2016)
    synth.add_argument("--out", required=True, metavar="FILE.csv|FILE.parquet")
    synth.set_defaults(func=cmd_synth)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``atlas``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except DataError as error:
        print(f"atlas: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    except (ValueError, FileNotFoundError, BrowserUnavailable) as error:
        print(f"atlas {args.command}: {error}", file=sys.stderr)
        return EXIT_UNUSABLE


if __name__ == "__main__":
    sys.exit(main())
