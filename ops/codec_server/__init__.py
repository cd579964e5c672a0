"""Codec server for the Temporal Web UI and CLI, run by an operator: decrypts payloads for display.

    python -m ops.codec_server [--port 8081] [--ui-origin http://localhost:8233]           # loopback mode
    python -m ops.codec_server --mode jwt --tls-cert ... --tls-key ... --jwt-issuer ... \\
        --jwks-url ... --jwt-audience ... --namespace ...                                 # jwt mode

Keys come from the same variables as the worker (``PAYLOAD_KEY_ID``; the operator's AWS credentials need
``kms:Decrypt``). The two modes (:mod:`ops.codec_server.config`): ``loopback`` is plain HTTP on 127.0.0.1 for the
local dev UI on a single-user machine (optional static token for the CLI); ``jwt`` is HTTPS and verifies the access
token the Temporal Web UI passes (:mod:`ops.codec_server.tokens`). The HTTP side, its limits and what it logs:
:mod:`ops.codec_server.server`.
"""

from ops.codec_server.config import (
    DEFAULT_PORT,
    DEFAULT_UI_ORIGIN,
    ENV_TOKEN,
    LOOPBACK,
    CodecServerConfig,
    ConfigError,
    JwtSettings,
    Limits,
    Mode,
)
from ops.codec_server.server import ALLOWED_HEADERS, CodecServer, StartError

__all__ = ["ALLOWED_HEADERS", "DEFAULT_PORT", "DEFAULT_UI_ORIGIN", "ENV_TOKEN", "LOOPBACK", "CodecServer",
           "CodecServerConfig", "ConfigError", "JwtSettings", "Limits", "Mode", "StartError"]
