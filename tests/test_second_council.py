"""A second council, end to end: Kent County Council's first two quarters of 2024-25, from an
empty folder, through the documented commands only (docs/tutorial.md, formerly the README's "Your own council").

The KPIs are Kent's own (seed ``kent-qpr-kpis-2024-25.txt``: names, targets and floors as
published; the seed prints no refs, so the refs follow the QPR's service prefixes), over its
four directorates, rated by the floor scheme, reported quarterly, typed as analysts type
them (``97%``, ``31,000``).  The path a new analyst takes, mistakes included:

1. the catalogue as Kent published it is refused: one floor is on the wrong side of its
   target (higher is better, floor 60 above target 50), and the error suggests the swap;
2. the 2023/24 Q4 actuals cannot be loaded without a 2023-24 catalogue: one grouped line;
3. ``report: all`` for a quarter runs the service report and says it skipped core and
   health (Kent has no monthly core KPIs and no organisational-health themes);
4. a notebook given a directorate that does not exist fails, naming the choices;
5. a revised return shows in ``kpi revisions``; ``kpi audit`` proves both quarters;
   ``kpi status`` lists them, recorded in the ledger.
"""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

import kpilib.notebook as kn
from conftest import write_csv
from kpilib.cli import main
from kpilib.errors import ParamsError
from kpilib.run.locate import find_notebook
from kpilib.run.runner import Job, execute_job, worker_pool

pytestmark = pytest.mark.slow

DCED = "Deputy Chief Executive's Department"
GET = "Growth, Environment and Transport"
CYPE = "Children, Young People and Education"
ASCH = "Adult Social Care and Health"
LOWER = {"polarity": "lower"}

# ref, name, directorate, service area (the QPR's grouping, our key commitment), unit,
# target, floor, extras; targets and floors as Kent typed them
KPIS = [
    ("CS01", "Percentage of callers to Contact Point who rated the advisor who dealt with the "
     "call as good", DCED, "Customer Services", "percent", "97%", "90%", {}),
    ("CS04", "Percentage of phone calls to Contact Point which were answered", DCED,
     "Customer Services", "percent", "90%", "85%", {}),
    ("CS08", "Percentage of complaints responded to within timescale", DCED,
     "Customer Services", "percent", "85%", "80%", {}),
    ("GL01", "Freedom of Information Act (FoI) requests completed within 20 working days", DCED,
     "Governance and Law", "percent", "92%", "90%", {}),
    ("GL02", "Subject Access requests, made under Art 15 of the General Data Protection "
     "Regulations, completed within statutory timescales", DCED, "Governance and Law",
     "percent", "90%", "85%", {}),
    ("GT01", "Number of homes brought back to market through No Use Empty", GET,
     "Growth, Economic Development & Communities", "count", "400", "360", {}),
    ("HT01", "Percentage of routine potholes repaired in 28 days", GET,
     "Environment and Transportation", "percent", "90%", "80%", {}),
    ("HT02", "Percentage of routine highway repairs reported by residents completed within 28 "
     "days", GET, "Environment and Transportation", "percent", "90%", "80%", {}),
    ("WM01", "Percentage of municipal waste recycled or converted to energy and not taken to "
     "landfill", GET, "Environment and Transportation", "percent", "99%", "95%", {}),
    ("NZ01", "GHG emissions (KCC estate/services and Traded Companies) in tonnes, to measure "
     "progress towards Net Zero by 2030", GET, "Environment and Transportation", "number",
     "10,570", "11,627", LOWER),
    ("SISE4", "Percentage of Primary, secondary, Special and PRUs with good or outstanding "
     "Ofsted inspection judgements", CYPE, "Education and Wider Early Help", "percent", "90%",
     "87%", {}),
    ("SEND10", "Percentage of EHCPs issued within 20 weeks", CYPE,
     "Education and Wider Early Help", "percent", "60%", "55%", {}),
    ("SEND19", "Percentage of annual reviews of EHCPs completed within timescale", CYPE,
     "Education and Wider Early Help", "percent", "50%", "60%", {}),  # Kent's own error
    ("SISE16", "Number of pupils permanently excluded from school", CYPE,
     "Education and Wider Early Help", "percent", "0.02%", "0.04%", LOWER),
    ("SCS01", "Percentage of Case holding posts filled by permanent qualified social workers",
     CYPE, "Integrated Children's Services", "percent", "85%", "75%", {}),
    ("ASCH01", "The percentage of people who have their contact resolved by ASCH but then make "
     "contact again within 3 months.", ASCH, "Adult Social Care", "percent", "5%", "9%", LOWER),
    ("ASCH03", "The percentage of people in receipt of a Direct payment with Adult Social Care "
     "& Health", ASCH, "Adult Social Care", "percent", "30%", "24%", {}),
    ("PH01", "Number of eligible population aged 40-74 years old receiving an NHS Health Check "
     "– rolling 12 months", ASCH, "Public Health", "count", "31,000", "24,800", {}),
    ("PH04", "Number of mandated universal checks delivered by the health visiting service – "
     "rolling 12 months", ASCH, "Public Health", "count", "68,000", "54,400", {}),
]
CATALOGUE_HEADER = ["year", "ref", "name", "directorate", "commitment", "report", "frequency",
                    "measure", "unit", "polarity", "target", "floor", "rag_scheme"]
SEND19_ROW = 14  # spreadsheet row (header = 1)

# the values of each quarter as typed (a status instead for NZ01, reported a quarter late)
Q1 = {"CS01": "98%", "CS04": "88.5%", "CS08": "74.2%", "GL01": "83.1%", "GL02": "86.4%",
      "GT01": "421", "HT01": "93.2%", "HT02": "88.7%", "WM01": "99.4%", "NZ01": "arrears",
      "SISE4": "91.8%", "SEND10": "38.6%", "SEND19": "48.6%", "SISE16": "0.04%",
      "SCS01": "74.1%", "ASCH01": "6.2%", "ASCH03": "27.4%", "PH01": "31,612", "PH04": "66,102"}
Q2 = {"CS01": "97.6%", "CS04": "91.2%", "CS08": "81.0%", "GL01": "90.4%", "GL02": "88.0%",
      "GT01": "436", "HT01": "94.0%", "HT02": "90.3%", "WM01": "99.2%", "NZ01": "arrears",
      "SISE4": "92.1%", "SEND10": "41.3%", "SEND19": "55.2%", "SISE16": "0.03%",
      "SCS01": "76.0%", "ASCH01": "4.8%", "ASCH03": "28.1%", "PH01": "32,004", "PH04": "67,350"}
# Kent's 2023/24 Q4 actuals, as the seed prints them
ACTUALS_2023_24 = {"CS01": "98%", "CS04": "92%", "CS08": "56%", "GL01": "78%", "GL02": "28%",
                   "GT01": "474", "HT01": "96%", "HT02": "89%", "WM01": "99.9%", "SISE4": "92%",
                   "SEND10": "13%", "SEND19": "47%", "SISE16": "0.04%", "SCS01": "73.6%",
                   "ASCH03": "26%", "PH01": "31,379"}
RETURNS_HEADER = ["ref", "period", "value", "status", "commentary"]

COUNCIL = """\
name: Kent County Council
primary_colour: "#1e3a5f"
footer: "Strategy, Policy, Relationships and Corporate Assurance · performance@kent.gov.uk"
titles:
  service: Quarterly Performance Report
"""


def catalogue_rows(swap_send19: bool) -> list[dict]:
    rows = []
    for ref, name, directorate, area, unit, target, floor, extra in KPIS:
        if ref == "SEND19" and swap_send19:
            target, floor = floor, target
        rows.append({"year": "2024-25", "ref": ref, "name": name, "directorate": directorate,
                     "commitment": area, "report": "service", "frequency": "quarterly",
                     "measure": "snapshot", "unit": unit, "polarity": "higher", "target": target,
                     "floor": floor, "rag_scheme": "floor", **extra})
    return rows


def returns_rows(period: str, values: dict[str, str], extra: list[dict] = ()) -> list[dict]:
    rows = [{"ref": ref, "period": period, **({"status": v} if v == "arrears" else {"value": v})}
            for ref, v in values.items()]
    return rows + list(extra)


def kpi(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def text_of(html: str) -> str:
    """The page's visible text, whitespace collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def article(html: str, ref: str) -> str:
    """The visible text of one KPI's article on a section page."""
    m = re.search(rf'<article[^>]*id="kpi-{ref.lower()}".*?</article>', html, flags=re.S)
    assert m, f"no article for {ref}"
    return text_of(m.group(0))


def test_kent_first_quarters_from_an_empty_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert not any(tmp_path.iterdir())

    # 1. the catalogue as published: refused, every problem named, the swap suggested
    cat = write_csv(Path("catalogue-2024-25.csv"), CATALOGUE_HEADER, catalogue_rows(False))
    code, out, err = kpi(capsys, "load", "catalogue", str(cat))
    assert code == 1 and out == ""
    assert (f"catalogue-2024-25.csv, row {SEND19_ROW}, column 'floor': '60': SEND19: the floor "
            "60 is on the wrong side of the target 50 for polarity higher (the floor must be "
            "below the target); were they swapped? target 60, floor 50?") in err
    assert "catalogue-2024-25.csv: 1 problem; nothing from this file was stored" in err
    assert "Traceback" not in err
    write_csv(cat, CATALOGUE_HEADER, catalogue_rows(True))  # the analyst swaps them
    code, out, err = kpi(capsys, "load", "catalogue", str(cat))
    assert code == 0, err
    assert out.startswith("loaded catalogue-2024-25.csv: 19 rows")
    assert err == "kpi: store data/kpi.sqlite\n"

    # 2. last year's actuals need last year's catalogue: one line for every row
    actuals = write_csv(Path("returns-2023-24-Q4.csv"), RETURNS_HEADER,
                        returns_rows("2023-24-Q4", ACTUALS_2023_24))
    code, _, err = kpi(capsys, "load", "returns", str(actuals))
    assert code == 1
    lines = err.splitlines()
    assert lines[1] == "returns-2023-24-Q4.csv: 16 problems; nothing from this file was stored"
    assert lines[2].startswith("  returns-2023-24-Q4.csv, rows 2-17, column 'ref' ('CS01', "
                               "'CS04', 'CS08', 'GL01', 'GL02' and 11 more): no catalogue is "
                               "loaded for 2023-24")
    assert len(lines) == 4  # the store, the count, one grouped line, the file total

    # 3. the first quarter's returns, typed as analysts type them
    q1 = write_csv(Path("returns-2024-25-Q1.csv"), RETURNS_HEADER, returns_rows(
        "2024-25-Q1", Q1))
    code, out, err = kpi(capsys, "load", "returns", str(q1))
    assert code == 0, err
    assert out.startswith("loaded returns-2024-25-Q1.csv: 19 rows")

    # 4. council settings and a parameter set per quarter; report: all skips what Kent lacks
    Path("council.yaml").write_text(COUNCIL, encoding="utf-8")
    Path("params").mkdir()
    for q in ("Q1", "Q2"):
        Path(f"params/2024-25-{q}.yaml").write_text(
            f'period: "2024-25-{q}"\nreport: all\nstore: data/kpi.sqlite\n', encoding="utf-8")
    code, out, err = kpi(capsys, "run", "params/2024-25-Q1.yaml", "--quiet")
    assert code == 0, err
    assert "kpi run: skipped core: no core KPIs in the 2024-25 catalogue" in err
    assert "kpi run: skipped health: no health KPIs in the 2024-25 catalogue" in err
    assert re.fullmatch(r"service 2024-25-Q1: 5 pages, 19 KPIs \(.*\) in [\d.]+ s -> "
                        r"outputs/2024-25-Q1/service/index.html\n", out), out
    assert sorted(p.name for p in Path("outputs/2024-25-Q1").iterdir()) == ["service"]

    # 5. the figures on the pages
    folder = Path("outputs/2024-25-Q1/service")
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "Kent County Council" in index and "Quarterly Performance Report" in index
    pages = sorted(p.name for p in folder.glob("*.html"))
    assert pages == ["adult-social-care-and-health.html",
                     "children-young-people-and-education.html",
                     "deputy-chief-executive-s-department.html",
                     "growth-environment-and-transport.html", "index.html"]
    dced = (folder / "deputy-chief-executive-s-department.html").read_text(encoding="utf-8")
    cs04 = article(dced, "CS04")
    assert "88.5%" in cs04 and "Amber" in cs04 and "90%" in cs04  # value, status, target
    assert "Green" in article(dced, "CS01") and "Red" in article(dced, "CS08")
    cype = (folder / "children-young-people-and-education.html").read_text(encoding="utf-8")
    send19 = article(cype, "SEND19")
    assert "48.6%" in send19 and "Red" in send19 and "60%" in send19  # below the floor, 50
    asch = (folder / "adult-social-care-and-health.html").read_text(encoding="utf-8")
    assert "31,612" in article(asch, "PH01") and "Green" in article(asch, "PH01")
    results = pd.read_csv(folder / "results.csv", dtype=str, keep_default_na=False)
    q1_rows = results[(results["column"] == "2024-25-Q1")].set_index("ref")
    assert q1_rows.loc["SISE16", "value"] == "0.04" and q1_rows.loc["SISE16", "rag"] == "Amber"
    assert q1_rows.loc["PH01", "value"] == "31612" and q1_rows.loc["CS01", "value"] == "98"
    assert (q1_rows["rag"].value_counts().to_dict()
            == {"Green": 6, "Amber": 7, "Red": 5, "": 1})  # NZ01 in arrears: no status

    # 6. a notebook given a directorate that does not exist, or a year with no KPIs, fails
    report = kn.open_report("data/kpi.sqlite", "2024-25-Q1", "service")
    with pytest.raises(ParamsError) as e:
        kn.section_page_top(report, "Children's Services")
    assert ("parameter 'section': \"Children's Services\" is not a directorate of the service "
            "report for 2024-25-Q1") in str(e.value)
    assert repr(CYPE) in str(e.value)
    with pytest.raises(ParamsError, match="has no KPIs"):
        kn.overview_page(kn.open_report("data/kpi.sqlite", "2025-26-Q1", "service"))
    # the committed section notebook itself, executed as kpi run executes it (papermill)
    job = Job(find_notebook("service", "section.ipynb", "children-s-services"), "bad", None,
              "bad", {"store": "data/kpi.sqlite", "period": "2024-25-Q1",
                      "report_set": "service", "section": "Children's Services"}, ".")
    with worker_pool() as pool:  # a worker process, as in kpi run
        res = pool.submit(execute_job, job, str(tmp_path / "scratch"), False).result()
    assert not res.ok
    assert "ParamsError: parameter 'section': \"Children's Services\" is not a directorate" \
        in res.error

    # 7. the second quarter, with the first quarter's emissions (a quarter late) and a
    # correction of the first quarter
    q2 = write_csv(Path("returns-2024-25-Q2.csv"), RETURNS_HEADER, returns_rows(
        "2024-25-Q2", Q2, [{"ref": "NZ01", "period": "2024-25-Q1", "value": "11,477",
                            "commentary": "Q1 emissions, reported a quarter late"}]))
    revised = write_csv(Path("returns-2024-25-Q1-revised.csv"), RETURNS_HEADER, [
        {"ref": "CS04", "period": "2024-25-Q1", "value": "89.1%",
         "commentary": "Corrected: calls answered after the quarter's close now counted"}])
    code, out, err = kpi(capsys, "load", "returns", str(q2), str(revised))
    assert code == 0, err
    assert "loaded returns-2024-25-Q2.csv: 20 rows" in out
    code, out, err = kpi(capsys, "run", "params/2024-25-Q2.yaml", "--quiet")
    assert code == 0, err
    assert out.startswith("service 2024-25-Q2: 5 pages, 19 KPIs")
    q2_page = (Path("outputs/2024-25-Q2/service") / "growth-environment-and-transport.html")
    nz01 = article(q2_page.read_text(encoding="utf-8"), "NZ01")
    assert "11,477" in nz01  # the late Q1 figure, in the Q1 column

    code, out, err = kpi(capsys, "revisions", "outputs/2024-25-Q1/service")
    assert code == 0
    assert "kpi: store data/kpi.sqlite (the run's, from its manifest)" in err
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:-1]}
    assert rows["CS04"][:4] == ["CS04", "2024-25-Q1", "88.5", "89.1"]
    assert rows["CS04"][-1] == "returns-2024-25-Q1-revised.csv"
    assert rows["NZ01"][:4] == ["NZ01", "2024-25-Q1", "11477", "arrears"]  # late, not wrong
    assert rows["NZ01"][-1] == "returns-2024-25-Q2.csv"
    assert "2 values revised in outputs/2024-25-Q1/service since it was run" in out

    # 8. the audit verdict: both quarters re-executed and identical, revision or not
    code, out, err = kpi(capsys, "audit", "outputs")
    assert code == 0, out + err
    assert "outputs/2024-25-Q1/service: identical" in out
    assert "outputs/2024-25-Q2/service: identical" in out
    assert out.splitlines()[-1] == "2 runs audited: 2 identical, 0 not"

    # 9. the library of publications
    code, out, err = kpi(capsys, "status", "--json")
    assert code == 0 and err == "kpi: store named by each publication's manifest\n"
    doc = json.loads(out)
    listed = [(p["period"], p["report"], p["current"]["in_ledger"]) for p in doc["publications"]]
    assert listed == [("2024-25-Q1", "service", True), ("2024-25-Q2", "service", True)]
    code, out, _ = kpi(capsys, "status")
    assert code == 0
    assert out.splitlines()[-1] == ("2 publications of 2 reports under outputs: 2 current, "
                                    "0 superseded; 0 not recorded in the ledger")

    # 10. the first quarter re-run after its correction: the publication members saw is kept
    first_index = (folder / "index.html").read_bytes()
    code, out, err = kpi(capsys, "run", "params/2024-25-Q1.yaml", "--quiet")
    assert code == 0, err
    kept = list(Path("outputs/2024-25-Q1/service.superseded").iterdir())
    assert len(kept) == 1 and (kept[0] / "index.html").read_bytes() == first_index
    rerun = pd.read_csv(folder / "results.csv", dtype=str, keep_default_na=False)
    cs04_now = rerun[(rerun["ref"] == "CS04") & (rerun["column"] == "2024-25-Q1")]
    assert cs04_now["value"].tolist() == ["89.1"]
    code, out, err = kpi(capsys, "status", "--json")
    q1 = next(p for p in json.loads(out)["publications"] if p["period"] == "2024-25-Q1")
    assert len(q1["superseded"]) == 1
    assert "CS04" in json.dumps(q1["current"])  # the figures it changed from the one before
    code, out, err = kpi(capsys, "audit", "outputs")
    assert code == 0, out + err
    assert out.splitlines()[-1] == "3 runs audited: 3 identical, 0 not"
    # 0.04% is shown as 0.04%, not rounded to 0.0%
    gl = (folder / "growth-environment-and-transport.html").read_text(encoding="utf-8")
    page = gl + cype + asch + dced
    assert "0.04%" in article(page, "SISE16")
