"""The access surface in the reports: a compact matrix (principals x stores) and a table per engine in the HTML page,
a table per engine in Markdown, one line per engine on the terminal."""

from __future__ import annotations

from html import escape

from comparison.access.model import AccessSurface, EngineAccess, Reader, StoreAccess
from comparison.models import Engine

READS, READS_IF = "●", "◐"  # reads in clear; reads where the listed conditions hold


def operator_text(engine: Engine, item: EngineAccess) -> str:
    """``Temporal: Temporal Cloud holds no key`` or ``Step Functions: AWS holds the keys of 12 of 12 stores``."""
    own = [store for store in item.stores if store.operator.name == item.operator]
    holding = sum(1 for store in own if store.operator.holds_key)
    if not holding:
        return f"{engine.display_name}: {item.operator} holds no key"
    return f"{engine.display_name}: {item.operator} holds the key of {holding} of {len(own)} stores it runs"


def _mark(reader: Reader | None) -> str:
    if reader is None:
        return ""
    return READS_IF if reader.conditional else READS


def access_html(access: AccessSurface | None) -> list[str]:
    if access is None:
        return ['<h2 id="access">Who can read an applicant\'s data</h2>',
                '<p class="muted">No access surface in this report (no synthesized templates were read).</p>']
    head = [
        '<h2 id="access">Who can read an applicant\'s data</h2>',
        f'<p class="note">Computed from the {escape(access.source)}: every role, key policy, bucket policy and '
        "identity policy evaluated for each place an applicant's data can be read in clear. "
        f"{READS} reads; {READS_IF} reads where the conditions listed below hold.</p>",
        '<div class="cards">' + "".join(
            f'<div class="card"><div class="k">{escape(engine.display_name)} service</div>'
            f'<div class="v {"bad" if item.operator_holds_key else "good"}">'
            f"{escape(operator_text(engine, item).split(': ', 1)[1])}</div></div>"
            for engine, item in access.engines.items()) + "</div>",
        f'<div class="panel">{_matrix(access)}</div>',
    ]
    for engine, item in access.engines.items():
        head += [f'<h3 id="access-{escape(engine.value)}">{escape(engine.display_name)}</h3>', _engine_table(item)]
    head.append('<ul class="note">' + "".join(f"<li>{escape(limit)}</li>" for limit in access.limits) + "</ul>")
    return head


def _matrix(access: AccessSurface) -> str:
    columns = [(engine, store) for engine, item in access.engines.items() for store in item.stores]
    groups = "".join(f'<th colspan="{len(item.stores)}" class="group">{escape(engine.display_name)}</th>'
                     for engine, item in access.engines.items())
    names = "".join(f'<th class="store"><span>{escape(store.store)}</span></th>' for _, store in columns)
    rows = []
    for principal in access.principals:
        cells = "".join(
            f'<td class="mark">{_mark(next((r for r in store.readers if r.principal_id == principal.id), None))}</td>'
            for _, store in columns)
        rows.append(f'<tr><th class="who" title="{escape(principal.detail)}">{escape(principal.label)}'
                    f'<div class="effects">{escape(principal.kind.value)}</div></th>{cells}</tr>')
    holds = "".join(
        f'<td class="mark {"bad" if store.operator.holds_key else "good"}" title="{escape(store.operator.how)}">'
        f'{"yes" if store.operator.holds_key else "no"}</td>' for _, store in columns)
    return (f'<table class="matrix"><thead><tr><th></th>{groups}</tr><tr><th>Principal</th>{names}</tr></thead>'
            f'<tbody>{"".join(rows)}<tr class="operator"><th>the service\'s operator holds a key</th>{holds}</tr>'
            "</tbody></table>")


def _engine_table(item: EngineAccess) -> str:
    rows = "".join(_store_row(store) for store in item.stores)
    return ('<table class="access"><thead><tr><th>Store</th><th>Key</th><th>Operator</th><th>Readers</th></tr>'
            f"</thead><tbody>{rows}</tbody></table>")


def _store_row(store: StoreAccess) -> str:
    # Who, at a glance; how (the policies that let them, the conditions) one click away, without a script.
    readers = "".join(
        f"<li><strong>{escape(reader.principal)}</strong> {_mark(reader)}"
        + (f" <span class=\"effects\">if {escape(' and '.join(reader.conditions))}</span>" if reader.conditions
           else "")
        + f'<details><summary>how</summary><div class="effects">{escape(reader.via)}</div></details></li>'
        for reader in store.readers)
    operator = (f'<span class="{"bad" if store.operator.holds_key else "good"}">{escape(store.operator.name)} '
                f'{"holds a key" if store.operator.holds_key else "holds no key"}</span>'
                f'<details><summary>how</summary><div class="effects">{escape(store.operator.how)}</div></details>')
    return (f"<tr><td>{escape(store.store)}<div class=\"effects\">{escape(store.holds)}</div></td>"
            f"<td>{escape(store.key)}</td><td>{operator}</td>"
            f'<td><ul class="readers">{readers or "<li>nobody</li>"}</ul></td></tr>')


def access_markdown(access: AccessSurface | None) -> list[str]:
    if access is None:
        return ["## Who can read an applicant's data", "", "No access surface in this report.", ""]
    lines = ["## Who can read an applicant's data", "", f"From the {access.source}. "
             f"{READS} reads; {READS_IF} reads where the listed conditions hold.", ""]
    for engine, item in access.engines.items():
        lines += [f"### {engine.display_name}", "", f"{operator_text(engine, item)}.", "",
                  "| store | key | operator holds a key | readers |", "|---|---|---|---|"]
        for store in item.stores:
            readers = "; ".join(f"{reader.principal} {_mark(reader)}" + (
                f" (if {' and '.join(reader.conditions)})" if reader.conditions else "") for reader in store.readers)
            cells = [store.store, store.key, "yes" if store.operator.holds_key else "no", readers or "nobody"]
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        lines.append("")
    lines += [f"- {limit}" for limit in access.limits] + [""]
    return lines


def access_terminal(access: AccessSurface | None) -> list[str]:
    if access is None:
        return []
    lines = ["", "who can read an applicant's data (from the templates)"]
    for engine, item in access.engines.items():
        readers = {reader.principal_id for store in item.stores for reader in store.readers}
        lines.append(f"  {operator_text(engine, item)}; {len(readers)} principal(s) read some of its "
                     f"{len(item.stores)} stores")
    return lines
