"""What a report reads from the store: its years, refs and periods (:func:`reads_for`).

The store's report-scoped reads (:func:`kpilib.store.reads.report_snapshot`) take a
:class:`Reads`; :func:`kpilib.reports.model.build_report` looks up nothing outside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpilib import registry
from kpilib.rules import periods as P
from kpilib.rules.markers import previous_refs

LOOKBACK = 12  # periods searched back for the latest data of an arrears KPI


@dataclass(frozen=True)
class Reads:
    """What :func:`build_report` reads for one report (``reads_for``): the catalogue of
    ``years`` (the report's own ``fy`` first; of the earlier years only the report's refs)
    and the return rows of the refs of ``report`` in ``fy``'s catalogue, every period up to
    ``last_month`` (months) or ``last_quarter`` (quarters): the SPC series
    reach back to the earliest period stored; nothing after the report's period is read.
    "The report's refs" include those its KPIs name in ``previous_ref``; with
    ``previous_set`` (a report type comparing the year's set with the last, ``qpr``) the
    previous year's catalogue has all the report type's KPIs."""

    report: str
    fy: str
    years: tuple[str, ...]
    last_month: str
    last_quarter: str
    previous_set: bool = False  # also the previous year's whole set of the report's KPIs


def reads_for(period: str, report: str) -> Reads:
    """The years, refs and periods a report on ``period`` looks up: its financial year and
    the three before it (an arrears quarterly KPI looks back ``LOOKBACK`` = 12 quarters for
    its travel, and each column is rated with its own year's KPI rules)."""
    per = P.parse_period(period)
    start, back = P.parse_fy(per.fy), -(-LOOKBACK // 4)
    last = per.months[-1]
    return Reads(report, per.fy, tuple(P.fy_id(start - k) for k in range(back + 1)),
                 last, P.quarter_of_month(last),
                 registry.get(report).previous_set)


def sources_read(sources, catalogue, returns, reads: Reads) -> tuple[dict, ...]:
    """The sources a report's figures came from (shown on its overview, recorded in its
    manifest): every load that is not of returns (each year's catalogue in effect, targets,
    overrides...), and each returns load that at least one of the return rows the report
    reads is from: a row of its year's KPIs of its type (and the refs they name in
    ``previous_ref``) up to its last month or quarter.  A load of later periods, or of
    other reports' KPIs, changes nothing the report shows, and is not listed: a report it
    does not concern is not published again for it (:mod:`kpilib.publish.fingerprint`)."""
    if returns is None or "source_file" not in getattr(returns, "columns", ()):
        return tuple(sources)
    kpis = catalogue[(catalogue["year"] == reads.fy)
                     & registry.get(reads.report).members(catalogue)]
    refs = set(kpis["ref"]) | {r for v in kpis.get("previous_ref", ()) for r in previous_refs(v)}
    period = returns["period"].astype(str)
    month = period.str.len() == len(reads.last_month)
    rows = returns[returns["ref"].isin(refs) & ((month & (period <= reads.last_month))
                                                | (~month & (period <= reads.last_quarter)))]
    used = set(zip(rows["source_file"], rows["source_sha256"], rows["loaded_at"], strict=True))
    return tuple(s for s in sources if s.get("kind") != "returns"
                 or (s.get("source_file"), s.get("sha256"), s.get("loaded_at")) in used)
