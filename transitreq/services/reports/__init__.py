"""Planners' reports: the dashboard and the exports."""
