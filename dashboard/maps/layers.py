"""The map's layers, registered once: everything that lists, draws or explains them asks here.

To add a map layer, write its module (a ``draw`` and a ``legend`` function and a
:class:`~dashboard.maps.drawing.MapLayer`, as :mod:`dashboard.maps.places` does) and add
one line below.  The sidebar's checkboxes, the layers a link may name
(``dashboard.state.ALL_LAYERS``), snapshots' and ``atlas snapshot``'s default layers, the
layer control and the legend then include it.

:func:`build_data_layers` draws the chosen layers and :func:`legend_html` writes their
legend entries, both by walking the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import folium
import geopandas as gpd
import pandas as pd

from dashboard.maps import city, context, events, places, routes, zones
from dashboard.maps.drawing import Aggregation, DrawContext, LayerRegistry
from dashboard.maps.legend import LEGEND_GROUP, LegendBody
from dashboard.maps.palette import Palette
from geo.dataset import Dataset
from geo.grid import HexagonIndex

#: The map's layers, in the order the sidebar and links list them.
MAP_LAYERS = LayerRegistry()
MAP_LAYERS.register(events.LAYER)
MAP_LAYERS.register(places.LAYER)
MAP_LAYERS.register(zones.LAYER)
MAP_LAYERS.register(routes.LAYER)
MAP_LAYERS.register(context.LAYER)
MAP_LAYERS.register(city.LAYER)


def build_data_layers(
    data: Dataset,
    *,
    palette: Palette,
    as_of: pd.Timestamp | None,
    layers: Iterable[str] | None = None,
    view: list[list[float]] | None = None,
    narrowed: bool = False,
    count_in: str | None = None,
    hexagons: HexagonIndex | None = None,
    details: Callable[[gpd.GeoDataFrame, bytes], dict[str, str]] | None = None,
) -> tuple[list[folium.FeatureGroup], Aggregation]:
    """The filtered data as feature groups, and how the events were drawn.

    ``layers``: the names of the layers to draw (None: every registered layer; a name not
    registered is a ValueError).  The groups run bottom to top (by ``draw_order``): zones,
    routes, places, events.  The last one also carries the legend's entries for what the
    layers show.

    ``data`` is already filtered (see ``geo.filters.filter_dataset``); its routes carry
    their ``status_as_of``.  ``view`` is the map's visible bounds: with more than
    ``MAX_MARKERS`` events there, events are drawn as WebGL points, or counted per cell
    of the shape ``count_in`` names (:data:`geo.grid.CELL_SHAPES`).  ``narrowed``: a filter
    on actors or types is on, and the map says so when most of its matches lie out of view.
    ``hexagons`` and ``details``: see :class:`~dashboard.maps.drawing.DrawContext`.
    """
    chosen = MAP_LAYERS.chosen(MAP_LAYERS.names() if layers is None else layers)
    context = DrawContext(
        palette=palette,
        as_of=as_of,
        view=view,
        narrowed=narrowed,
        count_in=count_in,
        hexagons=hexagons,
        details=details,
    )
    groups, shown = [], {}
    aggregation = Aggregation(events=len(data.events))
    for layer in sorted(chosen, key=lambda layer: layer.draw_order):
        drawn = layer.draw(data, context)
        groups.append(drawn.group)
        shown.update(drawn.shown)
        if drawn.aggregation is not None:
            aggregation = drawn.aggregation
    body = legend_html(
        palette,
        shown=data.with_layers(**shown),
        layers=[layer.name for layer in chosen],
        counts=aggregation.aggregated,
    )
    if not groups:  # no layer chosen: a group of its own, to empty the legend
        groups.append(folium.FeatureGroup(name=LEGEND_GROUP, control=False))
    LegendBody(body).add_to(groups[-1])
    return groups, aggregation


def legend_html(
    palette: Palette,
    *,
    shown: Dataset | None = None,
    layers: Iterable[str] | None = None,
    counts: bool = False,
) -> str:
    """The legend's entries: each layer's (by ``legend_order``), as escaped HTML.

    ``layers``: the names of the layers on the map (None: every registered layer; other
    names are ignored).  With ``shown`` (the filtered data), only what the map shows is
    listed; without it, everything in the palette.  ``counts``: events are drawn as counts
    per cell.
    """
    wanted = set(MAP_LAYERS.names() if layers is None else map(str, layers))
    listed = sorted(
        (layer for layer in MAP_LAYERS if layer.name in wanted),
        key=lambda layer: layer.legend_order,
    )
    parts = [layer.legend(palette, shown, counts) for layer in listed]
    return "".join(parts) or "<div class='atlas-muted'>Nothing on the map for these filters.</div>"
