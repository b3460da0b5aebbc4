"""Step 4's account decisions: merge two records of one company (CRM IDs move to the survivor), link a regional
or legal entity under its parent, keep a pair apart, and undo any of them. Who may decide is checked here."""

from __future__ import annotations

import json

from sqlmodel import Session

from domain.errors import DecisionConflict, NotFound
from domain.roles import Access, Permission
from storage import audit, review
from storage.accounts import links_of
from storage.db import fetch
from storage.tables import AccountCrosswalk, AccountMatch, CanonicalAccount, utcnow


def keep_apart(session: Session, match_id: int, seen_version: int, *, access: Access) -> None:
    """Reject a suggested pair: it is never suggested again."""
    access.require(Permission.APPROVE_SUGGESTIONS)
    review.decide(session, "account", match_id, seen_version, review.REJECTED, actor=access.actor)


def link_parent(session: Session, match_id: int, seen_version: int, *, parent_id: int, access: Access) -> None:
    """Approve a related pair: the other account of the pair becomes a child of `parent_id` in the account
    hierarchy (recorded, so `unlink_parent` puts back the parent it had before)."""
    access.require(Permission.APPROVE_SUGGESTIONS)
    actor = access.actor
    match = session.get(AccountMatch, match_id)
    if match is None:
        raise NotFound(f"Suggestion #{match_id} no longer exists; reload the page.")
    if parent_id not in (match.account_id_a, match.account_id_b):
        raise DecisionConflict(f"Account #{parent_id} is not one of the pair #{match_id}; reload the page.")
    child_id = match.account_id_b if parent_id == match.account_id_a else match.account_id_a
    parent, child = fetch(session, CanonicalAccount, parent_id), fetch(session, CanonicalAccount, child_id)
    if parent.merged_into_id or child.merged_into_id:
        raise DecisionConflict(f"{parent.name} or {child.name} was merged into another account; reload to see it.")
    ancestor: CanonicalAccount | None = parent
    seen: set[int] = set()
    while ancestor is not None and ancestor.id not in seen:
        if ancestor.id == child.id:
            raise DecisionConflict(
                f"{child.name} is already above {parent.name} in the account hierarchy; linking "
                "it below would make a loop."
            )
        seen.add(ancestor.id)
        ancestor = fetch(session, CanonicalAccount, ancestor.parent_id) if ancestor.parent_id else None
    review.decide(session, "account", match_id, seen_version, review.LINKED, actor=actor)
    match = fetch(session, AccountMatch, match_id)
    match.moved_links_json = json.dumps({"child": child.id, "previous_parent": child.parent_id})
    match.parent_account_id = parent.id
    child.parent_id = parent.id
    session.add_all([match, child])
    audit.record(
        session,
        actor=actor,
        action="link",
        entity="accounts",
        entity_id=f"{parent.id}>{child.id}",
        workspace_id=match.workspace_id,
        detail={
            "parent": parent.id,
            "child": child.id,
            "parent_name": parent.name,
            "child_name": child.name,
            "score": match.score,
            "reason": match.reason,
        },
    )


def unlink_parent(session: Session, match_id: int, *, access: Access) -> None:
    """Undo a parent/child link: the child gets back the parent it had before (none, usually)."""
    access.require(Permission.APPROVE_SUGGESTIONS)
    actor = access.actor
    match = session.get(AccountMatch, match_id)
    if match is None or match.status != review.LINKED:
        raise NotFound(f"Link #{match_id} is not in force; reload the page.")
    record = json.loads(match.moved_links_json or "{}")
    child = fetch(session, CanonicalAccount, record.get("child"))
    if child is not None and child.parent_id == match.parent_account_id:
        child.parent_id = record.get("previous_parent")
        session.add(child)
    match.status, match.version, match.decided_by, match.decided_at = (
        review.SUGGESTED,
        match.version + 1,
        actor,
        utcnow(),
    )
    session.add(match)
    audit.record(
        session,
        actor=actor,
        action="unlink",
        entity="accounts",
        entity_id=f"{match.parent_account_id}>{record.get('child')}",
        workspace_id=match.workspace_id,
        detail={"parent": match.parent_account_id, "child": record.get("child")},
    )


def merge_pair(session: Session, match_id: int, seen_version: int, *, surviving_name: str, access: Access) -> None:
    """Merge account B into A under `surviving_name`: B's CRM IDs now point at A (recorded for unmerge)."""
    access.require(Permission.APPROVE_SUGGESTIONS)
    actor = access.actor
    match = session.get(AccountMatch, match_id)
    if match is None:
        raise NotFound(f"Duplicate suggestion #{match_id} no longer exists; reload the page.")
    keep, fold = (
        fetch(session, CanonicalAccount, match.account_id_a),
        fetch(session, CanonicalAccount, match.account_id_b),
    )
    if keep.merged_into_id or fold.merged_into_id:
        raise DecisionConflict(f"{keep.name} or {fold.name} was already merged elsewhere; reload to see it.")
    review.decide(session, "account", match_id, seen_version, review.MERGED, actor=actor)
    match = fetch(session, AccountMatch, match_id)  # decide() changed its version and status
    links = links_of(session, fold.id)
    moved = [link.id for link in links]
    for link in links:
        link.canonical_account_id = keep.id
        link.decided_by = f"merged by {actor}"
        session.add(link)
    match.moved_links_json = json.dumps({"links": moved, "old_name": keep.name})
    fold.merged_into_id = keep.id
    keep.name = surviving_name
    session.add_all([match, keep, fold])
    audit.record(
        session,
        actor=actor,
        action="merge",
        entity="accounts",
        entity_id=f"{keep.id}+{fold.id}",
        workspace_id=match.workspace_id,
        detail={
            "kept": keep.id,
            "merged": fold.id,
            "name": surviving_name,
            "crm_ids_moved": len(moved),
            "score": match.score,
            "reason": match.reason,
        },
    )


def unmerge_pair(session: Session, match_id: int, *, access: Access) -> None:
    """Undo a merge: the CRM IDs the merge moved point at account B again."""
    access.require(Permission.APPROVE_SUGGESTIONS)
    actor = access.actor
    match = session.get(AccountMatch, match_id)
    if match is None or match.status != review.MERGED:
        raise NotFound(f"Merge #{match_id} is not in force; reload the page.")
    record = json.loads(match.moved_links_json or "{}")
    keep, fold = (
        fetch(session, CanonicalAccount, match.account_id_a),
        fetch(session, CanonicalAccount, match.account_id_b),
    )
    for link_id in record.get("links", []):
        link = session.get(AccountCrosswalk, link_id)
        if link is not None:
            link.canonical_account_id = fold.id
            session.add(link)
    fold.merged_into_id = None
    keep.name = record.get("old_name", keep.name)
    match.status, match.version, match.decided_by, match.decided_at = (
        review.SUGGESTED,
        match.version + 1,
        actor,
        utcnow(),
    )
    session.add_all([match, keep, fold])
    audit.record(
        session,
        actor=actor,
        action="unmerge",
        entity="accounts",
        entity_id=f"{keep.id}+{fold.id}",
        workspace_id=match.workspace_id,
        detail={"kept": keep.id, "restored": fold.id},
    )
