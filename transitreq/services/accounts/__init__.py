"""Staff accounts, logging in and its throttle."""
