"""Residents' stop requests: filing and supporting them, the status table, planners' decisions,
tracking, feedback, Open311.
"""
