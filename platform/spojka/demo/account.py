"""The demo company and its owner's login, made once and kept across restarts."""

from __future__ import annotations

from spojka.accounts import services
from spojka.db import Database

DEMO_EMAIL = "demo@spojka.cz"
#: Published in the README: anyone running the demo signs in with it. It names the e-mail, which
#: the signup rules refuse, so the account is made here rather than through the API.
DEMO_PASSWORD = "spojka-demo-2026"  # noqa: S105
DEMO_COMPANY = "Demo obchod s.r.o."


async def ensure_demo_account(db: Database) -> bool:
    """Create the demo tenant and owner unless they exist; whether they were created."""
    async with db.session() as session:
        if await services.find_user(session, DEMO_EMAIL) is not None:
            return False
        await services.signup(session, DEMO_EMAIL, DEMO_PASSWORD, DEMO_COMPANY, check_rules=False)
    return True
