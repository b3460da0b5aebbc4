"""The sync: scope (what to sync), read, transform (domain/transform.py), compare (pure), load (one unit of work),
the run's lifecycle (lock, heartbeat, outcome), summary and rollback. What other layers use is named here."""

from services.sync.rollback import rollback_to
from services.sync.run import PreparedRun, begin_sync, execute_sync, run_sync, start_background_sync
from services.sync.scope import SyncScope, sync_now_targets
from services.sync.summary import DomainSummary, SyncSummary, landing_lag

__all__ = [
    "DomainSummary",
    "PreparedRun",
    "SyncScope",
    "SyncSummary",
    "begin_sync",
    "execute_sync",
    "landing_lag",
    "rollback_to",
    "run_sync",
    "start_background_sync",
    "sync_now_targets",
]
