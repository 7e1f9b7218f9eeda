"""The KPI-set change report's page (values for ``fragments/kpi_set_changes.html.j2``).

Pure: a :class:`~kpilib.reports.kpi_changes.KpiSetChanges` in, HTML text out; the
template owns the markup (a project may override it, :mod:`kpilib.render.templates`).
"""

from __future__ import annotations

from kpilib import registry
from kpilib.render import templates
from kpilib.render.style import human_moment
from kpilib.reports.kpi_changes import KpiSetChanges

TITLE = "KPI set changes"
LABELS = {"ref": "ref", "name": "name", "rag_scheme": "RAG scheme",
          "travel_scheme": "travel scheme", "expected_low": "expected range (low)",
          "expected_high": "expected range (high)"}


def label(field: str) -> str:
    """A catalogue column as the page names it."""
    return LABELS.get(field, field.replace("_", " "))


def report_title(name: str) -> str:
    try:
        return registry.get(name).title
    except registry.RegistryError:
        return name


def _row(c) -> dict:
    return {"ref": c.ref, "previous_ref": c.previous_ref.replace(";", ", "), "name": c.name,
            "report": report_title(c.report), "commitment": c.commitment,
            "fields": ", ".join(label(f) for f in c.fields),
            "details": [{"field": label(f), "before": a or "(none)", "after": b or "(none)"}
                        for f, a, b in c.details], "split": c.split}


def page(changes: KpiSetChanges, title: str, as_of: str | None) -> str:
    """The whole page body: header, counts sentence, summary table, new, changed and
    removed KPIs."""
    span = f"{changes.year_from} to {changes.year_to}"
    header = templates.render("page_header", title=title, period=span,
                              heading=f"Changes to the KPI set, {span}", as_of=as_of or "",
                              as_of_text=human_moment(as_of) if as_of else "", nav=[],
                              notice="")
    summary = changes.summary(tuple(registry.names()))
    summary["reports"] = [report_title(r) for r in summary["reports"]]
    return header + templates.render(
        "kpi_set_changes", sentence=changes.sentence(), summary=summary,
        year_from=changes.year_from, year_to=changes.year_to,
        new=[_row(c) for c in changes.of("new")],
        changed=[_row(c) for c in changes.of("changed")],
        removed=[_row(c) for c in changes.of("removed")],
        unchanged=len(changes.of("unchanged")))
