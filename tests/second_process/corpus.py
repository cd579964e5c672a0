"""The library-card corpus: one case per outcome, each with its expected facts and its (synthetic) personal data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from comparison.audit.pii import PiiValue
from comparison.models import Case, Corpus, FactRole, Facts, FactSpec

FACTS = (
    FactSpec(name="status", role=FactRole.OUTCOME, label="status"),
    FactSpec(name="reason", role=FactRole.OUTCOME, label="reason"),
    FactSpec(name="card_issued", role=FactRole.EFFECT, label="card"),
    FactSpec(name="review_requested", role=FactRole.EFFECT, label="review"),
)


@dataclass(frozen=True)
class LibraryCase:
    name: str
    name_of_reader: str
    email: str
    district: str
    decision: str | None  # the librarian's answer when reviewed (None: nobody answers, the review times out)
    expected: Facts

    def submission(self, request_id: str) -> dict[str, Any]:
        return {"request_id": request_id, "name": self.name_of_reader, "email": self.email, "district": self.district}

    def pii(self) -> list[PiiValue]:
        return [PiiValue(label=f"{self.name}.name", value=SecretStr(self.name_of_reader)),
                PiiValue(label=f"{self.name}.email", value=SecretStr(self.email))]


def _expected(status: str, reason: str | None, *, card: bool, review: bool) -> Facts:
    return {"status": status, "reason": reason, "card_issued": card, "review_requested": review}


CASES = (
    LibraryCase(name="issued", name_of_reader="Oluwaseun Marchetti-Lind", email="seun.marchetti@example.org",
                district="north", decision=None, expected=_expected("ISSUED", None, card=True, review=False)),
    LibraryCase(name="out_of_district", name_of_reader="Grzegorz Abernathy", email="g.abernathy@example.org",
                district="west", decision=None, expected=_expected("REFUSED", "OUT_OF_DISTRICT", card=False,
                                                                   review=False)),
    LibraryCase(name="invalid_request", name_of_reader="Ingeborg Castellanos", email="not-an-email-address",
                district="north", decision=None, expected=_expected("REFUSED", "INVALID_REQUEST", card=False,
                                                                    review=False)),
    LibraryCase(name="reviewed_and_issued", name_of_reader="Thandiwe Okonkwo-Berg", email="thandiwe.ob@example.org",
                district="east", decision="APPROVE", expected=_expected("ISSUED", None, card=True, review=True)),
    LibraryCase(name="reviewed_and_declined", name_of_reader="Leopoldine Vasquez", email="leo.vasquez@example.org",
                district="east", decision="DECLINE", expected=_expected("REFUSED", "REVIEW_DECLINED", card=False,
                                                                        review=True)),
    LibraryCase(name="review_timed_out", name_of_reader="Bartholomew Nakagawa", email="bart.naka@example.org",
                district="east", decision=None, expected=_expected("REFUSED", "REVIEW_TIMEOUT", card=False,
                                                                   review=True)),
)
CORPUS = Corpus(facts=FACTS, cases=tuple(Case(name=case.name, description=case.name.replace("_", " "),
                                              expected=case.expected) for case in CASES))


def new_request_id() -> str:
    return "req_" + uuid.uuid4().hex
