"""``GET /api/v1/installs/{connector}``: the remote system's call when a merchant installs the add-on."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final, Literal

from litestar import Request, Response, get
from litestar.background_tasks import BackgroundTask, BackgroundTasks
from litestar.params import FromPath

from spojka.accounts.services import INVITATION_DAYS, invitation_url
from spojka.connector import ConfigError, ConnectorError, RetriableError
from spojka.connector.install import AddonApp, Installable, InstallRequest
from spojka.connector.registry import Registry
from spojka.db import Database
from spojka.http.problems import NotFound, Problem, Unavailable
from spojka.http.schemas import Output
from spojka.installs.services import Installed, check_installed, record_install
from spojka.notifications.mailer import Mailer
from spojka.settings import Settings

log = logging.getLogger(__name__)

INSTALL_PATH: Final = "/api/v1/installs"
#: Shoptet fails an install it has no 200 for within 5 seconds: better a clear 503 a little before.
INSTALL_SECONDS: Final = 4.5


class InstallDone(Output):
    status: Literal["installed", "reinstalled"]


def install_url(settings: Settings, connector: str) -> str:
    """The address to register as the add-on's install URL at the remote system."""
    return f"{settings.effective_public_url}{INSTALL_PATH}/{connector}"


@get(
    f"{INSTALL_PATH}/{{connector:str}}",
    operation_id="completeAddonInstall",
    tags=["installs"],
    opt={"exclude_from_auth": True, "answers": (400, 503)},
    security=[],
)
async def complete_addon_install(
    request: Request[Any, Any, Any], connector: FromPath[str]
) -> Response[InstallDone]:
    """Called by the e-shop platform when a merchant installs Spojka from its add-on store (for
    Shoptet with ``?code=``). The first install of an e-shop makes its company and connection in
    Spojka and e-mails the shop's contact an invitation; a later one renews the connection's
    credentials. Answered within 5 seconds, or not at all."""
    settings: Settings = request.app.state.settings
    registry: Registry = request.app.state.registry
    entry = registry.get(connector)
    installable: object = entry.connector if entry is not None else None
    app_values = settings.addon_apps.get(connector)
    if not isinstance(installable, Installable) or entry is None or entry.spec is None or app_values is None:
        raise NotFound(f"Spojka is not set up as an add-on of {connector!r} here.")
    db: Database = request.app.state.db
    remote = InstallRequest(
        query=dict(request.query_params.items()), install_url=install_url(settings, connector)
    )
    try:
        async with asyncio.timeout(INSTALL_SECONDS):
            installation = await installable.install(remote, AddonApp(app_values))
            async with db.session() as session:
                installed = await record_install(
                    session, registry, request.app.state.secret_store, entry.spec, installation
                )
    except TimeoutError:
        raise Unavailable(
            "The installation took too long and was not completed: install the add-on again."
        ) from None
    except ConfigError as exc:
        log.error("the %s add-on is not set up correctly: %s", connector, exc.message)
        raise Unavailable("Spojka's add-on is not set up correctly on this server.") from None
    except RetriableError as exc:
        raise Unavailable(f"{exc.message} Install the add-on again in a moment.") from None
    except ConnectorError as exc:
        raise Problem(exc.message) from None
    status: Literal["installed", "reinstalled"] = "reinstalled" if installed.reinstalled else "installed"
    log.info("%s add-on %s: tenant %s", connector, status, installed.tenant_id)
    return Response(
        InstallDone(status=status),
        # After the answer: Shoptet's 5 seconds are for the install alone.
        background=BackgroundTasks(
            [
                BackgroundTask(_invite, settings, entry.spec.title, installed),
                BackgroundTask(
                    check_installed, db, registry, request.app.state.secret_store, entry.spec, installed
                ),
            ]
        ),
    )


async def _invite(settings: Settings, title: str, installed: Installed) -> None:
    """E-mail the shop's contact the owner invitation, after the remote has its answer."""
    if installed.invitation is None:
        return
    invitation, token = installed.invitation
    accept_url = invitation_url(settings.effective_public_url, token)
    await Mailer(settings).send(
        [invitation.email],
        f"Spojka: your {title} e-shop {installed.tenant_name} is connected",
        f"You have installed Spojka in {title} for {installed.tenant_name}. Spojka has made a company "
        f"for it with the e-shop already connected.\n\nSet your password and sign in (the link is "
        f"valid for {INVITATION_DAYS} days): {accept_url}\n\nThen connect your accounting system "
        f"and choose what flows where.\n",
    )


ROUTES = [complete_addon_install]
