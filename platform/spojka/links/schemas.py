"""Shapes of links over the API."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from spojka.http.schemas import Input, Name, Output
from spojka.links.flows import Flows


class LinkIn(Input):
    name: Name
    eshop_connection_id: uuid.UUID
    accounting_connection_id: uuid.UUID
    flows: Flows = msgspec.field(default_factory=Flows)
    paused: bool = False


class LinkPatch(Input):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    flows: Flows | msgspec.UnsetType = msgspec.UNSET
    paused: bool | msgspec.UnsetType = msgspec.UNSET


class LinkOut(Output):
    id: uuid.UUID
    name: str
    eshop_connection_id: uuid.UUID
    accounting_connection_id: uuid.UUID
    flows: Flows
    paused: bool
    created_at: datetime
    updated_at: datetime
