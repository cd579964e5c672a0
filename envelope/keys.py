"""Key providers: where the payload codec gets its data keys and how it unwraps them again.

Envelope encryption: every data key is a fresh random AES-256 key, stored next to the ciphertext only in
wrapped (encrypted) form, under a *key-encryption key* named by ``key_id``. Two providers:

- :class:`KmsKeyProvider` - the key-encryption key is a KMS key (``GenerateDataKey`` / ``Decrypt`` through
  boto3). Key material never leaves KMS; the Temporal service never sees either key.
- :class:`LocalKeyProvider` - a keyring file of named AES-256 keys, for a laptop dev server and for the committed
  TEST-ONLY replay histories. Never use it against a shared Temporal service.

Rotation: encryption always uses the provider's *current* key; decryption uses the key id recorded in the
payload, so payloads written under any older key keep decrypting as long as that key is still available
(KMS: the old key is enabled and the worker may call ``kms:Decrypt`` on it; local: it is still in the keyring).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from contract.environment import PAYLOAD_ENCRYPTION_CONTEXT
from envelope.errors import KeyUnavailableError, UnknownKeyError, WrongKeyError

DATA_KEY_BYTES = 32  # AES-256
_NONCE_BYTES = 12
# Binds every KMS-wrapped data key to this use: a data key wrapped for anything else will not unwrap here, and the
# payload key's policy refuses any other context (contract.environment).
KMS_ENCRYPTION_CONTEXT = dict(PAYLOAD_ENCRYPTION_CONTEXT)
LOCAL_KEY_ID_PREFIX = "local:"
_LOCAL_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True, repr=False)
class DataKey:
    """A plaintext data key plus what the payload stores: the wrapping key's id and the wrapped key."""

    key_id: str
    wrapped: bytes
    plaintext: bytes

    def __repr__(self) -> str:  # never print key material
        return f"DataKey(key_id={self.key_id!r})"


class KeyProvider(Protocol):
    """What the codec needs from a key-management system. Both methods may block (network I/O)."""

    @property
    def current_key_id(self) -> str: ...

    def generate_data_key(self) -> DataKey:
        """A fresh data key wrapped under the current key-encryption key."""
        ...

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        """The plaintext data key; raises UnknownKeyError, WrongKeyError or KeyUnavailableError."""
        ...


class KmsKeyProvider:
    """KMS ``GenerateDataKey`` / ``Decrypt``. ``key_id`` may be a key ARN, key id, alias name or alias ARN;
    ``encryption_context`` names the use (default: the Temporal payload codec's).

    The payload records the key ARN KMS reports (an alias resolves to the key it points at), so re-pointing an
    alias at a new key (rotation to a new key) leaves old payloads decryptable with the old key.
    """

    def __init__(self, key_id: str, *, kms_client: Any,
                 encryption_context: dict[str, str] | None = None) -> None:
        self._key_id = key_id
        self._kms = kms_client
        self._context = dict(encryption_context if encryption_context is not None else KMS_ENCRYPTION_CONTEXT)

    @property
    def current_key_id(self) -> str:
        return self._key_id

    def generate_data_key(self) -> DataKey:
        try:
            response = self._kms.generate_data_key(
                KeyId=self._key_id, KeySpec="AES_256", EncryptionContext=self._context
            )
        except (ClientError, BotoCoreError) as error:
            raise _kms_error(error, self._key_id, "GenerateDataKey") from None
        return DataKey(key_id=response["KeyId"], wrapped=response["CiphertextBlob"], plaintext=response["Plaintext"])

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        try:
            # Naming the key makes KMS refuse a blob wrapped under any other key (no confused deputy).
            response = self._kms.decrypt(
                CiphertextBlob=wrapped, KeyId=key_id, EncryptionContext=self._context
            )
        except (ClientError, BotoCoreError) as error:
            raise _kms_error(error, key_id, "Decrypt") from None
        return bytes(response["Plaintext"])


def _kms_error(error: ClientError | BotoCoreError, key_id: str, operation: str) -> Exception:
    if isinstance(error, BotoCoreError):
        # KMS unreachable (connection refused or dropped, timeouts) after botocore's own retries: a named, retryable
        # key-management failure, so the workflow task fails with a type an operator can act on.
        return KeyUnavailableError(f"KMS {operation} with key {key_id!r} failed ({type(error).__name__}): "
                                   "KMS is unreachable")
    code = str(error.response.get("Error", {}).get("Code", "Unknown"))
    if code == "NotFoundException":
        return UnknownKeyError(f"KMS key {key_id!r} does not exist ({operation}: {code})")
    if code in {"IncorrectKeyException", "InvalidCiphertextException", "AccessDeniedException"}:
        return WrongKeyError(
            f"KMS refused to {operation} with key {key_id!r} ({code}): the data key was wrapped under another key, "
            "the wrapped key was altered, or this role may not use the key"
        )
    return KeyUnavailableError(f"KMS {operation} with key {key_id!r} failed ({code})")


class LocalKeyProvider:
    """A keyring of named AES-256 keys held in process. Data keys are wrapped with AES-GCM (AAD = key id)."""

    def __init__(self, keys: dict[str, bytes], *, current: str) -> None:
        for name, material in keys.items():
            if not _LOCAL_NAME.match(name):
                raise ValueError("local key names must match [A-Za-z0-9._-]{1,64}")
            if len(material) != DATA_KEY_BYTES:
                raise ValueError(f"local key {name!r} must be {DATA_KEY_BYTES} bytes")
        if current not in keys:
            raise ValueError(f"current local key {current!r} is not in the keyring")
        self._keys = {LOCAL_KEY_ID_PREFIX + name: AESGCM(material) for name, material in keys.items()}
        self._current = LOCAL_KEY_ID_PREFIX + current

    @property
    def current_key_id(self) -> str:
        return self._current

    def generate_data_key(self) -> DataKey:
        plaintext = secrets.token_bytes(DATA_KEY_BYTES)
        nonce = secrets.token_bytes(_NONCE_BYTES)
        wrapped = nonce + self._keys[self._current].encrypt(nonce, plaintext, self._current.encode())
        return DataKey(key_id=self._current, wrapped=wrapped, plaintext=plaintext)

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        key = self._keys.get(key_id)
        if key is None:
            raise UnknownKeyError(f"key {key_id!r} is not in the local keyring")
        try:
            return key.decrypt(wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], key_id.encode())
        except InvalidTag:
            raise WrongKeyError(
                f"the data key does not unwrap with local key {key_id!r}: wrong key material or altered wrapped key"
            ) from None

    @classmethod
    def from_file(cls, path: Path) -> LocalKeyProvider:
        """Load ``{"current": name, "keys": {name: base64 key}}`` (see :func:`write_keyring`)."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            keys = {name: base64.b64decode(value, validate=True) for name, value in document["keys"].items()}
            current = document["current"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            # The file holds key material: report the problem, never its content.
            raise ValueError(f"local keyring {path} is unreadable or malformed ({type(error).__name__})") from None
        return cls(keys, current=current)


def write_keyring(path: Path, *, current: str, keys: dict[str, bytes] | None = None) -> None:
    """Write a keyring file readable only by its owner; a new random key named ``current`` unless given."""
    material = keys if keys is not None else {current: secrets.token_bytes(DATA_KEY_BYTES)}
    LocalKeyProvider(material, current=current)  # validate before writing
    document = {"current": current, "keys": {name: base64.b64encode(key).decode() for name, key in material.items()}}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")


def rotate_keyring(path: Path, *, new_current: str) -> None:
    """Add a new random key and make it current; older keys stay, so older payloads still decrypt."""
    provider_keys = _read_keyring_material(path)
    if new_current in provider_keys:
        raise ValueError(f"local key {new_current!r} already exists")
    write_keyring(path, current=new_current, keys={**provider_keys, new_current: secrets.token_bytes(DATA_KEY_BYTES)})


def _read_keyring_material(path: Path) -> dict[str, bytes]:
    LocalKeyProvider.from_file(path)  # validates
    document = json.loads(path.read_text(encoding="utf-8"))
    return {name: base64.b64decode(value) for name, value in document["keys"].items()}


def main(argv: list[str] | None = None) -> int:
    """``python -m envelope.keys new|rotate KEYRING --name NAME``: manage a local development keyring."""
    parser = argparse.ArgumentParser(prog="python -m envelope.keys", description="local development keyring")
    parser.add_argument("action", choices=["new", "rotate"])
    parser.add_argument("keyring", type=Path)
    parser.add_argument("--name", required=True, help="name of the new current key, e.g. dev-1")
    args = parser.parse_args(argv)
    try:
        if args.action == "new":
            if args.keyring.exists():
                raise ValueError(f"{args.keyring} exists; use 'rotate' to add a key")
            write_keyring(args.keyring, current=args.name)
        else:
            rotate_keyring(args.keyring, new_current=args.name)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"{args.keyring}: current key {LOCAL_KEY_ID_PREFIX}{args.name} (set PAYLOAD_KEY_ID=local and "
          f"PAYLOAD_LOCAL_KEYRING_FILE={args.keyring})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
