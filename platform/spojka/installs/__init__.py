"""installs: e-shops that installed Spojka from their platform's add-on store.

The remote system calls ``/api/v1/installs/{connector}``; the connector completes the install (an
OAuth code exchange for Shoptet), and this package makes the merchant's tenant and connection, or
updates them when the same e-shop installs again.
"""

from spojka.installs.routes import ROUTES

__all__ = ("ROUTES",)
