"""The single source of truth for layer names, column names, types and vocabularies.

Every other module refers to columns through :class:`Column` and to layers
through :class:`Layer`; no column name is typed anywhere else.  All geometry is
in EPSG:4326 (longitude, latitude in degrees).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

CRS = "EPSG:4326"
#: The name of our own table layout (beside ACLED, UCDP GED, or a user's mapping).
OUR_LAYOUT = "conflict-atlas"


class Layer(StrEnum):
    """The layers of a dataset."""

    EVENTS = "events"
    PLACES = "places"
    ZONES = "zones"
    ROUTES = "routes"
    BASEMAP = "basemap"


class Column(StrEnum):
    """Every column name of every layer.

    A name shared by two layers means the same thing in both.
    """

    ID = "id"
    NAME = "name"
    KIND = "kind"
    # events: when
    DATE_START = "date_start"
    DATE_END = "date_end"
    DATE_PRECISION = "date_precision"
    # events: what and who
    EVENT_TYPE = "event_type"
    SUB_EVENT_TYPE = "sub_event_type"
    ACTOR1 = "actor1"
    ACTOR2 = "actor2"
    ASSOC_ACTORS = "assoc_actors"
    FATALITIES = "fatalities"
    DESCRIPTION = "description"
    STATUS = "status"
    # where
    PLACE_NAME = "place_name"
    PLACE_ID = "place_id"
    COUNTRY = "country"
    LATITUDE = "latitude"
    LONGITUDE = "longitude"
    LOCATION_PRECISION = "location_precision"
    ESTIMATE = "estimate"
    UNCERTAINTY_KM = "uncertainty_km"
    GEOCODE = "geocode"
    # zones
    CONTROLLER = "controller"
    VALID_FROM = "valid_from"
    VALID_TO = "valid_to"
    METHOD = "method"
    UNCERTAINTY = "uncertainty"
    # routes
    ORIGIN = "origin"
    DESTINATION = "destination"
    PERIODS = "periods"
    PEOPLE_MOVED = "people_moved"
    # basemap
    ATTRIBUTION = "attribution"
    # provenance
    SOURCES = "sources"
    NOTES = "notes"
    GEOMETRY = "geometry"
    # only in exports that put several layers in one FeatureCollection
    LAYER = "layer"
    # derived by filtering, never stored: a route's status on the as-of date
    STATUS_AS_OF = "status_as_of"
    # added when several datasets are open at once: the dataset a row came from
    DATASET = "dataset"


#: The words the app shows for a column where they are not its name with spaces.  A file
#: says ``event_type``; a person reads "Event type" on the screen and in its messages.
_COLUMN_LABELS: dict[Column, str] = {
    Column.ID: "Row id",
    Column.DATE_START: "Date",
    Column.DATE_END: "Last possible date",
    Column.SUB_EVENT_TYPE: "Sub-type",
    Column.ACTOR1: "Actor",
    Column.ACTOR2: "Second actor",
    Column.ASSOC_ACTORS: "Associated actors",
    Column.SOURCES: "Source",
    Column.UNCERTAINTY_KM: "Uncertainty (km)",
}


def column_label(column: Column | str) -> str:
    """The words a person reads for a column, on the screen and in messages.

    >>> [column_label(c) for c in (Column.EVENT_TYPE, Column.DATE_START, "place_name")]
    ['Event type', 'Date', 'Place name']
    """
    try:
        column = Column(column)
    except ValueError:
        return str(column)
    return _COLUMN_LABELS.get(column) or column.value.replace("_", " ").capitalize()


class FieldType(StrEnum):
    """How a column's values are parsed and stored."""

    TEXT = "text"
    CHOICE = "choice"
    DATE = "date"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    SOURCES = "sources"  # JSON list of source objects
    PERIODS = "periods"  # JSON list of {start, end, status, note}
    PEOPLE_MOVED = "people_moved"  # JSON list of {count, qualifier, as_of, source}


# --- vocabularies ---------------------------------------------------------------------

#: Our one scale of date precision; ACLED's time_precision (1-3) and UCDP's date_prec (1-5)
#: map onto it.
DATE_PRECISIONS = ("day", "days", "week", "month", "year")

#: Our one scale of location precision, finest first, with the radius (km) drawn as the
#: circle of uncertainty on the map.  ACLED geo_precision 1/2/3 -> locality/near/region;
#: UCDP where_prec 1..7 -> locality, near, near, region, area, country, area.
LOCATION_PRECISION_RADIUS_KM = {
    "site": 0.1,
    "district": 1.0,  # a city district or neighbourhood
    "locality": 2.0,  # a town or village, or a city as a whole
    "near": 25.0,  # within about 25 km of the named place
    "region": 100.0,  # a first-order administrative unit, coded to its centre
    "area": 150.0,  # a larger area, between places, water or airspace
    "country": 300.0,
}
LOCATION_PRECISIONS = tuple(LOCATION_PRECISION_RADIUS_KM)

EVENT_STATUSES = ("reported", "confirmed", "disputed", "planned", "rescheduled")
PLACE_KINDS = ("capital", "city", "town", "district", "crossing", "site")
ROUTE_KINDS = ("evacuation", "diplomatic", "supply", "displacement", "other")
ROUTE_STATUSES = ("active", "suspended")
BASEMAP_KINDS = ("country", "governorate", "province")

#: The keys of one source object, in the order they are written.
SOURCE_KEYS = ("publisher", "title", "date", "url", "quote", "claim", "note")
PERIOD_KEYS = ("start", "end", "status", "note")
PEOPLE_MOVED_KEYS = ("count", "qualifier", "as_of", "note", "source")

#: ACLED's top-level event types: a recommendation for our tables, not a closed list.
ACLED_EVENT_TYPES = (
    "Battles",
    "Protests",
    "Riots",
    "Explosions/Remote violence",
    "Violence against civilians",
    "Strategic developments",
)


#: Field types held as categories whatever the field says: few distinct values per column.
_ALWAYS_CATEGORY = frozenset({"choice", "sources", "periods", "people_moved"})


@dataclass(frozen=True)
class Field:
    """One column of a layer: its type, whether it must be filled, and its allowed values."""

    column: Column
    type: FieldType
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    unique: bool = False
    default: object = None
    description: str = ""
    #: Held as a pandas category: choices, and text that repeats from row to row (actors,
    #: types, places), which at a million rows saves most of the memory and time.
    categorical: bool = False

    @property
    def is_category(self) -> bool:
        """True when the column is held as a pandas category (structured JSON always is)."""
        return self.categorical or self.type in _ALWAYS_CATEGORY


@dataclass(frozen=True)
class LayerSpec:
    """A layer: its fields, in the order they are written, and its geometry types.

    ``point_columns`` is set for point layers, which CSV stores as latitude and longitude
    columns; other layers keep their geometry as WKT in a ``geometry`` column of a CSV.
    """

    layer: Layer
    fields: tuple[Field, ...]
    geometry_types: tuple[str, ...]
    point_columns: bool = False

    @property
    def columns(self) -> tuple[Column, ...]:
        """The layer's attribute columns, without geometry."""
        return tuple(f.column for f in self.fields)

    def field(self, column: Column) -> Field:
        """Return the field for ``column``."""
        for f in self.fields:
            if f.column == column:
                return f
        raise KeyError(f"layer {self.layer!s} has no column {column!s}")


C, T = Column, FieldType

_ID = Field(C.ID, T.TEXT, required=True, unique=True, description="unique identifier")
_SOURCES = Field(
    C.SOURCES,
    T.SOURCES,
    required=True,
    description="JSON list of sources: publisher, title, date, url, quote, claim, note",
)
_NOTES = Field(C.NOTES, T.TEXT, description="free notes, such as where sources disagree")

EVENTS = LayerSpec(
    Layer.EVENTS,
    (
        _ID,
        Field(C.DATE_START, T.DATE, required=True, description="first possible date"),
        Field(C.DATE_END, T.DATE, description="last possible date (empty: the start date)"),
        Field(C.DATE_PRECISION, T.CHOICE, choices=DATE_PRECISIONS, default="day"),
        Field(
            C.EVENT_TYPE,
            T.TEXT,
            required=True,
            categorical=True,
            description="ACLED's event types advised",
        ),
        Field(C.SUB_EVENT_TYPE, T.TEXT, categorical=True),
        Field(C.ACTOR1, T.TEXT, required=True, categorical=True, description="the primary actor"),
        Field(C.ACTOR2, T.TEXT, categorical=True, description="the second actor"),
        Field(
            C.ASSOC_ACTORS,
            T.TEXT,
            categorical=True,
            description="associated actors, separated by ';'",
        ),
        Field(C.PLACE_NAME, T.TEXT, categorical=True),
        Field(C.PLACE_ID, T.TEXT, categorical=True, description="a place's id in places"),
        Field(
            C.COUNTRY,
            T.TEXT,
            categorical=True,
            description="country name or ISO code: the hint for placing a place name",
        ),
        Field(C.LATITUDE, T.NUMBER, required=True, minimum=-90, maximum=90),
        Field(C.LONGITUDE, T.NUMBER, required=True, minimum=-180, maximum=180),
        Field(C.LOCATION_PRECISION, T.CHOICE, choices=LOCATION_PRECISIONS, default="locality"),
        Field(C.ESTIMATE, T.BOOLEAN, default=False, description="coordinates are an estimate"),
        Field(C.UNCERTAINTY_KM, T.NUMBER, minimum=0, description="radius of uncertainty"),
        Field(
            C.GEOCODE,
            T.TEXT,
            categorical=True,
            description="what the place name matched in GeoNames, and how sure (set on load)",
        ),
        Field(C.FATALITIES, T.INTEGER, minimum=0, description="empty where unknown"),
        Field(C.DESCRIPTION, T.TEXT),
        Field(C.STATUS, T.CHOICE, choices=EVENT_STATUSES, default="reported"),
        _SOURCES,
        _NOTES,
    ),
    geometry_types=("Point",),
    point_columns=True,
)

PLACES = LayerSpec(
    Layer.PLACES,
    (
        _ID,
        Field(C.NAME, T.TEXT, required=True),
        Field(C.KIND, T.CHOICE, required=True, choices=PLACE_KINDS),
        Field(C.LATITUDE, T.NUMBER, required=True, minimum=-90, maximum=90),
        Field(C.LONGITUDE, T.NUMBER, required=True, minimum=-180, maximum=180),
        Field(C.LOCATION_PRECISION, T.CHOICE, choices=LOCATION_PRECISIONS, default="locality"),
        Field(C.ESTIMATE, T.BOOLEAN, default=False, description="coordinates are an estimate"),
        Field(C.UNCERTAINTY_KM, T.NUMBER, minimum=0),
        _SOURCES,
        _NOTES,
    ),
    geometry_types=("Point",),
    point_columns=True,
)

ZONES = LayerSpec(
    Layer.ZONES,
    (
        _ID,
        Field(C.NAME, T.TEXT, required=True),
        Field(C.CONTROLLER, T.TEXT, required=True, description="the controlling actor"),
        Field(C.VALID_FROM, T.DATE, required=True, description="first day the shape holds"),
        Field(C.VALID_TO, T.DATE, description="last day the shape holds (empty: open-ended)"),
        Field(C.METHOD, T.TEXT, required=True, description="how the shape was drawn"),
        Field(C.UNCERTAINTY, T.TEXT, description="how uncertain the shape is"),
        _SOURCES,
        _NOTES,
    ),
    geometry_types=("Polygon", "MultiPolygon"),
)

ROUTES = LayerSpec(
    Layer.ROUTES,
    (
        _ID,
        Field(C.NAME, T.TEXT, required=True),
        Field(C.KIND, T.CHOICE, required=True, choices=ROUTE_KINDS),
        Field(C.ORIGIN, T.TEXT),
        Field(C.DESTINATION, T.TEXT),
        Field(C.PERIODS, T.PERIODS, description="JSON list of {start, end, status, note}"),
        Field(C.PEOPLE_MOVED, T.PEOPLE_MOVED, description="JSON list of counts with sources"),
        Field(C.METHOD, T.TEXT, description="how the line was drawn"),
        _SOURCES,
        _NOTES,
    ),
    geometry_types=("LineString", "MultiLineString"),
)

BASEMAP = LayerSpec(
    Layer.BASEMAP,
    (
        _ID,
        Field(C.NAME, T.TEXT, required=True),
        Field(C.KIND, T.CHOICE, required=True, choices=BASEMAP_KINDS),
        Field(C.ATTRIBUTION, T.TEXT, required=True),
    ),
    geometry_types=("Polygon", "MultiPolygon"),
)

LAYER_SPECS: dict[Layer, LayerSpec] = {
    spec.layer: spec for spec in (EVENTS, PLACES, ZONES, ROUTES, BASEMAP)
}

#: The layers a dataset holds (the basemap ships separately, as context).
DATASET_LAYERS = (Layer.EVENTS, Layer.PLACES, Layer.ZONES, Layer.ROUTES)

del C, T
