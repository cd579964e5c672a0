"""The library-card domain: its submission, its rules and its two tables. No engine, no platform import."""

from __future__ import annotations

import hashlib
from typing import Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

REQUEST_ID_PATTERN = r"^req_[0-9a-f]{8,32}$"
DISTRICTS = frozenset({"north", "south", "east"})
REVIEWED_DISTRICTS = frozenset({"east"})  # a librarian looks at these requests first


class Refusal(Exception):
    """A terminal decision; ``reason`` is the code both engines end with."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field_errors: tuple[Any, ...] = ()


class CardRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: str = Field(pattern=REQUEST_ID_PATTERN)
    name: str = Field(min_length=1, max_length=100)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    district: str


def check_details(raw: object) -> CardRequest:
    try:
        return CardRequest.model_validate(raw)
    except ValidationError:
        raise Refusal("INVALID_REQUEST") from None


def check_district(request: CardRequest) -> bool:
    """True when the request needs a review; refuses a district the library does not serve."""
    if request.district not in DISTRICTS:
        raise Refusal("OUT_OF_DISTRICT")
    return request.district in REVIEWED_DISTRICTS


def card_id_for(request_id: str) -> str:
    return "card_" + hashlib.sha256(request_id.encode()).hexdigest()[:16]


class Stores:
    """The two tables over DynamoDB (``pk`` = request id); writes are conditional, so a retry writes nothing twice."""

    def __init__(self, tables: dict[str, str], dynamodb: Any) -> None:
        self.cards = dynamodb.Table(tables["cards"])
        self.reviews = dynamodb.Table(tables["reviews"])

    def issue_card(self, request_id: str) -> str:
        card_id = card_id_for(request_id)
        try:
            self.cards.put_item(Item={"pk": request_id, "card_id": card_id},
                                ConditionExpression=Attr("pk").not_exists())
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        return card_id

    def request_review(self, request_id: str, task_token: str | None = None) -> None:
        item: dict[str, str] = {"pk": request_id}
        if task_token is not None:
            item["task_token"] = task_token
        self.reviews.put_item(Item=item)

    def snapshot(self, request_id: str) -> dict[str, Any]:
        """The side effects of one request, as parity compares them."""
        card = self.cards.get_item(Key={"pk": request_id}, ConsistentRead=True).get("Item")
        review = self.reviews.get_item(Key={"pk": request_id}, ConsistentRead=True).get("Item")
        return {"card_issued": card is not None, "review_requested": review is not None}
