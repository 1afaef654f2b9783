"""The application factory: assembles what the packages export; owns no logic of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from litestar import Litestar
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from spojka import __version__
from spojka.accounts import ROUTES as ACCOUNT_ROUTES
from spojka.audit import ROUTES as AUDIT_ROUTES
from spojka.auth.csrf import BearerAwareCSRFMiddleware, csrf_config
from spojka.auth.deps import DEPENDENCIES
from spojka.auth.guards import role_guard
from spojka.auth.middleware import SessionAuthMiddleware
from spojka.auth.ratelimit import RateLimiter
from spojka.auth.scopes import scope_guard
from spojka.auth.sessions import SessionStore
from spojka.connections.routes import ROUTES as CONNECTION_ROUTES
from spojka.connector.registry import Registry
from spojka.db import Database
from spojka.db.roles import warn_or_refuse_rls_bypass
from spojka.embedded_redis import connect, redis_url_for
from spojka.http.home import ROUTES as HOME_ROUTES
from spojka.http.openapi import SESSION_SECURITY, document_operations, refine_schema
from spojka.http.options import options_handlers
from spojka.http.problems import EXCEPTION_HANDLERS, problem_details_plugin
from spojka.http.security_headers import SecurityHeadersMiddleware
from spojka.http.static import frontend_routes
from spojka.installs import ROUTES as INSTALL_ROUTES
from spojka.links.routes import ROUTES as LINK_ROUTES
from spojka.partners import ROUTES as PARTNER_ROUTES
from spojka.partners.openapi import SECURITY_SCHEMES, document_security
from spojka.partners.tokens import TokenKeys
from spojka.queue import create_queue_pool
from spojka.runs.routes import ROUTES as RUN_ROUTES
from spojka.settings import Settings, get_settings
from spojka.sync.routes import ROUTES as HOOK_ROUTES
from spojka.sync.runner import Engine
from spojka.system import ROUTES as SYSTEM_ROUTES
from spojka.system import LitestarLoggingConfig, configure_logging, instrument_app
from spojka.tenants.routes import ROUTES as TENANT_ROUTES
from spojka.vault import SecretStore, load_key_ring, verify_key_ring

ROUTES = [
    *frontend_routes(HOME_ROUTES),
    *SYSTEM_ROUTES,
    *ACCOUNT_ROUTES,
    *TENANT_ROUTES,
    *CONNECTION_ROUTES,
    *LINK_ROUTES,
    *RUN_ROUTES,
    *AUDIT_ROUTES,
    *HOOK_ROUTES,
    *INSTALL_ROUTES,
    *PARTNER_ROUTES,
]
AUTH_EXCLUDE = ["^/schema", "^/health$", "^/ready$", "^/metrics$"]


@dataclass(frozen=True, slots=True)
class AppOptions:
    """What tests and the demo may swap: the connector registry and the Redis URL."""

    registry: Registry | None = None
    redis_url: str | None = None


def _lifespan(settings: Settings, options: AppOptions):  # type: ignore[no-untyped-def]
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        db = Database(settings.effective_database_url)
        await warn_or_refuse_rls_bypass(db, settings)
        ring = load_key_ring(settings, create=not settings.is_production)
        await verify_key_ring(db, ring)
        if options.redis_url:
            url, embedded = options.redis_url, None
        else:
            url, embedded = redis_url_for(settings)
        redis = connect(url)
        queue = await create_queue_pool(url)
        secret_store = SecretStore(ring)
        registry = options.registry or Registry.from_entry_points(extra=settings.connector_modules)
        app.state.update(
            settings=settings,
            db=db,
            redis=redis,
            secret_store=secret_store,
            sessions=SessionStore(
                redis,
                idle_seconds=settings.session_idle_minutes * 60,
                max_seconds=settings.session_max_hours * 3600,
            ),
            rate_limiter=RateLimiter(redis),
            token_keys=TokenKeys(db, ring),
            queue=queue,
            registry=registry,
            engine=Engine(
                db=db,
                registry=registry,
                secrets=secret_store,
                redis=redis,
                public_url=settings.effective_public_url,
            ),
        )
        try:
            yield
        finally:
            await queue.aclose()
            await redis.aclose()
            await db.dispose()
            if embedded is not None:
                embedded.stop()

    return lifespan


def create_app(settings: Settings | None = None, options: AppOptions | None = None) -> Litestar:
    """Build the Litestar app: dashboard API, webhook intake, system routes, OpenAPI at /schema."""
    settings = settings or get_settings()
    options = options or AppOptions()
    configure_logging(settings)
    document_operations(ROUTES)
    app = Litestar(
        route_handlers=[*options_handlers(ROUTES), *ROUTES],
        logging_config=LitestarLoggingConfig(),
        dependencies=DEPENDENCIES,
        guards=[role_guard, scope_guard],
        middleware=[
            DefineMiddleware(SecurityHeadersMiddleware, hsts=settings.secure_cookies),
            DefineMiddleware(SessionAuthMiddleware, exclude=AUTH_EXCLUDE),
            # CSRF for cookie sessions only: a bearer token is not sent by a browser on its own.
            DefineMiddleware(BearerAwareCSRFMiddleware, config=csrf_config(settings)),
        ],
        plugins=[problem_details_plugin()],
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=settings.max_body_bytes,
        lifespan=[_lifespan(settings, options)],
        openapi_config=OpenAPIConfig(
            title="Spojka API",
            version=__version__,
            description="E-shop and accounting integration: connections, links, runs.",
            path="/schema",
            components=Components(
                security_schemes={
                    "session": SecurityScheme(
                        type="apiKey", name="spojka_session", security_scheme_in="cookie"
                    ),
                    **SECURITY_SCHEMES,
                }
            ),
            security=SESSION_SECURITY,
            use_handler_docstrings=True,
        ),
        debug=False,
    )
    refine_schema(app, ROUTES)
    document_security(app, ROUTES)
    return instrument_app(app, trusted_proxies=settings.trusted_proxy_set)
