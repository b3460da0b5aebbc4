"""The built-in Demo workspace: created on the very first start when nothing is configured."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.config import Settings
from core.connections import check_connection
from core.connectors.base import SourceKind
from core.demo import DEMO_OBJECTS, DemoSpec, write_demo
from core.roles import LOCAL_ADMIN
from storage.connections import create_connection
from storage.workspaces import create_workspace, list_workspaces

log = logging.getLogger(__name__)

DEMO_WORKSPACE = "Demo"
DEMO_CONNECTION = "Demo CRM export"


def ensure_demo_files(settings: Settings) -> None:
    """(Re)write the demo export if any file is missing; it is generated data, so nothing is lost."""
    folder = settings.demo_dir
    if all((folder / f"{name}.csv").exists() for name in DEMO_OBJECTS):
        return
    counts = write_demo(DemoSpec(), folder)
    log.info("wrote demo CRM export to %s: %s", folder, counts)


def ensure_demo_workspace(session: Session, settings: Settings) -> None:
    """On a first start (no workspace at all), create the Demo workspace on the demo export.

    A user who deleted the demo keeps it deleted: it is only created when there is no workspace.
    """
    if not settings.demo_enabled:
        return
    workspaces = list_workspaces(session)
    if any(w.is_demo for w in workspaces):
        ensure_demo_files(settings)
        return
    if workspaces:
        return
    ensure_demo_files(settings)
    try:
        with session.begin_nested():
            workspace = create_workspace(session, DEMO_WORKSPACE, actor=LOCAL_ADMIN, is_demo=True)
            connection = create_connection(
                session, workspace.id, name=DEMO_CONNECTION, kind=SourceKind.FILE,
                settings={"path": str(settings.demo_dir)}, secrets=None, box=None, actor=LOCAL_ADMIN,
            )
    except IntegrityError:
        # Another process created it at the same moment; theirs is as good as ours.
        log.info("demo workspace was created concurrently")
        return
    check_connection(session, connection.id, settings, actor=LOCAL_ADMIN)
