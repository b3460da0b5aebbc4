"""FX rates put in force: an uploaded file or a CRM org's own rates become the next mapping version (reading and
checking rates is in the domain)."""

from __future__ import annotations

from sqlmodel import Session

from domain.config import Settings
from domain.errors import RevenueConnectorError, ValidationError
from domain.fx_rates import FxRate, OrgRates, parse_fx_rates, rates_from_org, with_fx_rates
from domain.mapping_config import MappingConfig
from domain.roles import Access, Permission
from services.connections import connector_for
from storage.connections import list_connections
from storage.mappings import latest_mapping, save_mapping
from storage.tables import MappingVersion


def _mapping_in_force(session: Session, workspace_id: int) -> MappingConfig:
    current = latest_mapping(session, workspace_id)
    if current is None:
        raise ValidationError("There is no mapping yet to add FX rates to.", hint="Approve or import a mapping first.")
    return current[1]


def put_rates_in_force(
    session: Session, workspace_id: int, rates: tuple[FxRate, ...], *, access: Access, note: str
) -> MappingVersion:
    """Save the mapping in force with `rates` as its FX rates: the next mapping version, audited like any import."""
    access.require(Permission.EDIT_SETUP)
    if not rates:
        raise ValidationError("There are no FX rates to put in force.")
    config = _mapping_in_force(session, workspace_id)
    return save_mapping(session, workspace_id, with_fx_rates(config, rates), actor=access.actor, note=note[:255])


def put_fx_rates_in_force(
    session: Session, workspace_id: int, content: bytes, *, access: Access, file_name: str
) -> MappingVersion:
    """Validate an uploaded rates file and save the mapping in force with these rates as the next version."""
    access.require(Permission.EDIT_SETUP)
    rates = parse_fx_rates(content, _mapping_in_force(session, workspace_id).reporting_currency)
    return put_rates_in_force(session, workspace_id, rates, access=access, note=f"FX rates from {file_name}")


def suggested_org_rates(
    session: Session, workspace_id: int, settings: Settings, *, source_key: str | None = None
) -> list[OrgRates]:
    """Rates every CRM connection of the workspace that keeps its own (a multi-currency Salesforce org) offers,
    converted into the workspace's reporting currency. A person puts them in force; nothing here saves."""
    reporting = _mapping_in_force(session, workspace_id).reporting_currency
    offers = []
    for connection in list_connections(session, workspace_id):
        if source_key and connection.source_key != source_key:
            continue
        try:
            connector = connector_for(connection, settings)
            if not hasattr(connector, "org_fx_rates"):
                continue
            org_rates = connector.org_fx_rates()
            if org_rates.is_empty():
                offers.append(
                    OrgRates(
                        connection.name,
                        connection.source_key,
                        "",
                        (),
                        "a single-currency org: it keeps no exchange rates",
                    )
                )
                continue
            offers.append(
                OrgRates(
                    connection.name, connection.source_key, org_rates["table"][0], rates_from_org(org_rates, reporting)
                )
            )
        except RevenueConnectorError as exc:
            offers.append(OrgRates(connection.name, connection.source_key, "", (), exc.user_message))
    return offers
