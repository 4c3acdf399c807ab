"""Stop projects from approval to service: the stage table, versioned changes with their events,
survey, sign-offs, construction and launch.
"""
