"""Geography lives in the search package (``app.search.geo``); this name is kept for callers."""

from app.search.geo import city_centroid, haversine_miles, zip_centroid

__all__ = ["city_centroid", "haversine_miles", "zip_centroid"]
