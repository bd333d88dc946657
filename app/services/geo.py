"""Geography lives in ``app.geo`` (a leaf module); this name is kept for callers."""

from app.geo import city_centroid, haversine_miles, zip_centroid

__all__ = ["city_centroid", "haversine_miles", "zip_centroid"]
