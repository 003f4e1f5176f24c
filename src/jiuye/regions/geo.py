"""Coordinates of regions and distances between points.

The shipped coordinate table has provinces, cities and counties (``data/county_coordinates.csv``
from cpca). A township or village takes its county's point, so distances between places in the
same county are 0 km at this precision; postings carry their own workplace coordinates.
"""

from __future__ import annotations

import math
from functools import lru_cache

from jiuye.regions.codes import normalize


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[float, float]]:
    from jiuye.regions.sources import county_coordinates

    return county_coordinates()


def coordinates_of(region_code: str) -> tuple[float, float] | None:
    """(longitude, latitude) of the region's county, else city, else province; None if unknown."""
    try:
        code = normalize(region_code)
    except (ValueError, TypeError):
        return None
    table = _table()
    for key in (code[:6] + "000000", code[:4] + "00000000", code[:2] + "0000000000"):
        if key in table:
            return table[key]
    return None


EARTH_RADIUS_KM = 6371.0088


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))
