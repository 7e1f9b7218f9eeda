"""Deterministic demo data for a council: catalogues, monthly and quarterly returns, revisions.

The KPI set is North Northamptonshire Council's 2024-25 monthly ("core") list
(seed ``nnc-kpi-catalogue-2024-25.txt``), plus quarterly service KPIs modelled
on Kent's QPR and the 2013 Northamptonshire County report, and quarterly
organisational-health KPIs.  Values are generated with per-KPI
``random.Random`` instances seeded from a fixed string, so two runs write
byte-identical files.  Nothing depends on the clock, hash seeds or set order.
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from kpilib.demo.kpis import COMS, CORE, DEPTS, DIRS, HEALTH, SERVICE
from kpilib.demo.next_year import FY as NEXT_FY
from kpilib.demo.next_year import LOADED_AT as NEXT_LOADED_AT
from kpilib.demo.next_year import next_year_rows
from kpilib.demo.peers import METRICS, write_peer_files
from kpilib.ingest.contracts import (
    CATALOGUE_ADDED,
    CATALOGUE_COLUMNS,
    RETURN_COLUMNS,
    RETURNS_ADDED,
)
from kpilib.rules.periods import fy_months, fy_quarters, parse_period, shift

if TYPE_CHECKING:  # pragma: no cover
    from kpilib.store import LoadResult, Store

SEED = 20240201
YEARS = ("2023-24", "2024-25")
# the demo's catalogue files: the first contract's columns, the unit scale (its "(£000)"
# KPIs are written in thousands) and the metric of its peers' figures (kpilib.demo.peers)
DEMO_CATALOGUE_COLUMNS = (*(c for c in CATALOGUE_COLUMNS if c not in CATALOGUE_ADDED), "scale",
                          "metric")
RETURNS_COLUMNS = tuple(c for c in RETURN_COLUMNS if c not in RETURNS_ADDED)



@dataclass(frozen=True)
class DemoFile:
    """One demo file and the moment it is loaded into the store."""

    path: Path
    kind: Literal["catalogue", "returns", "bodies", "groups", "benchmarks"]
    loaded_at: str


@dataclass(frozen=True)
class _Kpi:
    ref: str
    name: str
    dirc: str
    dept: str
    com: str
    measure: str
    unit: str
    pol: str
    targets: dict[str, str]
    g: tuple
    x: dict[str, Any]
    report: str
    freq: str
    series: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict, compare=False)

    def periods(self) -> list[str]:
        f = fy_months if self.freq == "monthly" else fy_quarters
        return [p for fy in YEARS if fy in self.targets for p in f(fy)]

    def per_year(self, key: str, fy: str) -> str:
        v = self.x.get(key, "").split("|")
        return v[YEARS.index(fy)] if len(v) == 2 else v[0]


def _kpis() -> list[_Kpi]:
    out = []
    for table, report, freq in ((CORE, "core", "monthly"), (SERVICE, "service", "quarterly"),
                                (HEALTH, "health", "quarterly")):
        for ref, org, mup, t, g, x, name in table:
            d, dept, com = org.split()
            targets = {fy: v for fy, v in zip(YEARS, t.split("|")) if v != "-"}
            out.append(_Kpi(ref, name, d, dept, com, *mup.split(), targets, g, x, report, freq))
    return out


# --------------------------------------------------------------------------- values

_DP = {"percent": 1, "rate": 1, "days": 1, "number": 1, "currency": 0, "count": 0}
_SCALE = {"percent": 100.0, "rate": 100_000.0}


def _fmt(x: float | None, dp: int) -> str:
    if x is None:
        return ""
    s = f"{x:.{dp}f}"
    return f"{0:.{dp}f}" if float(s) == 0 else s


def _profile(target: str) -> list[float]:
    return [float(v) for v in target.split("(")[1].rstrip(")").split(";")]


def _atoms(k: _Kpi, g: tuple, rng: random.Random, dens: list[int] | None = None) -> list[tuple]:
    """(value, numerator, denominator) per period of ``k``; value None where derived."""
    level, noise, den = (tuple(g) + (0,))[:3]
    seas, drift = k.x.get("seas", 0.0), k.x.get("drift", 0.0)
    step = 12 if k.freq == "monthly" else 4
    out: list[tuple] = []
    walk = None
    for i, pid in enumerate(k.periods()):
        p = parse_period(pid)
        mid = int(p.months[len(p.months) // 2][5:])
        s = 1 + seas * math.cos(2 * math.pi * (mid - 1) / 12)
        lvl = level + drift * i / step
        z = rng.gauss(0, 1)
        if k.measure == "ratio":
            if dens is not None:
                d = dens[i]
            elif k.unit == "rate":
                d = round(den * (1 + 0.008 * i / step))
            else:
                d = max(0, round(rng.gauss(den * s, math.sqrt(den * s))))
            if k.unit == "rate":
                n = max(0, round(lvl * d / 1e5 * (1 + noise * z)))
            elif k.unit == "days":
                n = round(d * max(5.0, lvl + noise * z))
            else:
                n = min(d, max(0, round(d * min(100.0, max(0.0, lvl + noise * z)) / 100)))
            out.append((None, n, d))
        elif k.measure == "cumulative":
            fy = p.fy
            m = fy_months(fy).index(pid)
            prof = _profile(k.targets[fy])[m]
            pct = min(99.6, prof + noise * z * (m + 1) / 12)
            if "nd" in k.x:
                debit = k.x["nd"][YEARS.index(fy)]
                out.append((None, round(debit * pct / 100), debit))
            else:
                out.append((round(pct, 1), None, None))
        else:
            target = lvl * s
            if k.measure == "snapshot":
                walk = target if walk is None else walk + 0.4 * (target - walk)
                walk += noise * abs(level) * z * 0.8
                v = walk
            else:
                v = target * (1 + noise * z)
            if k.unit == "percent":
                v = min(100.0, max(0.0, v))
            elif k.unit != "currency":
                v = max(0.0, v)
            out.append((round(v, _DP[k.unit]), None, None))
    return out


def _row(k: _Kpi, pid: str, bd: str, atom: tuple) -> dict[str, Any]:
    """A returns row; ratios carry numerator/denominator, ``value`` only in 2023-24."""
    v, n, d = atom
    shown = _fmt(v, _DP[k.unit])
    if n is not None:
        v = n / d * _SCALE.get(k.unit, 1.0) if d else None
        shown = _fmt(v, _DP[k.unit]) if parse_period(pid).fy == YEARS[0] and d else ""
    return {"ref": k.ref, "period": pid, "breakdown": bd, "value": shown, "status": "",
            "numerator": "" if n is None else str(n), "denominator": "" if n is None else str(d),
            "commentary": "", "_v": v}


def _generate(kpis: list[_Kpi]) -> None:
    by_ref = {k.ref: k for k in kpis}
    for k in kpis:
        rng = random.Random(f"{SEED}:{k.ref}")
        periods = k.periods()
        if "bd" not in k.x:
            for pid, atom in zip(periods, _atoms(k, k.g, rng)):
                k.series[(pid, "")] = _row(k, pid, "", atom)
            continue
        parts = {}
        for bd, g in k.x["bd"].items():
            src = by_ref.get(k.x.get("den_from", ""))
            dens = [int(src.series[(p, bd)]["value"]) for p in periods] if src else None
            parts[bd] = _atoms(k, g, rng, dens)
        for i, pid in enumerate(periods):
            atoms = [parts[bd][i] for bd in k.x["bd"]]
            if k.measure == "ratio":
                total = (None, sum(a[1] for a in atoms), sum(a[2] for a in atoms))
            else:
                total = (sum(a[0] for a in atoms), None, None)
            k.series[(pid, "")] = _row(k, pid, "", total)
            for bd, atom in zip(k.x["bd"], atoms):
                k.series[(pid, bd)] = _row(k, pid, bd, atom)


# --------------------------------------------------------------------------- commentary

_FLAVOUR = {  # by department key; other departments use their directorate's entry
    "ASC": ("Demand from hospital discharges remains high over the winter period.",
            "The team is working with health partners through the integrated discharge hub."),
    "H": ("Demand remains high, reflecting the cost-of-living pressures seen across the area.",
          "Cases are reviewed weekly at the Housing performance clinic."),
    "Ed": ("The SEND improvement plan continues to focus on timeliness and quality.",
           "Casework officers are following up every open case with schools and families."),
    "CT": ("The Children's Trust has given assurance on data quality at the contract meeting.",
           "Caseloads have stabilised following recruitment to permanent social worker posts."),
    "HW": ("Weather conditions over the period affected the volume of defects reported.",
           "The contractor's performance is monitored against the service level agreement."),
    "GR": ("Extensions of time have been agreed with applicants where appropriate.",
           "The team is now at full establishment following recruitment."),
    "RB": ("Recovery action is in line with the timetable, with reminders issued on schedule.",
           "The team continues to promote direct debit and the online account."),
    "A": ("Demand on the service remains high.",), "C": ("Partners have been briefed.",),
    "P": ("The service has reviewed its processes this period.",),
    "F": ("Performance is reported to the Executive with the budget monitoring report.",),
    "X": ("Channel shift to online forms continues to reduce avoidable contact.",
          "Training for new advisers has now been completed."),
}
_ACTIONS = (
    "A recovery plan has been agreed with the Assistant Director; progress will be reported "
    "next period.", "The service is reviewing the cases behind this result to identify common "
    "causes.", "Additional capacity has been put in place for the coming quarter.",
    "This is being monitored through the directorate performance board.",
)
_GOOD = ("<p>{lab}: {v} against a target of {t}, so the indicator is on target. {f}</p>",
         "<p>Performance of {v} in {lab} meets the target of {t}.</p><p>{f}</p>")
_BAD = ("<p>{lab}: {v} against a target of {t}. {f}</p><p><b>Action:</b> {a}</p>",
        "<p>Performance of {v} has not met the target of {t} this period. {f} {a}</p>")
_TRACK = ("<p>{v} in {lab}. This indicator tracks demand and has no target. {f}</p>",
          "<p>{lab}: {v}. {f}</p>")


_SHOW = {"percent": "{:.1f}%", "rate": "{:,.1f} per 100,000", "days": "{:.1f} days",
         "currency": "£{:,.0f}k", "count": "{:,.0f}", "number": "{:,.1f}"}


def _period_target(k: _Kpi, pid: str) -> float | None:
    p = parse_period(pid)
    t = k.targets[p.fy]
    if not t or t == "review":
        return None
    idx = (fy_months(p.fy) if p.kind == "month" else fy_quarters(p.fy)).index(pid) + 1
    if "(" not in t:
        return float(t)
    if ";" in t:
        return _profile(t)[idx - 1]
    per = float(t.split("(")[1].split()[0])
    return per * idx if k.measure == "cumulative" else per


def _commentate(kpis: list[_Kpi]) -> None:
    for k in kpis:
        rng = random.Random(f"{SEED}:{k.ref}:commentary")
        for pid in k.periods():
            row = k.series[(pid, "")]
            p = parse_period(pid)
            last = p.kind == "quarter" or p.months[0][5:] in ("06", "09", "12", "03")
            if rng.random() > (0.65 if last else 0.3) or row["_v"] is None:
                continue
            t = _period_target(k, pid)
            v = row["_v"]
            f = rng.choice(_FLAVOUR.get(k.dept, _FLAVOUR[k.dirc]))
            a = rng.choice(_ACTIONS)
            if t is None or k.pol == "none":
                tpl = _TRACK
            else:
                good = v >= t if k.pol == "higher" else v <= t
                tpl = _GOOD if good else _BAD
            row["commentary"] = rng.choice(tpl).format(
                lab=p.label, v=_SHOW[k.unit].format(v), t=_SHOW[k.unit].format(t or 0), f=f, a=a)


# --------------------------------------------------------------------------- special cases

HOSTILE = ('<p>Improving.</p><script>alert(1)</script>'
           '<a href="javascript:alert(2)" onclick="x()">link</a>')
# (ref, period, breakdown) -> status and commentary; the value is cleared unless kept.
_SPECIAL: dict[tuple[str, str, str], dict[str, str]] = {
    ("STP15", "2024-08", ""): {"zero": "1", "commentary": "<p>No major applications were due "
                               "for determination in August, so no percentage can be given."
                               "</p>"},
    ("BBF36", "2024-01", ""): {"status": "missing", "commentary": "<p>Data was not received "
                               "from the SEND case management system in time for this report."
                               "</p>"},
    ("BBF47", "2024-06", ""): {"status": "unavailable", "commentary": "<p>Analytics for the "
                               "digital platform are unavailable following its migration to a "
                               "new host; the supplier is restoring the data.</p>"},
    ("SVC13", "2024-25-Q2", ""): {"status": "unavailable", "commentary": "<p>People counters "
                                  "at three libraries failed during the quarter.</p>"},
    ("OH08", "2023-24-Q3", ""): {"status": "missing", "commentary": ""},
    ("STP44", "2025-03", ""): {"keep": "1", "commentary": HOSTILE},
}
# Revision files: name, loaded_at, [(ref, period, breakdown, deltas, commentary)].
_REVISIONS: list[tuple[str, str, list[tuple]]] = [
    ("revisions-2024-03.csv", "2024-04-22T11:05:00.000000Z", [
        ("STP31", "2024-02", "P2", {"numerator": -4}, "<p>Restated: four P2 defects were "
         "recorded as completed on time in error.</p>"),
        ("STP31", "2024-02", "", {"numerator": -4}, "<p>Total restated for the P2 correction."
         "</p>"),
        ("AFL17", "2024-02", "", {"value": 6}, "<p>Revised: six placements made out of hours "
         "were notified late.</p>")]),
    ("revisions-2024-09.csv", "2024-10-23T10:40:00.000000Z", [
        ("MPS05", "2024-08", "", {"numerator": 412_650}, "<p>Restated after suspense account "
         "payments were allocated to accounts.</p>"),
        ("BBF06", "2024-07", "", {"numerator": 5, "denominator": 5}, "<p>Five assessments "
         "authorised in July were recorded late by the Trust.</p>")]),
    ("revisions-2024-25-Q1.csv", "2024-11-06T15:20:00.000000Z", [
        ("SVC01", "2024-25-Q1", "", {"numerator": 37, "denominator": 40}, "<p>Amended: jobs "
         "closed late on the contractor's system have been added to quarter 1.</p>")]),
]


def _apply_specials(by_ref: dict[str, _Kpi]) -> None:
    for (ref, pid, bd), spec in _SPECIAL.items():
        row = by_ref[ref].series[(pid, bd)]
        row["commentary"] = spec["commentary"]
        if "zero" in spec:
            row.update(value="", numerator="0", denominator="0", _v=None)
        elif "keep" not in spec:
            row.update(value="", numerator="", denominator="", status=spec["status"], _v=None)


def _revised(k: _Kpi, pid: str, bd: str, deltas: dict[str, int], note: str) -> dict[str, Any]:
    row = dict(k.series[(pid, bd)])
    for col, delta in deltas.items():
        row[col] = _fmt(float(row[col]) + delta, 0 if col != "value" else _DP[k.unit])
    if row["numerator"] and row["value"]:
        n, d = float(row["numerator"]), float(row["denominator"])
        row["value"] = _fmt(n / d * _SCALE.get(k.unit, 1.0), _DP[k.unit])
    row["commentary"] = note
    return row


# --------------------------------------------------------------------------- files


def _stamp(d: date, hm: str) -> str:
    while d.weekday() >= 5:  # the next working day
        d += timedelta(days=1)
    return f"{d.isoformat()}T{hm}:00.000000Z"


def _write(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        w.writerows([[r.get(c, "") for c in columns] for r in rows])


def _catalogue_rows(kpis: list[_Kpi], fy: str) -> list[dict[str, str]]:
    rows = []
    for k in kpis:
        if fy not in k.targets:
            continue
        core = k.report == "core"
        rows.append({
            "year": fy, "ref": k.ref, "name": k.x.get("old", k.name) if fy == YEARS[0] else k.name,
            "directorate": DIRS[k.dirc], "department": DEPTS[k.dept], "commitment": COMS[k.com],
            "report": k.report, "theme": k.x.get("theme", ""), "frequency": k.freq,
            "measure": k.measure, "unit": k.unit, "polarity": k.pol, "target": k.targets[fy],
            "tolerance": k.per_year("tol", fy), "floor": k.x.get("floor", ""),
            "rag_scheme": k.x.get("rag", "tolerance" if core else ""),
            "travel_scheme": k.x.get("travel", "nnc" if core else ""),
            "breakdowns": ";".join(k.x.get("bd", {})), "benchmark": k.x.get("bench", ""),
            "statutory": k.x.get("stat", ""), "scale": k.x.get("scale", ""),
            "metric": METRICS.get(k.ref, ("",))[0]})
        for bd, target in k.x.get("ovr", {}).items():
            rows.append({"year": fy, "ref": k.ref, "breakdown": bd, "target": target})
    return rows


def _returns_rows(kpis: list[_Kpi], pid: str) -> list[dict[str, Any]]:
    p = parse_period(pid)
    rows = []
    for k in kpis:
        if p.fy not in k.targets or (k.freq == "monthly") != (p.kind == "month"):
            continue
        if k.x.get("arrears"):
            rows.append({"ref": k.ref, "period": pid, "status": "arrears",
                         "commentary": "<p>Reported one month in arrears: the figure for "
                         f"{p.label} will be included in next month's return.</p>"})
            prev = shift(pid, -1).id
            rows += [r for (q, _), r in k.series.items() if q == prev]
            continue
        rows += [r for (q, _), r in k.series.items() if q == pid]
    return rows


def write_demo_files(out_dir: str | Path) -> list[DemoFile]:
    """Write the demo catalogues, returns and revisions as CSV files.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created if absent).  Existing demo files are
        overwritten.

    Returns
    -------
    list of DemoFile
        Every file written, in the order it must be loaded (strictly
        increasing ``loaded_at``): ``catalogue-2023-24.csv``,
        ``catalogue-2024-25.csv``, ``catalogue-2025-26.csv`` (the next year's set,
        :mod:`kpilib.demo.next_year`), ``returns-YYYY-MM.csv`` (April 2023 to
        March 2025, loaded around the 8th of the next month),
        ``returns-YYYY-YY-Qn.csv`` (loaded around 20 days after the quarter),
        ``revisions-*.csv`` and the peers' ``bodies.csv``, ``groups.csv`` and
        ``benchmarks-YYYY-YY.csv`` (:mod:`kpilib.demo.peers`).  Output is
        byte-identical on every run.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    kpis = _kpis()
    by_ref = {k.ref: k for k in kpis}
    _generate(kpis)
    _commentate(kpis)
    _apply_specials(by_ref)
    files: list[DemoFile] = []
    for fy, when in zip(YEARS, ("2023-04-03T08:30:00.000000Z", "2024-04-02T08:30:00.000000Z")):
        path = out / f"catalogue-{fy}.csv"
        _write(path, DEMO_CATALOGUE_COLUMNS, _catalogue_rows(kpis, fy))
        files.append(DemoFile(path, "catalogue", when))
    path = out / f"catalogue-{NEXT_FY}.csv"  # the next year's set (kpi changes)
    _write(path, (*DEMO_CATALOGUE_COLUMNS, "previous_ref"),
           next_year_rows(_catalogue_rows(kpis, YEARS[-1])))
    files.append(DemoFile(path, "catalogue", NEXT_LOADED_AT))
    for fy in YEARS:
        for pid in fy_months(fy) + fy_quarters(fy):
            p = parse_period(pid)
            end = shift(p.months[-1], 1).id
            y, m = int(end[:4]), int(end[5:])
            when = (_stamp(date(y, m, 8), "09:30") if p.kind == "month"
                    else _stamp(date(y, m, 20), "14:00"))
            path = out / f"returns-{pid}.csv"
            _write(path, RETURNS_COLUMNS, _returns_rows(kpis, pid))
            files.append(DemoFile(path, "returns", when))
    for name, when, changes in _REVISIONS:
        rows = [_revised(by_ref[ref], pid, bd, deltas, note)
                for ref, pid, bd, deltas, note in changes]
        _write(out / name, RETURNS_COLUMNS, rows)
        files.append(DemoFile(out / name, "returns", when))
    files += [DemoFile(*f) for f in write_peer_files(out, kpis)]
    return sorted(files, key=lambda f: f.loaded_at)


def build_demo_store(store: Store, out_dir: str | Path) -> list[LoadResult]:
    """Write the demo files and load them into ``store`` in order.

    Parameters
    ----------
    store : kpilib.store.Store
        An open store; each file is loaded with its historic ``loaded_at``.
    out_dir : str or Path
        Folder the CSV files are written to (kept, as the loads' sources).

    Returns
    -------
    list of LoadResult
        One per file, in load order.
    """
    results = []
    for f in write_demo_files(out_dir):
        results.append(store.load(f.kind, f.path, loaded_at=f.loaded_at))
    return results
