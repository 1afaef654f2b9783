"""One simulated mServer for the POHODA tests; every data pack it receives is checked against the XSDs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lxml import etree

from spojka.connector.simulation import serving
from spojka_connectors.pohoda.simulator import State, build_app
from tests.connectors.pohoda.support import XSD_FOLDER, compile_schema, reset

#: Every request body the simulator received during the session (the done-when check reads it).
COLLECTED: list[bytes] = []


@pytest.fixture(scope="session")
def pohoda_state() -> State:
    return State()


@pytest.fixture(scope="session")
def base_url(pohoda_state: State) -> Iterator[str]:
    with serving(build_app(pohoda_state)) as url:
        yield url


@pytest.fixture
def pohoda(pohoda_state: State, base_url: str) -> State:
    """The simulated POHODA, back to its defaults for each test."""
    reset(pohoda_state)
    return pohoda_state


@pytest.fixture(scope="session")
def data_schema() -> etree.XMLSchema | None:
    return compile_schema() if XSD_FOLDER is not None else None


@pytest.fixture(autouse=True)
def packs_validate(pohoda_state: State, data_schema: etree.XMLSchema | None) -> Iterator[None]:
    """After each test: every pack the connector sent in it validates against ``data.xsd``.

    A test that sends a malformed pack on purpose removes it from ``received`` itself.
    """
    start = len(pohoda_state.received)
    yield
    sent = pohoda_state.received[start:]
    del pohoda_state.received[:start]  # keep the list short; COLLECTED holds the history
    COLLECTED.extend(p.body for p in sent)
    if data_schema is None:
        return
    for pack in sent:
        document = etree.ElementTree(etree.fromstring(pack.body))
        if not data_schema.validate(document):
            pytest.fail(f"a data pack does not validate: {data_schema.error_log.last_error}")
