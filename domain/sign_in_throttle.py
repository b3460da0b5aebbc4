"""How often a person (or a machine) may get a password wrong before sign-in waits.

Five free attempts, then each further failure locks the user name (and, separately, the client) for a time
that doubles, from 30 seconds up to 15 minutes. Keyed on the name as typed, whether or not such a user exists,
so the lock itself does not tell which names are real. A successful sign-in clears the count.
"""

from __future__ import annotations

from datetime import datetime, timedelta

FREE_ATTEMPTS = 5
FIRST_LOCK = timedelta(seconds=30)
LONGEST_LOCK = timedelta(minutes=15)


def lock_after(failures: int) -> timedelta:
    """How long sign-in waits after the `failures`-th failure in a row (zero while attempts are free)."""
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    return min(FIRST_LOCK * 2 ** (failures - FREE_ATTEMPTS), LONGEST_LOCK)


def locked_until(failures: int, last_failure_at: datetime) -> datetime:
    return last_failure_at + lock_after(failures)


def user_key(username: str) -> str:
    return "user:" + username.strip().lower()[:180]


def client_key(client: str) -> str:
    return "client:" + client.strip()[:180]
