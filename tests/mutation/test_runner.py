"""The mutation runner's own parts: the constants' mutants, the score and the equivalents file's staleness check."""

from __future__ import annotations

import pytest

from tests.mutation.constants import constant_mutants
from tests.mutation.results import Equivalent, Mutant, StaleEquivalentError, load_equivalents, summary
from tests.mutation.targets import TARGETS

SOURCE = '''"""doc"""
LIMIT = 19
PATTERN = r"^\\\\d{13,19}$"


def f() -> int:
    return 7
'''


def test_constants_get_both_neighbours_and_regex_repetitions_one_up_and_one_down() -> None:
    made = constant_mutants("m", SOURCE)
    assert [(m.name, m.line, m.after) for m in made] == [
        ("m.LIMIT__const_1", 2, "LIMIT = 20"),
        ("m.LIMIT__const_2", 2, "LIMIT = 18"),
        ("m.PATTERN__const_1", 3, "PATTERN = '^\\\\\\\\d{12,19}$'"),
        ("m.PATTERN__const_2", 3, "PATTERN = '^\\\\\\\\d{14,19}$'"),
        ("m.PATTERN__const_3", 3, "PATTERN = '^\\\\\\\\d{13,18}$'"),
        ("m.PATTERN__const_4", 3, "PATTERN = '^\\\\\\\\d{13,20}$'"),
        ("m.PATTERN__const_5", 3, "PATTERN = 'XX^\\\\\\\\d{13,19}$XX'"),
    ]
    namespace: dict[str, object] = {}
    exec(compile(made[2].source, "m", "exec"), namespace)  # each mutant is a whole, valid module
    assert namespace["PATTERN"] == r"^\\d{12,19}$" and namespace["LIMIT"] == 19


def _mutants() -> list[Mutant]:
    return [Mutant("m.x_f__mutmut_1", "killed", 7, "return 7", "return 8"),
            Mutant("m.x_f__mutmut_2", "survived", 7, "return 7", "return None"),
            Mutant("m.LIMIT__const_1", "survived", 2, "LIMIT = 19", "LIMIT = 20")]


def test_the_score_sets_equivalent_mutants_aside() -> None:
    equivalent = {"m.LIMIT__const_1": Equivalent("m.LIMIT__const_1", "LIMIT = 19 -> LIMIT = 20", "reason")}
    entry = summary("m.py", _mutants(), equivalent)
    assert (entry["mutants"], entry["killed"], entry["survived"], entry["equivalent"], entry["score"]) == (
        3, 1, 2, 1, 0.5)
    assert [s["mutant"] for s in entry["surviving"]] == ["m.x_f__mutmut_2", "m.LIMIT__const_1"]
    assert entry["surviving"][1]["equivalent"] == "reason"


@pytest.mark.parametrize("listed", [
    Equivalent("m.x_f__mutmut_1", "return 7 -> return 8", "killed, so not equivalent"),
    Equivalent("m.LIMIT__const_1", "LIMIT = 19 -> LIMIT = 21", "another change"),
    Equivalent("m.x_f__mutmut_9", "return 7 -> return 6", "no such mutant"),
])
def test_a_stale_equivalent_fails_the_run(listed: Equivalent) -> None:
    with pytest.raises(StaleEquivalentError, match=listed.mutant):
        summary("m.py", _mutants(), {listed.mutant: listed})


def test_every_listed_equivalent_belongs_to_a_target_and_gives_a_reason() -> None:
    prefixes = tuple(target.slug + "." for target in TARGETS)
    for name, entry in load_equivalents().items():
        assert name.startswith(prefixes), name
        assert entry.reason and " -> " in entry.change
