"""The partner API: partners and their OAuth2 clients, access tokens, managed tenants, tenant API
keys and outbound event notifications."""

from spojka.partners.api_keys import ROUTES as API_KEY_ROUTES
from spojka.partners.event_routes import ROUTES as EVENT_ROUTES
from spojka.partners.oauth import ROUTES as OAUTH_ROUTES
from spojka.partners.routes import ROUTES as PARTNER_ROUTES

ROUTES = [*OAUTH_ROUTES, *PARTNER_ROUTES, *API_KEY_ROUTES, *EVENT_ROUTES]

__all__ = ("ROUTES",)
