"""Place names: the table residents search the map by, kept in step with stops, landmarks,
service areas (and OpenStreetMap's streets), and the search itself.
"""
