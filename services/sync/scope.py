"""Part of a workspace to sync now: everything, one domain, one routed object, or one canonical account."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from domain.canonical import Domain
from storage.connections import get_connection
from storage.routing import load_routes


@dataclass(frozen=True)
class SyncScope:
    """Part of a workspace to sync now: one domain, one routed object, or one canonical account.

    A scoped run never advances what it did not read: an account run saves no cursor and leaves the
    quarantine alone (it reads only that account's records); an object run touches only that object.
    """

    domain: Domain | None = None
    source_key: str | None = None
    object_name: str | None = None
    account_id: int | None = None
    account_name: str | None = None

    def describe(self) -> str:
        """'pipeline', 'object demo:opportunities', 'account 12 · Acme' (stored on the run)."""
        if self.account_id is not None:
            return f"account {self.account_id}" + (f" · {self.account_name}" if self.account_name else "")
        if self.object_name:
            return f"object {self.source_key + ':' if self.source_key else ''}{self.object_name}"
        return self.domain.label if self.domain else "everything"

    def covers(self, domain: Domain, source_key: str, object_name: str) -> bool:
        if self.domain is not None and domain != self.domain:
            return False
        if self.object_name and object_name != self.object_name:
            return False
        return not (self.source_key and source_key != self.source_key)


def sync_now_targets(session: Session, workspace_id: int) -> list[tuple[str, SyncScope | None]]:
    """What 'Sync now' can cover, in words: everything, each routed domain, each routed object."""
    routes = load_routes(session, workspace_id)
    targets: list[tuple[str, SyncScope | None]] = [("Everything", None)]
    for domain, domain_routes in routes.items():
        if domain_routes:
            targets.append((f"{domain.label} only", SyncScope(domain=domain)))
    for domain, domain_routes in routes.items():
        for route in domain_routes:
            connection = get_connection(session, route.connection_id)
            targets.append(
                (
                    f"{connection.name} · {route.object_name} ({domain.label})",
                    SyncScope(domain=domain, source_key=connection.source_key, object_name=route.object_name),
                )
            )
    return targets
