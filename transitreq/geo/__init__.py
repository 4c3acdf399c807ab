"""Backend-neutral geometry: every question answered the same on PostGIS and SpatiaLite.

Geometry SQL lives only here. Distances are geodesic metres on the WGS 84 ellipsoid (PostGIS
geography, SpatiaLite's ellipsoidal ``ST_Distance``), never degrees; candidate rows are always
found through the spatial index first (GiST on PostGIS, the ``SpatialIndex`` R*Tree on SpatiaLite).
"""
