"""Spatial coverage as catalogues write it (WKT, GeoJSON, GML, ``w,s,e,n`` boxes) and as we keep it.

We keep two plain values in a dataset's ``spatial``: ``bbox`` (``[west, south, east, north]`` in degrees,
longitude first) and ``geometry`` (a WKT text in CRS84, longitude first). Both are what GeoDCAT-AP exports
as ``dcat:bbox`` and ``locn:geometry`` (``gsp:wktLiteral``), and what the dataset page draws as a small SVG
outline: no map tiles, no JavaScript, no request at run time.

Pure functions, no dependency: a catalogue's geometry is a handful of coordinates, and a value we cannot read
is reported (``None``) so the harvester keeps it raw in ``harvest.unmapped``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_LAT_LON_CRS = re.compile(r"(EPSG/0/4326|EPSG::4326|EPSG:4326)\b", re.I)
_LON_LAT_CRS = re.compile(r"(CRS84|OGC/1.3/CRS84|EPSG/0/4258|EPSG:4258)\b", re.I)
_WKT = re.compile(
    r"^\s*(?:<(?P<crs>[^>]+)>\s*)?(?P<body>(POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON)"
    r"\s*\(.*\))\s*$",
    re.I | re.S,
)
_NUMBER = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_PAIR = re.compile(rf"({_NUMBER})\s+({_NUMBER})(?:\s+{_NUMBER})?")
_BOX = re.compile(rf"^\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*$")


@dataclass(frozen=True)
class Shape:
    """A readable spatial value: its bounding box, and its WKT when it is more than a box."""

    bbox: tuple[float, float, float, float]
    wkt: str | None = None


def _valid(lon: float, lat: float) -> bool:
    return -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0


def _box(points: list[tuple[float, float]]) -> tuple[float, float, float, float] | None:
    if not points or not all(_valid(x, y) for x, y in points):
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def _num(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def box_wkt(bbox: tuple[float, float, float, float] | list[float]) -> str:
    """The WKT polygon of a box, as GeoDCAT-AP writes ``dcat:bbox``."""
    w, s, e, n = (_num(v) for v in bbox)
    return f"POLYGON(({w} {s},{e} {s},{e} {n},{w} {n},{w} {s}))"


def from_wkt(text: str) -> Shape | None:
    """A WKT literal (optionally led by its CRS IRI, as ``gsp:wktLiteral`` allows)."""
    found = _WKT.match(text)
    if not found:
        return None
    crs, body = found.group("crs") or CRS84, " ".join(found.group("body").split())
    swap = bool(_LAT_LON_CRS.search(crs))
    if not swap and not _LON_LAT_CRS.search(crs):
        return None  # a projected CRS: we do not reproject
    points = [(float(a), float(b)) for a, b in _PAIR.findall(body)]
    if swap:
        points = [(b, a) for a, b in points]
        body = _PAIR.sub(lambda m: f"{m.group(2)} {m.group(1)}", body)
    bbox = _box(points)
    return Shape(bbox, body) if bbox else None


def _rings(kind: str, coords: Any) -> list[list[tuple[float, float]]] | None:
    try:
        if kind == "Point":
            return [[(float(coords[0]), float(coords[1]))]]
        if kind in ("LineString", "MultiPoint"):
            return [[(float(p[0]), float(p[1])) for p in coords]]
        if kind in ("Polygon", "MultiLineString"):
            return [[(float(p[0]), float(p[1])) for p in ring] for ring in coords]
        if kind == "MultiPolygon":
            return [[(float(p[0]), float(p[1])) for p in ring] for polygon in coords for ring in polygon]
    except (TypeError, ValueError, IndexError):
        return None
    return None


def from_geojson(value: Any) -> Shape | None:
    """A GeoJSON geometry (a dict, or its JSON text), longitude first as RFC 7946 says."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, dict):
        return None
    if value.get("type") == "Feature":
        value = value.get("geometry") or {}
    kind, coords = value.get("type"), value.get("coordinates")
    rings = _rings(str(kind), coords)
    if not rings or not all(rings):
        return None
    bbox = _box([p for ring in rings for p in ring])
    if bbox is None:
        return None

    def seq(ring: list[tuple[float, float]]) -> str:
        return ",".join(f"{_num(x)} {_num(y)}" for x, y in ring)

    if kind == "Point":
        wkt = f"POINT({seq(rings[0])})"
    elif kind in ("LineString", "MultiPoint"):
        wkt = f"{kind.upper()}({seq(rings[0])})"
    elif kind == "Polygon":
        wkt = "POLYGON(" + ",".join(f"({seq(r)})" for r in rings) + ")"
    elif kind == "MultiLineString":
        wkt = "MULTILINESTRING(" + ",".join(f"({seq(r)})" for r in rings) + ")"
    else:
        polygons = ("(" + ",".join(f"({seq(r)})" for r in p) + ")" for p in _polygons(coords))
        wkt = "MULTIPOLYGON(" + ",".join(polygons) + ")"
    return Shape(bbox, wkt)


def _polygons(coords: Any) -> list[list[list[tuple[float, float]]]]:
    return [[[(float(p[0]), float(p[1])) for p in ring] for ring in polygon] for polygon in coords]


_GML_ENVELOPE = re.compile(
    r"<(?:\w+:)?Envelope\b(?P<attrs>[^>]*)>.*?<(?:\w+:)?lowerCorner>\s*(?P<low>[^<]+)</.*?"
    r"<(?:\w+:)?upperCorner>\s*(?P<up>[^<]+)</",
    re.S,
)
_GML_POSLIST = re.compile(r"<(?:\w+:)?(?:posList|coordinates)\b[^>]*>\s*([^<]+)</", re.S)
_SRS = re.compile(r'srsName\s*=\s*"([^"]*)"')


def from_gml(text: str) -> Shape | None:
    """A GML envelope (``lowerCorner``/``upperCorner``) or a polygon's ``posList``; EPSG:4326 is latitude first."""
    srs = _SRS.search(text)
    swap = bool(srs and _LAT_LON_CRS.search(srs.group(1)))
    if srs and not swap and not _LON_LAT_CRS.search(srs.group(1)):
        return None
    envelope = _GML_ENVELOPE.search(text)
    if envelope:
        try:
            a, b = (float(v) for v in envelope.group("low").split()[:2])
            c, d = (float(v) for v in envelope.group("up").split()[:2])
        except ValueError:
            return None
        points = [(b, a), (d, c)] if swap else [(a, b), (c, d)]
        bbox = _box(points)
        return Shape(bbox) if bbox else None
    poslist = _GML_POSLIST.search(text)
    if not poslist:
        return None
    try:
        numbers = [float(v) for v in poslist.group(1).replace(",", " ").split()]
    except ValueError:
        return None
    points = [(numbers[i], numbers[i + 1]) for i in range(0, len(numbers) - 1, 2)]
    if swap:
        points = [(y, x) for x, y in points]
    bbox = _box(points)
    if bbox is None:
        return None
    ring = ",".join(f"{_num(x)} {_num(y)}" for x, y in points)
    return Shape(bbox, f"POLYGON(({ring}))" if len(points) > 2 else None)


def from_box_text(text: str) -> Shape | None:
    """``west,south,east,north`` (Project Open Data's ``spatial`` bounding box)."""
    found = _BOX.match(text)
    if not found:
        return None
    w, s, e, n = (float(v) for v in found.groups())
    if w > e or s > n:
        return None
    bbox = _box([(w, s), (e, n)])
    return Shape(bbox) if bbox else None


def read(value: Any) -> Shape | None:
    """Whatever a catalogue wrote: GeoJSON, WKT, GML or a ``w,s,e,n`` box; None when it is none of them."""
    if isinstance(value, dict):
        return from_geojson(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.startswith("{"):
        return from_geojson(text)
    if text.startswith("<") and not text.startswith("<http"):
        return from_gml(text)
    return from_wkt(text) or from_box_text(text)


# ----------------------------------------------------------------------------------------------- drawing


def outline_svg(bbox: list[float] | None, wkt: str | None, width: int = 240, height: int = 160) -> str | None:
    """A small SVG of the coverage: the geometry's rings (else the box) in an equirectangular projection.

    A plain drawing, scaled to fit with the latitude's cosine so a country keeps its shape; the page puts it
    next to the coordinates as text, so nothing depends on seeing it.
    """
    rings: list[list[tuple[float, float]]] = []
    if wkt:
        for part in re.findall(r"\(([^()]+)\)", wkt):
            points = [(float(a), float(b)) for a, b in _PAIR.findall(part)]
            if points:
                rings.append(points)
    if not rings and bbox:
        w, s, e, n = bbox
        rings = [[(w, s), (e, s), (e, n), (w, n), (w, s)]]
    if not rings:
        return None
    xs = [x for ring in rings for x, _ in ring]
    ys = [y for ring in rings for _, y in ring]
    west, east, south, north = min(xs), max(xs), min(ys), max(ys)
    k = math.cos(math.radians((north + south) / 2)) or 1.0
    span_x, span_y = max((east - west) * k, 1e-6), max(north - south, 1e-6)
    pad = 8
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    off_x = (width - span_x * scale) / 2
    off_y = (height - span_y * scale) / 2

    def at(x: float, y: float) -> str:
        return f"{off_x + (x - west) * k * scale:.1f},{off_y + (north - y) * scale:.1f}"

    shapes = []
    for ring in rings:
        if len(ring) == 1:
            shapes.append(f'<circle cx="{at(*ring[0]).split(",")[0]}" cy="{at(*ring[0]).split(",")[1]}" r="4"/>')
        else:
            shapes.append(f'<polyline points="{" ".join(at(x, y) for x, y in ring)}"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-hidden="true" class="spatial-outline"><rect x="0" y="0" width="{width}" height="{height}" '
        f'fill="none" stroke="currentColor" stroke-opacity="0.3"/><g fill="currentColor" fill-opacity="0.15" '
        f'stroke="currentColor" stroke-width="1.5">{"".join(shapes)}</g></svg>'
    )
