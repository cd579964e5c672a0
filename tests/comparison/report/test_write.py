"""The three report files: required keys, well-formed self-contained HTML with both charts, and no PII."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest

from comparison.audit.exposure import CHANNELS
from comparison.audit.pii import PiiValue
from comparison.models import Case, Corpus, Engine, FactRole, Facts, FactSpec, ScenarioRun
from comparison.onboarding import FACTS
from comparison.report.compliance import ComplianceSummary, load_compliance
from comparison.report.model import HITS_LISTED_PER_CHANNEL
from comparison.report.write import (
    ComparisonReport,
    ReportLeakError,
    build_scenarios,
    print_side_by_side,
    render_html,
    render_json,
    render_markdown,
    write_reports,
)
from contract.profile import Profile
from scenarios import SCENARIOS
from tests.comparison.sample import sample_report

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class TreeChecker(HTMLParser):
    """Checks every element is closed in order (SVG children may self-close) and records what it saw."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
            return
        self.stack.pop()


@pytest.fixture(scope="module")
def sample() -> tuple[ComparisonReport, tuple[PiiValue, ...]]:
    return sample_report()


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory, sample: tuple[ComparisonReport, tuple[PiiValue, ...]]) -> Path:
    report, values = sample
    directory = tmp_path_factory.mktemp("reports")
    write_reports(report, directory, pii=values)
    return directory


def test_json_has_the_keys_of_the_interface_contract(written: Path) -> None:
    data = json.loads((written / "comparison.json").read_text())
    assert len(data["scenarios"]) == len(SCENARIOS)
    assert data["engines"] == [engine.value for engine in Engine]
    assert [fact["name"] for fact in data["facts"]] == [spec.name for spec in FACTS]
    for row in data["scenarios"]:
        assert {"name", "expected", "runs", "parity", "parity_by_profile"} <= set(row)
        assert row["parity"] is True
        assert set(row["runs"]) == {engine.value for engine in Engine}
        for engine in Engine:
            assert row["runs"][engine.value]["hardened"]["facts"] == row["expected"]
        for result in row["parity_by_profile"].values():
            assert result["matches_expected"] == {engine.value: True for engine in Engine}
    for engine in Engine:
        for profile in Profile:
            audit = data["exposure"][engine.value][profile.value]
            assert isinstance(audit["total_hits"], int)
            for channel in CHANNELS[engine]:
                assert isinstance(audit["channels"][channel.value]["plaintext_hits"], int)
            assert audit["total_hits"] == sum(c["plaintext_hits"] for c in audit["channels"].values())
        cost = data["cost"]["engines"][engine.value]
        assert cost["usd_per_million_executions"] > 0
        assert cost["price_table_date"]
        assert cost["per_execution"]
    assert data["exposure"]["temporal"]["hardened"]["total_hits"] == 0
    assert data["exposure"]["stepfunctions"]["baseline"]["total_hits"] > 0
    cost = data["cost"]
    assert set(cost["sensitivity"]) == {"low", "typical", "high"}
    names = {entry["name"] for entry in cost["assumptions"]["entries"]}
    assert "stepfunctions.lambda_billed_ms_per_invocation" in names
    for engine in Engine:
        for store in data["access"][engine.value]["stores"]:
            assert {"store", "key", "readers"} <= set(store)
            assert all({"principal", "via", "conditions"} <= set(reader) for reader in store["readers"])


def test_json_reads_back_into_the_same_report(sample: tuple[ComparisonReport, tuple[PiiValue, ...]]) -> None:
    report, _ = sample
    again = ComparisonReport.model_validate_json(render_json(report))
    assert again.scenarios == report.scenarios  # code-set facts come back as tuples, engines and profiles as enums
    assert (again.engines, again.facts, again.exposure, again.cost) == (report.engines, report.facts,
                                                                          report.exposure, report.cost)
    assert (again.access, again.compliance) == (report.access, report.compliance)
    assert render_json(again) == render_json(report)


def test_json_lists_a_few_hits_per_channel_and_counts_the_rest(written: Path) -> None:
    data = json.loads((written / "comparison.json").read_text())
    activity = data["exposure"]["temporal"]["baseline"]["channels"]["activity_io"]
    assert len(activity["hits"]) == HITS_LISTED_PER_CHANNEL
    assert activity["hits_omitted"] == activity["plaintext_hits"] - HITS_LISTED_PER_CHANNEL
    assert set(activity["hits"][0]) >= {"value_index", "label", "event_id", "location", "transform"}


def test_html_is_well_formed_self_contained_and_has_both_charts(written: Path) -> None:
    text = (written / "comparison.html").read_text()
    checker = TreeChecker()
    checker.feed(text)
    checker.close()
    assert checker.errors == []
    assert checker.stack == []
    tags = checker.tags
    svg_classes = [attrs.get("class") for tag, attrs in tags if tag == "svg"]
    assert svg_classes == ["chart heatmap", "chart cost"]
    cells = [attrs for tag, attrs in tags if tag == "rect" and attrs.get("class") == "cell"]
    assert len(cells) == sum(len(CHANNELS[e]) for e in Engine) * len(Profile)
    assert [attrs.get("class") for tag, attrs in tags if tag == "polyline"] == [f"series {e.value}" for e in Engine]
    assert any(tag == "line" and attrs.get("class") == "crossover" for tag, attrs in tags)
    assert not any(tag in {"script", "link", "img", "iframe"} for tag, _ in tags)
    assert not any(key in {"src", "href"} for _, attrs in tags for key in attrs)
    assert "Compliance gates" in text and "PCI.DSS.321" in text


def test_no_searched_value_appears_in_any_file(written: Path, sample: tuple[ComparisonReport, tuple[PiiValue, ...]]
                                                ) -> None:
    _, values = sample
    for name in ("comparison.json", "comparison.md", "comparison.html"):
        text = (written / name).read_text().casefold()
        leaked = [v.label for v in values if v.value.get_secret_value().casefold() in text]
        assert leaked == [], name


def test_a_report_that_would_leak_is_refused_and_nothing_is_written(
    tmp_path: Path, sample: tuple[ComparisonReport, tuple[PiiValue, ...]]
) -> None:
    report, values = sample
    secret = values[3].value.get_secret_value()
    leaky = report.model_copy(update={"notes": [f"reviewer wrote: {secret}"]})
    with pytest.raises(ReportLeakError, match=values[3].label) as caught:
        write_reports(leaky, tmp_path / "out", pii=values)
    assert secret not in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_markdown_and_terminal_tables_show_every_scenario_side_by_side(
    sample: tuple[ComparisonReport, tuple[PiiValue, ...]]
) -> None:
    report, _ = sample
    markdown = render_markdown(report)
    columns = " | ".join(engine.display_name for engine in report.engines)
    assert f"| scenario | expected | {columns} | parity |" in markdown
    assert "## Cost" in markdown and "Prices as of" in markdown
    stream = StringIO()
    print_side_by_side(report, stream)
    terminal = stream.getvalue()
    for item in SCENARIOS:
        assert item.name in markdown and item.name in terminal
    assert f"parity: {len(SCENARIOS)}/{len(SCENARIOS)} scenarios" in terminal
    # Columns are as wide as their longest cell; the saga's outcomes read as the facts say.
    assert re.search(r"FAILED FUNDING_DECLINED \(compensated\) +as expected  as expected", terminal)
    assert re.search(r"FAILED FUNDING_UNAVAILABLE \(compensation pending\) +as expected  as expected", terminal)


def test_the_terminal_spells_out_an_outcome_that_differs_from_the_expected_one(
    sample: tuple[ComparisonReport, tuple[PiiValue, ...]],
) -> None:
    report, _ = sample
    first = report.scenarios[0]
    right = first.runs[Engine.STEPFUNCTIONS][Profile.HARDENED]
    wrong = right.model_copy(update={"facts": {**right.facts, "status": "REJECTED", "reason": "HIGH_RISK"}})
    row = first.model_copy(update={"runs": {**first.runs, Engine.STEPFUNCTIONS: {
        **first.runs[Engine.STEPFUNCTIONS], Profile.HARDENED: wrong}}})
    stream = StringIO()
    print_side_by_side(report.model_copy(update={"scenarios": [row, *report.scenarios[1:]]}), stream)
    line = next(line for line in stream.getvalue().splitlines() if line.startswith(first.name))
    assert line.split()[1:5] == ["APPROVED", "as", "expected", "REJECTED"]


def test_a_mismatch_shows_up_in_every_rendering(sample: tuple[ComparisonReport, tuple[PiiValue, ...]]) -> None:
    report, _ = sample
    first = report.scenarios[0]
    broken = first.parity_by_profile[Profile.HARDENED].model_copy(
        update={"parity": False, "mismatches": ("temporal: outbox_messages expected 1, got 2",)})
    row = first.model_copy(update={"parity": False, "parity_by_profile": {Profile.HARDENED: broken}})
    changed = report.model_copy(update={"scenarios": [row, *report.scenarios[1:]]})
    assert "outbox_messages expected 1, got 2" in render_markdown(changed)
    assert "outbox_messages expected 1, got 2" in render_html(changed)
    assert f"{len(SCENARIOS) - 1} / {len(SCENARIOS)} scenarios" in render_html(changed)


def test_compliance_summary_is_read_in_either_shape_and_is_optional(tmp_path: Path) -> None:
    assert load_compliance(tmp_path / "missing.json") is None
    listed = {"stacks": [{"stack": "Foundation", "packs": [
        {"pack": "AwsSolutions", "findings": 1, "acknowledged": 2,
         "acknowledgements": [{"rule": "AwsSolutions-IAM5", "reason": "scoped to one table's indexes"}]}]}],
        "tools": [{"tool": "checkov", "passed": 10, "failed": 0}]}
    path = tmp_path / "compliance.json"
    path.write_text(json.dumps(listed))
    summary = load_compliance(path)
    assert summary is not None
    assert (summary.unacknowledged, summary.acknowledged, summary.packs()) == (1, 2, ["AwsSolutions"])
    flat = ComplianceSummary.model_validate({"stacks": {"Foundation": {"AwsSolutions": {"findings": 1,
                                                                                        "acknowledged": 2}}}})
    assert flat.stacks[0].packs[0].findings == 1


def test_html_without_compliance_or_cost_says_what_is_missing(sample: tuple[ComparisonReport, tuple[PiiValue, ...]]
                                                               ) -> None:
    report, _ = sample
    bare = report.model_copy(update={"compliance": None, "cost": None})
    page = render_html(bare)
    assert "make synth" in page
    assert "No cost model" in page
    checker = TreeChecker()
    checker.feed(page)
    assert checker.errors == [] and checker.stack == []


def test_notes_show_backticked_spans_as_code_and_escape_the_rest(
    sample: tuple[ComparisonReport, tuple[PiiValue, ...]],
) -> None:
    report = sample[0].model_copy(update={"notes": ["run `make audit` <now>", "a lone ` stays"]})
    html = render_html(report)
    assert "<li>run <code>make audit</code> &lt;now&gt;</li>" in html
    assert "<li>a lone ` stays</li>" in html


def test_a_report_of_other_facts_and_one_engine_renders_them_from_their_specs() -> None:
    """Nothing of onboarding and a single engine: the columns are the engines that ran, the cells the facts."""
    facts = (FactSpec(name="state", role=FactRole.OUTCOME, label="state"),
             FactSpec(name="urgent", role=FactRole.OUTCOME, label="urgent"),
             FactSpec(name="parcels", role=FactRole.EFFECT, label="parcels"),
             FactSpec(name="internal", role=FactRole.CHECK, label="internal"))
    expected: Facts = {"state": "SHIPPED", "urgent": True, "parcels": 3, "internal": "k1"}
    corpus = Corpus(facts, (Case(name="ship_one", description="One parcel order.", expected=expected),))
    engine = Engine.STEPFUNCTIONS
    run = ScenarioRun(engine=engine, profile=Profile.HARDENED, scenario="ship_one", business_id="order_1",
                      facts={**expected, "parcels": 2})
    report = ComparisonReport(facts=list(facts), scenarios=build_scenarios([run], corpus), exposure={})
    assert report.engines == [engine]
    assert report.title == f"{engine.display_name}: side by side"
    markdown = render_markdown(report)
    assert f"| scenario | expected | {engine.display_name} | parity |" in markdown
    assert "SHIPPED (urgent)<br>parcels 3" in markdown and "SHIPPED (urgent)<br>parcels 2" in markdown
    assert f"{engine.value}: parcels expected 3, got 2" in markdown
    assert "k1" not in markdown  # a check fact is compared, not shown
    stream = StringIO()
    print_side_by_side(report, stream)
    header = next(line for line in stream.getvalue().splitlines() if line.startswith("scenario"))
    assert header.split() == ["scenario", "expected", *engine.display_name.split(), "parity"]
    html = render_html(report)
    checker = TreeChecker()
    checker.feed(html)
    assert checker.errors == [] and checker.stack == []
    assert f"<th>Expected</th><th>{engine.display_name}</th><th>Parity</th>" in html
    assert "not audited" in html and "Under each outcome: parcels" in html
    assert not [attrs for tag, attrs in checker.tags if tag == "rect" and attrs.get("class") == "cell"]


def test_an_engine_with_runs_but_no_audit_still_gets_its_column_and_heat_map_panel(
    sample: tuple[ComparisonReport, tuple[PiiValue, ...]],
) -> None:
    report, _ = sample
    audited = Engine.TEMPORAL
    partial = report.model_copy(update={"exposure": {audited: report.exposure[audited]}})
    assert partial.engines == list(Engine)  # the report's engines were those that ran
    checker = TreeChecker()
    checker.feed(render_html(partial))
    cells = [attrs for tag, attrs in checker.tags if tag == "rect" and attrs.get("class") == "cell"]
    assert len(cells) == len(CHANNELS[audited]) * len(Profile)
    assert render_html(partial).count("not audited") == len(Engine) - 1
    assert render_markdown(partial).count("Not audited.") == len(Engine) - 1


def test_access_sensitivity_and_assumptions_render_in_every_format(
    written: Path, sample: tuple[ComparisonReport, tuple[PiiValue, ...]]
) -> None:
    report, _ = sample
    assert report.access is not None and report.cost is not None
    page = (written / "comparison.html").read_text()
    checker = TreeChecker()
    checker.feed(page)
    ids = [attrs.get("id") for tag, attrs in checker.tags if tag in ("h2", "h3") and attrs.get("id")]
    assert ids == ["parity", "exposure", "cost", "sensitivity", "assumptions", "access",
                   *(f"access-{engine.value}" for engine in report.access.engines), "compliance", "notes"]
    rows = [attrs for tag, attrs in checker.tags if tag == "th" and attrs.get("class") == "who"]
    assert len(rows) == len(report.access.principals)
    assert "Temporal Cloud holds no key" in page
    assert page.count('<td class="mark good"') == sum(
        1 for item in report.access.engines.values() for store in item.stores if not store.operator.holds_key)
    entries = [attrs for tag, attrs in checker.tags if tag == "table" and attrs.get("class") == "assumptions"]
    assert report.cost.assumptions is not None
    assert len(entries) == 1 and page.count("<tr><td><code>") >= len(report.cost.assumptions.entries)
    markdown = (written / "comparison.md").read_text()
    for heading in ("### Sensitivity", "### Assumptions", "## Who can read an applicant's data", "### Temporal"):
        assert heading in markdown, heading
    assert "not run: checkov (not installed); run it with `make checkov`" in markdown
    assert "not run: checkov" in page
    terminal = StringIO()
    print_side_by_side(report, terminal)
    assert "crossover by assumptions: low " in terminal.getvalue()
    assert "Temporal: Temporal Cloud holds no key" in terminal.getvalue()


def test_without_an_access_surface_the_page_says_so(sample: tuple[ComparisonReport, tuple[PiiValue, ...]]) -> None:
    page = render_html(sample[0].model_copy(update={"access": None}))
    assert "No access surface in this report" in page
