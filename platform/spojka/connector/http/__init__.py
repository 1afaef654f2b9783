"""The shared HTTP client of the connector SDK: a good citizen of every remote API.

::

    async with ConnectorHttpClient(
        base_url=api_url,
        name="Shoptet",
        limits=SPEC.rate_limits,
        limit_key=connection_id,
        headers={"Shoptet-Private-API-Token": token},
        bucket_header="X-RateLimit-Bucket-Filling",
    ) as http:
        response = await http.get("/api/orders", params={"page": 1})

See :class:`ConnectorHttpClient` for what it does about limits, retries, 401 and logging.
"""

from spojka.connector.http.client import (
    DEFAULT_TIMEOUT,
    ConnectorHttpClient,
    OnResponse,
    OnUnauthorized,
    Params,
    RequestOptions,
)
from spojka.connector.http.limits import (
    Clock,
    ConnectionLimiter,
    LeakyBucket,
    SharedLimits,
    Sleep,
    limiter_for,
    parse_bucket_filling,
    use_shared_limits,
)
from spojka.connector.http.redaction import (
    DEFAULT_SECRET_NAMES,
    REDACTED,
    is_secret_name,
    redact_headers,
    redact_url,
)
from spojka.connector.http.retry import (
    IDEMPOTENT_METHODS,
    RetryPolicy,
    parse_http_date,
    parse_retry_after,
)

__all__ = (
    "DEFAULT_SECRET_NAMES",
    "DEFAULT_TIMEOUT",
    "IDEMPOTENT_METHODS",
    "REDACTED",
    "Clock",
    "ConnectionLimiter",
    "ConnectorHttpClient",
    "LeakyBucket",
    "OnResponse",
    "OnUnauthorized",
    "Params",
    "RequestOptions",
    "RetryPolicy",
    "SharedLimits",
    "Sleep",
    "is_secret_name",
    "limiter_for",
    "parse_bucket_filling",
    "parse_http_date",
    "parse_retry_after",
    "redact_headers",
    "redact_url",
    "use_shared_limits",
)
