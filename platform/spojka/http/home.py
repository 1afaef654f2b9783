"""``GET /``: a plain landing page until the dashboard is built into static files."""

from __future__ import annotations

from litestar import MediaType, get

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Spojka</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Spojka is running</h1>
<p>The API is served under <code>/api/v1</code>. Start with
<code>POST /api/v1/auth/signup</code>; the README shows the first steps with curl.</p>
<ul>
<li><a href="/schema">API documentation</a> (<a href="/schema/openapi.json">OpenAPI document</a>)</li>
<li><a href="/api/v1/connectors">Installed connectors</a></li>
<li><a href="/health">Health</a> and <a href="/ready">readiness</a></li>
</ul>
</body></html>
"""


@get(
    "/",
    operation_id="home",
    include_in_schema=False,
    opt={"exclude_from_auth": True},
    media_type=MediaType.HTML,
)
async def home() -> str:
    """The landing page."""
    return _PAGE


ROUTES = [home]
