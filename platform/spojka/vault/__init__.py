"""The vault: credentials sealed with AES-256-GCM under a key ring, and the keys' upkeep.

- :class:`KeyRing` seals and opens envelopes (``crypto``); :func:`load_key_ring` finds the ring in
  ``SPOJKA_MASTER_KEYS`` or the embedded key file (``keyfile``).
- :func:`verify_key_ring` runs at every process start and refuses a missing or wrong key.
- :class:`SecretStore` keeps an owner's (a connection's) secret fields per tenant (``service``).
- :func:`rotate` and :func:`retire` re-seal and retire keys across tenants (``rotation``); the
  ``keys`` click group (``spojka.vault.cli``) drives them.
"""

from spojka.vault.crypto import (
    EnvelopeError,
    EnvelopeRejectedError,
    KeyRing,
    KeyRingError,
    MalformedEnvelopeError,
    UnknownKeyError,
    VaultError,
    envelope_key_id,
    generate_key_entry,
    secret_aad,
)
from spojka.vault.keyfile import (
    add_key_to_file,
    key_file_path,
    load_key_ring,
    remove_key_from_file,
    uses_key_file,
)
from spojka.vault.rotation import (
    KeyInUseError,
    KeyUsage,
    ProgressCallback,
    RetireRefusedError,
    count_to_rotate,
    key_usage,
    retire,
    rotate,
)
from spojka.vault.service import SecretStore
from spojka.vault.verification import KeyRingMismatch, key_ring_problems, verify_key_ring

__all__ = (
    "EnvelopeError",
    "EnvelopeRejectedError",
    "KeyInUseError",
    "KeyRing",
    "KeyRingError",
    "KeyRingMismatch",
    "KeyUsage",
    "MalformedEnvelopeError",
    "ProgressCallback",
    "RetireRefusedError",
    "SecretStore",
    "UnknownKeyError",
    "VaultError",
    "add_key_to_file",
    "count_to_rotate",
    "envelope_key_id",
    "generate_key_entry",
    "key_file_path",
    "key_ring_problems",
    "key_usage",
    "load_key_ring",
    "remove_key_from_file",
    "retire",
    "rotate",
    "secret_aad",
    "uses_key_file",
    "verify_key_ring",
)
