"""The official POHODA XSDs, found at run time: the simulator validates against them, never ships them.

Stormware's schema set is not part of Spojka's source (it is a reference kept next to the
repository, in ``shared/reference/accounting/pohoda/xsd``). The simulator looks for it in the
folder named by ``SPOJKA_POHODA_XSD`` or in a ``shared/reference/...`` folder next to one of the
ancestors of this package or of the working directory. Without it the simulator still answers, but
validates nothing, and says so in :attr:`Schemas.note` (shown by ``spojka simulate pohoda`` and
``GET /_simulator/state``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from lxml import etree

ENV_VAR: Final = "SPOJKA_POHODA_XSD"
_RELATIVE: Final = Path("shared/reference/accounting/pohoda/xsd")


class SchemaError(ValueError):
    """A document does not validate; the message is lxml's first error, with its line."""


def find_xsd_folder() -> Path | None:
    """Where the official XSD set is on this machine, if anywhere."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        path = Path(configured)
        return path if (path / "data.xsd").is_file() else None
    for start in (Path(__file__).resolve(), Path.cwd().resolve()):
        for ancestor in start.parents:
            candidate = ancestor / _RELATIVE
            if (candidate / "data.xsd").is_file():
                return candidate
    return None


@dataclass(frozen=True, slots=True)
class Schemas:
    """The compiled request (``data.xsd``) and reply (``response.xsd``) schemas, or none."""

    folder: Path | None
    request: etree.XMLSchema | None
    response: etree.XMLSchema | None

    @property
    def available(self) -> bool:
        return self.request is not None and self.response is not None

    @property
    def note(self) -> str:
        if self.available:
            return f"Requests and replies are validated against the official POHODA XSDs in {self.folder}."
        return (
            "The official POHODA XSDs were not found (set SPOJKA_POHODA_XSD to their folder): "
            "requests and replies are NOT validated."
        )

    def check_request(self, document: etree._ElementTree) -> None:
        """Raise :class:`SchemaError` when ``document`` is not a valid ``dat:dataPack``."""
        _check(self.request, document)

    def check_response(self, document: etree._ElementTree) -> None:
        """Raise :class:`SchemaError` when ``document`` is not a valid ``rsp:responsePack``."""
        _check(self.response, document)


def _check(schema: etree.XMLSchema | None, document: etree._ElementTree) -> None:
    if schema is None or schema.validate(document):
        return
    error = schema.error_log.last_error
    raise SchemaError(f"line {error.line}: {error.message}" if error else "the document is not valid")


@cache
def load_schemas(folder: Path | None = None) -> Schemas:
    """Compile the schemas once per process (about 0.2 s); ``folder`` defaults to :func:`find_xsd_folder`."""
    where = folder if folder is not None else find_xsd_folder()
    if where is None:
        return Schemas(folder=None, request=None, response=None)
    request = etree.XMLSchema(etree.parse(str(where / "data.xsd")))
    response = etree.XMLSchema(etree.parse(str(where / "response.xsd")))
    return Schemas(folder=where, request=request, response=response)
