"""Accounts: users, memberships with roles, invitations, sign-up and sign-in."""

from spojka.accounts.member_routes import ROUTES as MEMBER_ROUTES
from spojka.accounts.routes import ROUTES as AUTH_ROUTES

ROUTES = [*AUTH_ROUTES, *MEMBER_ROUTES]

__all__ = ("ROUTES",)
