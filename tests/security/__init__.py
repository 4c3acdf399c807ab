"""Attacks on staff sessions and logins, replayed against the real app on both databases."""
