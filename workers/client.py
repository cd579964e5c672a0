"""Connecting to Temporal: credentials from Secrets Manager, TLS, and the profile's data converter.

Used by the worker, the starter, the codec server and the comparison runner, so every process that touches
payloads builds its codec the same way. The secret (``TEMPORAL_SECRET_ARN``) is a JSON object:

- ``TEMPORAL_AUTH_MODE=api_key``: ``{"api_key": "..."}``
- ``TEMPORAL_AUTH_MODE=mtls``: ``{"client_cert": "-----BEGIN CERTIFICATE-----...", "client_key": "-----BEGIN ...",
  "server_root_ca_cert": optional PEM}``
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError
from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.service import ServiceClient, TLSConfig

from contract.profile import Profile
from envelope.key_cache import DataKeyCache
from envelope.keys import KeyProvider, KmsKeyProvider, LocalKeyProvider
from workers.codec import EnvelopeCodec
from workers.converter import data_converter, header_codec_behavior
from workers.settings import LOCAL_KEY_ID, AuthMode, ClientSettings, SettingsError


@dataclass(frozen=True, repr=False)
class Credentials:
    api_key: str | None = None
    tls: TLSConfig | bool = False

    def __repr__(self) -> str:  # never print secrets
        return "Credentials(...)"


def key_provider(settings: ClientSettings, *, kms_client: Any | None = None) -> KeyProvider:
    if settings.payload_key_id is None:
        raise SettingsError("PAYLOAD_KEY_ID is required for the hardened profile")
    if settings.payload_key_id == LOCAL_KEY_ID:
        assert settings.local_keyring_file is not None  # enforced by ClientSettings.check
        try:
            return LocalKeyProvider.from_file(settings.local_keyring_file)
        except ValueError as error:
            raise SettingsError(f"PAYLOAD_LOCAL_KEYRING_FILE: {error}") from None
    return KmsKeyProvider(settings.payload_key_id, kms_client=kms_client or boto3.client("kms"))


def build_codec(settings: ClientSettings, *, kms_client: Any | None = None) -> EnvelopeCodec | None:
    """The payload codec for the configured profile (None for baseline)."""
    if settings.profile is Profile.BASELINE:
        return None
    return EnvelopeCodec(DataKeyCache(key_provider(settings, kms_client=kms_client), settings.cache_policy))


def read_credentials(settings: ClientSettings, *, secrets_client: Any | None = None) -> Credentials:
    if settings.auth_mode is AuthMode.NONE:
        return Credentials(tls=settings.tls)
    secret = _read_secret(settings.secret_arn or "", secrets_client or boto3.client("secretsmanager"))
    if settings.auth_mode is AuthMode.API_KEY:
        return Credentials(api_key=_field(secret, "api_key"), tls=True)
    ca = secret.get("server_root_ca_cert")
    return Credentials(
        tls=TLSConfig(
            client_cert=_field(secret, "client_cert").encode(),
            client_private_key=_field(secret, "client_key").encode(),
            server_root_ca_cert=ca.encode() if isinstance(ca, str) and ca else None,
        )
    )


async def connect(
    settings: ClientSettings,
    *,
    codec: EnvelopeCodec | None = None,
    credentials: Credentials | None = None,
    runtime: Runtime | None = None,
) -> Client:
    """A client whose converter and header policy match ``settings.profile`` (hardened: ``codec`` required)."""
    creds = credentials if credentials is not None else read_credentials(settings)
    return await Client.connect(
        settings.address,
        namespace=settings.namespace,
        api_key=creds.api_key,
        tls=creds.tls,
        data_converter=data_converter(settings.profile, codec=codec),
        header_codec_behavior=header_codec_behavior(settings.profile),
        runtime=runtime,
    )


def profile_client(
    service_client: ServiceClient, *, profile: Profile, codec: EnvelopeCodec | None = None, namespace: str = "default"
) -> Client:
    """A client over an existing connection (e.g. a test or demo server) with the profile's converter and header
    policy: how the comparison builds its hardened and baseline clients side by side."""
    return Client(service_client, namespace=namespace, data_converter=data_converter(profile, codec=codec),
                  header_codec_behavior=header_codec_behavior(profile))


def _read_secret(arn: str, client: Any) -> dict[str, Any]:
    try:
        value = client.get_secret_value(SecretId=arn)["SecretString"]
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        raise SettingsError(f"TEMPORAL_SECRET_ARN: the secret could not be read ({code})") from None
    except KeyError:
        raise SettingsError("TEMPORAL_SECRET_ARN: the secret has no string value") from None
    try:
        document = json.loads(value)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise SettingsError("TEMPORAL_SECRET_ARN: the secret must be a JSON object")
    return document


def _field(secret: dict[str, Any], name: str) -> str:
    value = secret.get(name)
    if not isinstance(value, str) or not value:
        raise SettingsError(f"TEMPORAL_SECRET_ARN: the secret has no non-empty string field {name!r}")
    return value
