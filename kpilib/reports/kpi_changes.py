"""The KPI-set change report (pure): how one financial year's KPI set differs from the
previous year's, as the council's annual KPI-set paper shows it (North Northamptonshire's
"KPI Set 2025-26 Changes" and its summary table by key commitment and report set).

``changes.csv`` (reporting-rules.md section 7, "KPI-set changes") has one row per KPI of
either year: ``ref``, ``previous_ref``, ``change`` (``new``, ``removed``, ``changed``,
``unchanged``), ``fields`` and the ``report`` and ``commitment`` of the later year's KPI
(of the removed KPI for a removed one).

How a later KPI finds its earlier one:

* its ``previous_ref`` names it (renumbered), or several (merged: ``;``-separated);
  a KPI split into two names the same previous ref on both: the first, in the later
  catalogue's order, is ``changed``, the others ``new``;
* otherwise the same ref in the earlier set, unless a later KPI's ``previous_ref``
  already claims it (a number given to another KPI is a new KPI);
* otherwise it is ``new``.  An earlier KPI nobody found is ``removed``.

``fields`` lists the catalogue columns of :data:`COMPARED` whose values differ (``ref``
first when renumbered); a breakdown override's target, tolerance or floor counts as the
KPI's.  Not compared: ``year``, the row's position, ``previous_ref`` itself, and the
columns that do not define the KPI: ``decimals`` (display), ``baseline`` (the previous
year's closing figure) and ``spc_rebase``/``spc_baseline`` (chart analysis).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kpilib.errors import CatalogueError
from kpilib.rules.markers import links, previous_refs
from kpilib.rules.names import spreadsheet_safe_rows
from kpilib.rules.periods import fy_id, parse_fy

COMPARED = ("name", "directorate", "department", "commitment", "report", "theme", "frequency",
            "measure", "unit", "polarity", "target", "tolerance", "floor", "rag_scheme",
            "travel_scheme", "breakdowns", "expected_low", "expected_high", "benchmark",
            "statutory")
CHANGE_COLUMNS = ("ref", "previous_ref", "change", "fields", "report", "commitment")
CHANGES = ("new", "changed", "removed", "unchanged")  # the page's order
OVERRIDDEN = ("target", "tolerance", "floor")


@dataclass(frozen=True)
class Change:
    """One row of ``changes.csv``, with what the page shows besides."""

    ref: str
    previous_ref: str
    change: str
    fields: tuple[str, ...]
    report: str
    commitment: str
    name: str
    details: tuple[tuple[str, str, str], ...] = ()  # (field, earlier value, later value)
    split: bool = False  # a new KPI split from one the earlier set had

    def record(self) -> dict[str, str]:
        return {"ref": self.ref, "previous_ref": self.previous_ref, "change": self.change,
                "fields": ";".join(self.fields), "report": self.report,
                "commitment": self.commitment}


@dataclass(frozen=True)
class KpiSetChanges:
    """The comparison of the KPI sets of ``year_from`` and ``year_to``."""

    year_from: str
    year_to: str
    changes: tuple[Change, ...]
    before: pd.DataFrame  # the earlier year's KPI rows (ref, report, commitment, ...)
    after: pd.DataFrame  # the later year's

    @property
    def table(self) -> pd.DataFrame:
        """``changes.csv`` as a frame: exactly :data:`CHANGE_COLUMNS`."""
        return pd.DataFrame([c.record() for c in self.changes], columns=list(CHANGE_COLUMNS),
                            dtype=object)

    def csv(self) -> str:
        """``changes.csv``: :attr:`table` with no text cell a spreadsheet reads as a formula
        (a key commitment ``=2*3`` is written ``'=2*3``)."""
        safe = spreadsheet_safe_rows(self.table.to_dict("records"))
        return pd.DataFrame(safe, columns=list(CHANGE_COLUMNS), dtype=object).to_csv(
            index=False, lineterminator="\n")

    def of(self, change: str) -> list[Change]:
        return [c for c in self.changes if c.change == change]

    def counts(self) -> dict[str, int]:
        return {k: len(self.of(k)) for k in CHANGES}

    def sentence(self) -> str:
        """``20 KPIs are new, 27 changed, 40 removed`` (and, as the council's paper says
        it, how many of the new come from splitting a KPI, and the overall difference)."""
        n = self.counts()
        splits = sum(c.split for c in self.changes)
        text = (f"{_kpis(n['new'])} {'is' if n['new'] == 1 else 'are'} new, "
                f"{n['changed']} changed, {n['removed']} removed")
        if splits:
            text += f" ({splits} of the new {'comes' if splits == 1 else 'come'} from " \
                    "splitting a KPI)"
        diff = len(self.after) - len(self.before)
        more = ("the same number of KPIs as" if diff == 0 else
                f"{_kpis(abs(diff))} {'more' if diff > 0 else 'fewer'} than")
        return (f"{text}; {n['unchanged']} unchanged. The {self.year_to} set has {more} "
                f"{self.year_from} ({len(self.after)} against {len(self.before)}).")

    def summary(self, report_order: tuple[str, ...] = ()) -> dict:
        """The framework's summary table: KPIs by key commitment (rows) and report set
        (columns), for both years, with the difference.  ``report_order``: the report sets'
        order (others follow alphabetically)."""
        reports = sorted(set(self.before["report"]) | set(self.after["report"]),
                         key=lambda r: (report_order.index(r) if r in report_order
                                        else len(report_order), r))
        commitments = sorted(set(self.before["commitment"]) | set(self.after["commitment"]))

        def cells(where) -> list[list[int]]:
            out = []
            for r in reports:
                a = int((where(self.before) & (self.before["report"] == r)).sum())
                b = int((where(self.after) & (self.after["report"] == r)).sum())
                out.append([a, b, b - a])
            a, b = int(where(self.before).sum()), int(where(self.after).sum())
            return [*out, [a, b, b - a]]

        rows = [{"name": c, "cells": cells(lambda f, c=c: f["commitment"] == c)}
                for c in commitments]
        return {"reports": reports, "rows": rows,
                "totals": cells(lambda f: pd.Series(True, index=f.index))}


def _kpis(n: int) -> str:
    return f"{n} KPI" if n == 1 else f"{n} KPIs"


def _kpi_values(rows: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Per ref, the compared columns, each override's target, tolerance and floor folded
    into the KPI's (``90; P1 97.5``)."""
    kpis = rows[rows["breakdown"] == ""]
    overrides = rows[rows["breakdown"] != ""]
    out = {}
    for _, k in kpis.iterrows():
        values = {c: str(k[c]) if c in k.index else "" for c in COMPARED}
        mine = overrides[overrides["ref"] == k["ref"]]
        for col in OVERRIDDEN:
            extra = [f"{o['breakdown']} {o[col]}" for _, o in mine.iterrows() if o[col] != ""]
            values[col] = "; ".join([values[col], *extra]) if extra else values[col]
        out[k["ref"]] = values
    return out


def _year(catalogue: pd.DataFrame, fy: str, flag: str) -> pd.DataFrame:
    rows = catalogue[catalogue["year"] == fy]
    if rows.empty:
        years = ", ".join(sorted(set(catalogue["year"]))) or "none"
        raise CatalogueError(f"{flag} {fy}: no KPI set for {fy} in the store (years loaded: "
                             f"{years}); load its catalogue with `kpi load catalogue`")
    return rows.sort_values("position", kind="stable")


def check_years(year_from: str, year_to: str) -> None:
    """``year_to`` must be the financial year after ``year_from`` (``previous_ref`` names
    the previous year's refs)."""
    start = parse_fy(year_from)
    parse_fy(year_to)
    if year_to != fy_id(start + 1):
        raise CatalogueError(f"--to {year_to}: expected the financial year after --from "
                             f"{year_from} ({fy_id(start + 1)}): previous_ref links a KPI to "
                             "the previous year's set")


def compare(catalogue: pd.DataFrame, year_from: str, year_to: str) -> KpiSetChanges:
    """Compare the KPI sets of two consecutive financial years in ``catalogue`` (every
    year's rows, as the store reads them)."""
    check_years(year_from, year_to)
    early, late = _year(catalogue, year_from, "--from"), _year(catalogue, year_to, "--to")
    before, after = _kpi_values(early), _kpi_values(late)
    late_kpis = late[late["breakdown"] == ""]
    linked = links(list(zip(late_kpis["ref"], late_kpis["previous_ref"])), before)
    found: set[str] = set()
    changes = []
    for _, k in late_kpis.iterrows():
        named = linked[k["ref"]]
        ref, values = k["ref"], after[k["ref"]]
        common = dict(report=k["report"], commitment=k["commitment"], name=k["name"])
        if not named or all(r in found for r in named):
            changes.append(Change(ref, ";".join(named), "new", (), split=bool(named),
                                  **common))
            continue
        first = next(r for r in named if r not in found)
        found.update(named)
        diff = [c for c in COMPARED if before[first][c] != values[c]]
        details = tuple((c, before[first][c], values[c]) for c in diff)
        if ref != first:
            diff, details = ["ref", *diff], (("ref", first, ref), *details)
        split = sum(first in previous_refs(t) for t in late_kpis["previous_ref"]) > 1
        merged = len(named) > 1
        change = "changed" if diff or split or merged else "unchanged"
        changes.append(Change(ref, ";".join(named), change, tuple(diff), details=details,
                              **common))
    early_kpis = early[early["breakdown"] == ""]
    for _, k in early_kpis.iterrows():
        if k["ref"] not in found:
            changes.append(Change("", k["ref"], "removed", (), k["report"], k["commitment"],
                                  k["name"]))
    cols = ["ref", "name", "report", "commitment"]
    return KpiSetChanges(year_from, year_to, tuple(changes),
                         early_kpis[cols].reset_index(drop=True),
                         late_kpis[cols].reset_index(drop=True))
