"""Process supervision for ``spojka run`` and ``spojka demo``."""

from spojka.runtime.supervisor import (
    Child,
    ChildSpec,
    Supervisor,
    Target,
    api_health_url,
    cli_command,
    run_all,
)

__all__ = ("Child", "ChildSpec", "Supervisor", "Target", "api_health_url", "cli_command", "run_all")
