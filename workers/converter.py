"""Data converters for the two protection profiles, and the header policy.

- ``hardened`` (the only profile for real deployments): pydantic JSON -> :class:`~workers.codec.EnvelopeCodec`;
  failures through ``DefaultFailureConverterWithEncodedAttributes``, so a failure's message and stack trace travel
  as an encrypted payload (the history shows "Encoded failure"); headers go through the codec too.
- ``baseline``: the same pydantic JSON with no codec and plain failures. It exists only so the exposure audit can
  prove it is able to see plaintext; the worker refuses it unless it talks to a local dev server.

Header policy (explicit): ``HeaderCodecBehavior.CODEC`` in the hardened profile. This code puts nothing in
headers today, but interceptors (tracing, auth propagation) may; encrypting them means a future header cannot
leak. The worker, every client and the replayer must use the same setting, so take it from here.

What the codec cannot cover, by Temporal's design: workflow and activity ids, types, task queues, search
attributes and failure *types*. This code keeps PII out of all of them: workflow id = application id, no search
attributes, no memo, and failure types are rejection reason codes.
"""

from __future__ import annotations

from temporalio.common import HeaderCodecBehavior
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from contract.profile import Profile


def data_converter(profile: Profile = Profile.HARDENED, *, codec: PayloadCodec | None = None) -> DataConverter:
    """The converter for ``profile``. Hardened requires ``codec``; baseline refuses one (it would not be baseline)."""
    if profile is Profile.HARDENED:
        if codec is None:
            raise ValueError("the hardened profile needs a payload codec")
        return DataConverter(
            payload_converter_class=PydanticPayloadConverter,
            payload_codec=codec,
            failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
        )
    if codec is not None:
        raise ValueError("the baseline profile runs without a payload codec")
    return DataConverter(
        payload_converter_class=PydanticPayloadConverter, failure_converter_class=DefaultFailureConverter
    )


def header_codec_behavior(profile: Profile = Profile.HARDENED) -> HeaderCodecBehavior:
    return HeaderCodecBehavior.CODEC if profile is Profile.HARDENED else HeaderCodecBehavior.NO_CODEC
