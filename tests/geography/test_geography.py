"""Community-area boundaries (bundled and portal with fallback), population, point-in-polygon."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import polars as pl
import pytest

from pipelines.defs.geography.boundaries import (
    community_area_table,
    load_boundaries,
    load_bundled_boundaries,
    load_population,
    name_key,
)
from pipelines.defs.geography.placement import point_in_area


@pytest.fixture(scope="module")
def bundled():
    return load_bundled_boundaries()


@pytest.fixture(scope="module")
def areas(bundled):
    return community_area_table(bundled, load_population())


def test_bundled_boundaries_are_the_77_areas_in_wgs84(bundled):
    assert sorted(bundled["community_area_number"]) == list(range(1, 78))
    assert bundled.crs.to_epsg() == 4326
    minx, miny, maxx, maxy = bundled.total_bounds
    assert -87.95 < minx < maxx < -87.52 and 41.64 < miny < maxy < 42.03


def test_population_matches_the_2020_census_total(areas):
    assert areas.height == 77
    assert areas["population_2020"].sum() == 2_746_388
    austin = areas.filter(pl.col("community_area_number") == 25).row(0, named=True)
    assert austin["community_area"] == "Austin" and austin["population_2020"] == 96_557


def test_name_keys_match_archive_spellings(areas):
    keys = dict(zip(areas["name_key"], areas["community_area_number"], strict=True))
    for spelling, number in [("OHARE", 76), ("O'HARE", 76), ("o hare", 76), ("LAKE VIEW", 6),
                             ("MCKINLEY PARK", 59), ("Humboldt Park", 23)]:
        assert keys[name_key(spelling)] == number


def test_point_in_polygon_known_points(areas):
    # Austin's centroid, East Garfield Park's centroid, a point in Lake Michigan, Oak Park.
    austin = areas.filter(pl.col("community_area_number") == 25).row(0, named=True)
    egp = areas.filter(pl.col("community_area_number") == 27).row(0, named=True)
    lat = np.array([austin["centroid_lat"], egp["centroid_lat"], 41.90, 41.885])
    lon = np.array([austin["centroid_lon"], egp["centroid_lon"], -87.55, -87.79])
    assert point_in_area(lat, lon, areas).tolist() == [25, 27, -1, -1]


class _GeoJsonHandler(BaseHTTPRequestHandler):
    body = b""
    status = 200

    def do_GET(self):  # noqa: N802 (http.server API)
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def portal(bundled):
    features = [
        {
            "type": "Feature",
            "properties": {"area_numbe": str(n), "community": "X"},
            "geometry": json.loads(json.dumps(geom.__geo_interface__)),
        }
        for n, geom in zip(bundled["community_area_number"], bundled.geometry, strict=True)
    ]
    handler = type("Handler", (_GeoJsonHandler,), {})
    handler.body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}/resource/igwz-8jzy.geojson"
    server.shutdown()


def test_portal_boundaries_are_used_when_reachable(portal):
    _handler, url = portal
    frame, origin = load_boundaries("portal", url)
    assert origin == url
    assert sorted(frame["community_area_number"]) == list(range(1, 78))


def test_portal_failure_falls_back_to_bundled_with_a_warning(portal, caplog):
    handler, url = portal
    handler.status = 503
    handler.body = b'{"error": "unavailable"}'
    with caplog.at_level(logging.WARNING):
        frame, origin = load_boundaries("portal", url)
    assert "bundled" in origin
    assert len(frame) == 77
    assert "falling back" in caplog.text.lower() or "bundled copy" in caplog.text
