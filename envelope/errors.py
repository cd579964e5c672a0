"""Codec errors. Each names the problem (and, where useful, a key id, never key material or payload data).

A payload that cannot be decrypted must stop the workflow task loudly rather than hand garbage or plaintext on;
these errors propagate out of the codec, so the SDK fails the task and retries it until an operator fixes keys.
"""

from __future__ import annotations


class CodecError(Exception):
    """Base class: the payload codec refused a payload."""


class UnknownEncodingError(CodecError):
    """The payload is not an encrypted envelope this codec understands (plaintext, or another codec's)."""


class MalformedEnvelopeError(CodecError):
    """Envelope metadata is missing or invalid (version, key id, wrapped key, nonce)."""


class IntegrityError(CodecError):
    """AES-GCM authentication failed: ciphertext or metadata were altered, or the data key does not match."""


class KeyManagementError(CodecError):
    """Base class for key-management failures."""


class UnknownKeyError(KeyManagementError):
    """The payload names a key the provider does not know."""


class WrongKeyError(KeyManagementError):
    """The wrapped data key does not unwrap with the key the payload names."""


class KeyUnavailableError(KeyManagementError):
    """The key service failed for another reason (throttling, network, permissions)."""
