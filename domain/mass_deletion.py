"""The guard against a disappearing source: a run that would remove most of a domain stops before writing.

A header-only or truncated export, a filter that suddenly matches nothing, or an API answering with an empty
page all look like "every record was deleted" to a full read. Real deletions rarely remove a large share of
a pipeline at once, so such a run stops, says why, raises an alert, and can be forced by a role allowed to.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.canonical import Domain

DEFAULT_SHARE = 0.20  # a run may remove at most this share of a domain's live rows unless forced
# Removing a handful of rows is ordinary churn even in a small workspace; below this the share is not checked.
MIN_ROWS = 5


@dataclass(frozen=True)
class MassDeletion:
    """One domain a run would empty out, with the numbers that show it."""

    domain: Domain
    live: int  # live rows before the run
    removing: int  # rows the run would tombstone
    read: int  # rows the run read for the domain

    def describe(self) -> str:
        share = self.removing / self.live
        cause = (
            "the source returned no rows at all"
            if self.read == 0
            else f"only {self.read:,} row(s) were read, so the rest look deleted"
        )
        return (
            f"{self.domain.label}: this run would remove {self.removing:,} of {self.live:,} live rows "
            f"({share:.0%}); {cause}"
        )


def mass_deletion(domain: Domain, *, live: int, removing: int, read: int, share: float) -> MassDeletion | None:
    """The mass deletion a run's plan amounts to, or None when it looks like ordinary change.

    Stops when a domain that holds rows reads none and would lose any, or when more than `share` of its live
    rows (and at least MIN_ROWS) would go.
    """
    if live <= 0 or removing <= 0:
        return None
    if read == 0 or (removing > share * live and removing >= MIN_ROWS):
        return MassDeletion(domain, live, removing, read)
    return None
