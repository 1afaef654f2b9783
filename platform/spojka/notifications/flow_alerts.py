"""E-mail a tenant's owners when a flow keeps failing, once, and again when it recovers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from spojka.accounts.models import Membership, User
from spojka.db import Database
from spojka.links.models import Link
from spojka.notifications.mailer import Mailer
from spojka.runs.models import FlowHealth, Run
from spojka.settings import Settings


@dataclass(frozen=True, slots=True)
class Alert:
    kind: str  # "failing" or "recovered"
    recipients: list[str]
    link_name: str
    error: str | None


async def note_outcome(
    db: Database,
    settings: Settings,
    tenant_id: uuid.UUID,
    link_id: uuid.UUID,
    flow: str,
    run_id: uuid.UUID,
) -> Alert | None:
    """Record a finished run; return the alert to send, if this outcome crosses a threshold."""
    async with db.session(tenant_id=tenant_id) as session:
        run = (
            await session.execute(
                select(Run.status, Run.error).where(Run.tenant_id == tenant_id, Run.id == run_id)
            )
        ).one()
        status, error = run.status, run.error
        health = await session.scalar(
            select(FlowHealth).where(
                FlowHealth.tenant_id == tenant_id, FlowHealth.link_id == link_id, FlowHealth.flow == flow
            )
        )
        if health is None:
            health = FlowHealth(
                tenant_id=tenant_id, link_id=link_id, flow=flow, failures_in_row=0, alerted=False
            )
            session.add(health)
        kind: str | None = None
        if status == "failed":
            health.failures_in_row += 1
            health.last_error = error
            if health.failures_in_row >= settings.alert_after_failures and not health.alerted:
                health.alerted = True
                kind = "failing"
        elif status in ("succeeded", "partial"):
            if health.alerted:
                kind = "recovered"
            health.failures_in_row = 0
            health.alerted = False
        if kind is None:
            return None
        link_name = await session.scalar(
            select(Link.name).where(Link.tenant_id == tenant_id, Link.id == link_id)
        )
        owners = await session.scalars(
            select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.tenant_id == tenant_id, Membership.role == "owner")
        )
        return Alert(kind=kind, recipients=sorted(owners), link_name=link_name or "", error=health.last_error)


def render(alert: Alert, flow: str, dashboard_url: str) -> tuple[str, str]:
    """(subject, body) of the e-mail."""
    if alert.kind == "failing":
        subject = f"Spojka: {flow} on “{alert.link_name}” keeps failing"
        body = (
            f"The {flow} flow on the link “{alert.link_name}” has failed several times in a row.\n\n"
            f"The last error: {alert.error or 'unknown'}\n\n"
            f"Open the dashboard to see the failed runs and what to fix: {dashboard_url}\n\n"
            "We will write again when it works again; until then you get no more e-mails about it."
        )
    else:
        subject = f"Spojka: {flow} on “{alert.link_name}” works again"
        body = (
            f"The {flow} flow on the link “{alert.link_name}” runs successfully again.\n\n{dashboard_url}\n"
        )
    return subject, body


async def notify(
    db: Database,
    mailer: Mailer,
    settings: Settings,
    tenant_id: uuid.UUID,
    link_id: uuid.UUID,
    flow: str,
    run_id: uuid.UUID,
) -> Alert | None:
    """Note how the run ended and send the e-mail it calls for, if any."""
    alert = await note_outcome(db, settings, tenant_id, link_id, flow, run_id)
    if alert is not None:
        subject, body = render(alert, flow, settings.effective_public_url)
        await mailer.send(alert.recipients, subject, body)
    return alert
