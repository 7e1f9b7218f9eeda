"""Parameter sets of report runs (``params/*.yaml``), validated before anything runs.

papermill only *warns* about an unknown parameter and then renders the
notebook's default, so every key is checked here first: a misspelt key, a bad
period id or an unknown report set is an error naming the key.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from pathlib import Path

from kpilib import registry
from kpilib.clock import normalise_timestamp, utc_now
from kpilib.errors import MomentError, ParamsError, PeriodError, shown
from kpilib.io import outpaths
from kpilib.io.yamlfile import read_yaml, unknown_keys
from kpilib.rules.names import CONTROL
from kpilib.rules.periods import fy_id, parse_fy, parse_period
from kpilib.settings.edition import edition_problem

KEYS = {
    "period": "month id (2024-02), quarter id (2024-25-Q3) or financial year (2024-25: every "
              "month and quarter of it with data), quoted",
    "report": "a report type (kpi run --help lists them) or all",
    "store": "data store: SQLite file path or SQLAlchemy URL",
    "as_of": "optional: read the data as it stood at this moment (ISO 8601, UTC)",
    "output_dir": "optional: where run folders go (default outputs/)",
    "council": "optional: the council settings file (default council.yaml, if present)",
    "edition": "optional: internal (default) or public (small numbers withheld; published to "
               "<period>/<report>-public/)",
    "pdf": "optional: true to print the committee pack PDF during the run (default false)",
}


def report_choices() -> tuple[str, ...]:
    """Every registered report type, and ``all``."""
    return (*registry.names(), "all")
REQUIRED = ("period", "report", "store")


@dataclass(frozen=True)
class Skipped:
    """A report type ``report: all`` does not run, and why."""

    report: str
    reason: str

    def __str__(self) -> str:
        return f"skipped {self.report}: {self.reason}"


def missing_kpis(catalogue, fy: str, report: str) -> str | None:
    """Why a catalogue (every year's rows) gives ``report`` no KPIs in financial year ``fy``:
    no catalogue for the year, or none of its KPIs of that type; ``None`` when it has some."""
    kpis = catalogue[catalogue["breakdown"] == ""]
    year = kpis[kpis["year"] == fy]
    if year.empty:
        loaded = ", ".join(sorted(set(kpis["year"]))) or "none"
        return f"no catalogue is loaded for {fy} (catalogues loaded: {loaded})"
    if not registry.get(report).members(year).any():
        return f"no {report} KPIs in the {fy} catalogue" + (
            " (its view's filter selects none)" if registry.get(report).is_view else "")
    return None


def report_types_in(catalogue, fy: str) -> list[str]:
    """The report types the KPIs of financial year ``fy`` belong to, sorted."""
    kpis = catalogue[(catalogue["breakdown"] == "") & (catalogue["year"] == fy)]
    return sorted(set(kpis["report"]))


@dataclass(frozen=True)
class RunParams:
    period: str
    report: str
    store: str
    as_of: str | None = None
    output_dir: str = "outputs"
    source: str = "<params>"
    council: str | None = None
    edition: str = "internal"  # or "public": small numbers withheld (kpilib.settings.edition)
    pdf: bool = False  # print the committee pack during the run (kpilib.publish.pdfpack)

    @property
    def is_year(self) -> bool:
        """A parameter set of a whole financial year (:mod:`kpilib.run.year`)."""
        return year_of(self.period) is not None

    def reports(self) -> list[str]:
        """The report types this run asks for: one, or for ``all`` every registered type
        that declares itself part of ``all`` for this kind of period (for the built-in
        types: core for a month; core, service and health for a quarter).  Which of them
        run is :meth:`plan`'s answer, given the catalogue."""
        if self.report != "all":
            return [self.report]
        return list(registry.all_of(parse_period(self.period).kind))

    def plan(self, catalogue) -> tuple[list[str], list[Skipped]]:
        """The report types to run, and those skipped with why: for ``report: all``, a type
        with no KPIs in the period's financial year (in ``catalogue``, every year's rows as
        the store read them) is skipped.  A single named type is never skipped (the runner
        says why it cannot run)."""
        wanted = self.reports()
        if self.report != "all":
            return wanted, []
        fy = parse_period(self.period).fy
        reasons = {r: missing_kpis(catalogue, fy, r) for r in wanted}
        return ([r for r in wanted if reasons[r] is None],
                [Skipped(r, reasons[r]) for r in wanted if reasons[r] is not None])

    def as_dict(self) -> dict:
        return {"period": self.period, "report": self.report, "store": self.store,
                "as_of": self.as_of, "output_dir": self.output_dir, "council": self.council,
                "edition": self.edition, "pdf": self.pdf}


def year_of(text: str) -> str | None:
    """The financial year id ``text`` is (``2024-25``), when it is one and not a period id
    (a month id is read as a month: ``2009-10`` is October 2009); else None."""
    try:
        parse_period(text)
        return None
    except PeriodError:
        pass
    try:
        return fy_id(parse_fy(text))
    except PeriodError:
        return None


def _year_problem(text: str) -> str | None:
    """What is wrong with a period id shaped like a financial year (``2024-26``: its second
    part is no month), for the error to say so; None for any other text."""
    parts = text.strip().split("-")
    if len(parts) != 2 or not all(p.isascii() and p.isdigit() for p in parts) \
            or len(parts[1]) != 2 or int(parts[1]) <= 12:
        return None
    try:
        parse_fy(text)
    except PeriodError:
        start = int(parts[0])
        return (f"a financial year (the second part must be the year after the first: "
                f"{fy_id(start)})")
    return None


def normalise_moment(value, where: str = "as_of") -> str:
    """An ISO-8601 moment as the store writes it: ``2024-03-10T12:00:00.000000Z`` (UTC)."""
    try:
        return normalise_timestamp(value)
    except MomentError as e:
        raise ParamsError(f"{where}: {e}") from None


def validate(raw: dict, source: str = "<params>") -> RunParams:
    """Check a parameter mapping; report every problem at once."""
    if not isinstance(raw, dict):
        raise ParamsError(
            f"{source}: expected a mapping of keys to values, got {type(raw).__name__}")
    problems = unknown_keys(raw, list(KEYS))
    for key in REQUIRED:
        if raw.get(key) in (None, ""):
            problems.append(f"missing key '{key}': {KEYS[key]}")
    period, kind = raw.get("period"), None
    if isinstance(period, (dt.date, int, float)):
        problems.append(f"key 'period': {period!r} was read as a {type(period).__name__}; "
                        "quote it, e.g. period: \"2024-02\"")
    elif period not in (None, ""):
        try:
            parsed = parse_period(str(period))
            period, kind = parsed.id, parsed.kind
        except PeriodError as e:
            if (fy := year_of(str(period))) is not None:
                period, kind = fy, "year"  # a financial year: kpilib.run.year
            else:
                why = _year_problem(str(period))
                problems.append(f"key 'period': {e}" + (f"; nor {why}" if why else ""))
    report = raw.get("report")
    choices = report_choices()
    if report not in (None, "") and report not in choices:
        close = difflib.get_close_matches(str(report), choices, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        problems.append(f"key 'report': {report!r} is not a report type{hint}; "
                        f"expected one of {', '.join(choices)}")
    elif report not in (None, "", "all") and kind is not None:
        rtype = registry.get(report)
        if kind == "year" and not any(rtype.accepts(k) for k in ("month", "quarter")):
            problems.append(f"key 'period': the {report} report is for a "
                            f"{' or a '.join(rtype.periods)}, not a month or quarter of "
                            f"{period}")
        elif kind != "year" and not rtype.accepts(kind):
            problems.append(f"key 'period': the {report} report is for a "
                            f"{' or a '.join(rtype.periods)}, not a {kind} ({period})")
    council = raw.get("council")
    if council is not None and not isinstance(council, str):
        problems.append(f"key 'council': expected the path of a settings file, got {council!r}")
    for key in ("store", "output_dir", "council"):  # paths: the OS refuses a NUL with a crash
        value = raw.get(key)
        if isinstance(value, str) and CONTROL.search(value):
            problems.append(f"key '{key}': {shown(value)!r} holds a control character (a NUL, "
                            "a line break); expected a path or URL on one line")
    edition = raw.get("edition") or "internal"
    if (problem := edition_problem(edition)) is not None:
        problems.append(problem)
    pdf = raw.get("pdf", False)
    if pdf is None:
        pdf = False
    if not isinstance(pdf, bool):
        problems.append(f"key 'pdf': expected true or false, got {pdf!r}")
    as_of = raw.get("as_of")
    if as_of not in (None, ""):
        try:
            as_of = normalise_moment(as_of, "key 'as_of'")
            if as_of > utc_now():
                problems.append(f"key 'as_of': {as_of} is in the future; a report reads the "
                                "data as it stood at a moment that has passed (loads still "
                                "to come would change it)")
        except ParamsError as e:
            problems.append(str(e))
    else:
        as_of = None
    if problems:
        listing = "\n".join(f"  {p}" for p in problems)
        raise ParamsError(f"{source}: invalid parameters:\n{listing}")
    return RunParams(str(period), str(report), str(raw["store"]), as_of,
                     str(raw.get("output_dir") or "outputs"), source, council or None,
                     str(edition), pdf is True)


def read_params(path: str | Path, **overrides) -> RunParams:
    """Read and validate a YAML parameter file; ``overrides`` (not None) replace its keys."""
    p = Path(path)
    raw = read_yaml(p, "parameter")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ParamsError(f"{p}: expected a mapping of keys to values (period: ..., report: "
                          f"...), got a {type(raw).__name__}")
    raw = dict(raw)
    raw.update({k: v for k, v in overrides.items() if v is not None})
    return validate(raw, str(p))


def check_output_dir(output_dir: str) -> None:
    """``output_dir`` must be a folder, or a path where one can be made: not a file, nor
    under one, not a link, device or FIFO, not the root of the file system
    (:func:`kpilib.io.outpaths.output_dir`)."""
    try:
        outpaths.output_dir(output_dir, "folder run folders go to (e.g. outputs)")
    except outpaths.OutputPathError as e:
        raise ParamsError(f"key 'output_dir': {e}") from None
