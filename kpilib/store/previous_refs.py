"""The store's check of ``previous_ref`` across years (reporting-rules.md section 7).

A catalogue's ``previous_ref`` names refs of the previous financial year's KPI set.  Each
file is validated on its own first (:mod:`kpilib.ingest.catalogue`); once both years are
in the store, every ref named must be in the previous year's set, whichever year is
loaded first:

* loading a year whose previous year is stored checks the new file's ``previous_ref``
  against the stored set;
* loading a year whose next year is stored checks the stored later set's
  ``previous_ref`` against the new file, and names the later set's rows.

A problem is a :class:`~kpilib.errors.ValidationError` of the file being loaded, so
nothing from it is stored.  Rows of a stored set are numbered as its file's rows (the
header is row 1), counting the rows the store kept (a blank line in the file is not one).
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from kpilib.errors import Problem, ValidationError
from kpilib.rules.markers import previous_refs
from kpilib.rules.periods import fy_id, parse_fy

ROW_NUMBERS = "row_numbers"  # frame.attrs key: the file's row number of each frame row


def _stored_files(conn: sa.Connection, picks: pd.DataFrame) -> dict[str, str]:
    """Per stored year, the file its KPI set was loaded from."""
    ids = sorted(int(i) for i in picks["load_id"])
    if not ids:
        return {}
    q = sa.text("SELECT load_id, source_file FROM loads WHERE load_id IN :ids").bindparams(
        sa.bindparam("ids", expanding=True))
    names = {int(i): f for i, f in conn.execute(q, {"ids": ids}).all()}
    return {y: names[int(i)] for y, i in zip(picks["year"], picks["load_id"], strict=True)}


def problems(new: pd.DataFrame, new_file: str, stored: pd.DataFrame,
             stored_files: dict[str, str]) -> list[Problem]:
    """Every ``previous_ref`` naming a ref that is not in the previous year's set, for each
    pair of consecutive years one of which ``new`` (a validated catalogue file) holds."""
    years = set(new["year"])
    rows = new.attrs.get(ROW_NUMBERS) or [p + 2 for p in new["position"]]
    sets = {"new": new.assign(_row=list(rows), _file=new_file),
            "stored": stored[~stored["year"].isin(years)].assign(
                _row=lambda f: f["position"] + 2,
                _file=lambda f: [stored_files.get(y, "the stored catalogue") for y in f["year"]])}
    both = pd.concat(list(sets.values()), ignore_index=True)
    kpis = both[both["breakdown"] == ""]
    refs = {y: set(g["ref"]) for y, g in kpis.groupby("year")}
    out = []
    for _, k in kpis[kpis["previous_ref"] != ""].iterrows():
        prev = fy_id(parse_fy(k["year"]) - 1)
        if prev not in refs or (k["year"] not in years and prev not in years):
            continue
        missing = [r for r in previous_refs(k["previous_ref"]) if r not in refs[prev]]
        if not missing:
            continue
        where = (f"stored ({k['year']}'s KPI set); {new_file}, now being loaded, is the "
                 f"{prev} set" if k["year"] not in years else
                 f"the {prev} set is {'in this file' if prev in years else 'stored, from '}"
                 f"{'' if prev in years else stored_files.get(prev, 'the store')}")
        out.append(Problem(
            k["_file"], int(k["_row"]), "previous_ref", k["previous_ref"],
            f"{k['ref']} ({k['year']}) names {', '.join(missing)}, not a ref of the {prev} "
            f"KPI set ({where}); expected refs of {prev}'s KPIs"))
    return out


def check(conn: sa.Connection, new: pd.DataFrame, new_file: str, stored: pd.DataFrame,
          picks: pd.DataFrame) -> None:
    """Raise a :class:`ValidationError` of ``new_file`` listing every broken link."""
    found = problems(new, new_file, stored, _stored_files(conn, picks))
    if found:
        raise ValidationError(new_file, found)
