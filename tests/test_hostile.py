"""A corpus of hostile and odd inputs through every command of ``kpi``.

Each case must end in a clear message on standard error and exit 1 (2 for a usage error):
never a traceback, never exit 0, nothing stored (the store file's bytes and row counts are
unchanged) and no published run folder touched (its files' hashes and the output folder's
listing are unchanged).  The bad stores are tried on every command the parser lists, so a
new command must be added to ``COMMANDS`` here before the suite passes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from kpilib import cli
from kpilib.cli import build_parser, main
from kpilib.ingest import files
from kpilib.publish.manifest import output_hashes
from kpilib.store import Store

ROOT = Path(__file__).resolve().parents[1]
DEMO_AS_OF = "2025-06-30T00:00:00.000000Z"  # after every demo load
RETURNS_HEADER = "ref,period,breakdown,value,numerator,denominator,status,commentary\n"


@dataclass
class World:
    root: Path
    store: Path  # a copy of the demo store
    published: Path  # a published run folder
    out: Path  # its output folder
    params: Path  # a valid parameter file for that run
    catalogue: Path  # a valid catalogue file (already loaded)
    returns: Path  # a valid returns file, not yet loaded

    def file(self, name: str, data: bytes | str) -> str:
        path = self.root / "inputs" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return str(path)

    def deep_folder(self) -> str:
        """Folders nested deeper than any output tree, a manifest at the bottom."""
        path = self.root / "deep"
        bottom = path.joinpath(*"abcdefg")
        bottom.mkdir(parents=True, exist_ok=True)
        (bottom / "manifest.json").write_text("{}")
        return str(path)

    def special(self, kind: str) -> str:
        """A path that is not a regular file: a FIFO, a symlink (to a file, to nothing, to
        a folder), a folder whose library would be a FIFO, a key whose .pub is a link."""
        base = self.root / "special"
        base.mkdir(exist_ok=True)
        target = base / "target.txt"
        target.write_text("not to be overwritten\n")
        path = base / kind
        if kind == "fifo-library":
            path.mkdir(exist_ok=True)
            shutil.copytree(self.published, path / "2024-02" / "core", dirs_exist_ok=True)
            if not os.path.lexists(path / "index.html"):
                os.mkfifo(path / "index.html")
            return str(path)
        if kind == "pub-link":
            path = base / "council.pem"
            if not os.path.lexists(base / "council.pub"):
                os.symlink(base / "nowhere.pub", base / "council.pub")
            return str(path)
        if not os.path.lexists(path):
            if kind == "fifo":
                os.mkfifo(path)
            elif kind == "dangling":
                os.symlink(base / "nowhere.csv", path)
            elif kind == "dir-link":
                (base / "real-outputs").mkdir(exist_ok=True)
                os.symlink(base / "real-outputs", path)
            else:
                os.symlink(target, path)
        return str(path)

    def folder(self, name: str, manifest: bytes | None = None) -> str:
        path = self.root / "folders" / name
        path.mkdir(parents=True, exist_ok=True)
        if manifest is not None:
            (path / "manifest.json").write_bytes(manifest)
        return str(path)


@pytest.fixture(scope="module")
def world(tmp_path_factory, test_store, core_run) -> World:
    root = tmp_path_factory.mktemp("hostile")
    store = Path(shutil.copy(test_store, root / "kpi.sqlite"))
    out = core_run.folder.parents[1]
    params = root / "2024-02.yaml"
    params.write_text(f'period: "2024-02"\nreport: core\nstore: {store}\n'
                      f'as_of: "{DEMO_AS_OF}"\noutput_dir: {out}\n')
    returns = root / "returns-2024-02-resubmitted.csv"
    returns.write_text(RETURNS_HEADER + "AFL13,2024-02,,28,,,,\n")
    catalogue = ROOT / "tests" / "data" / "catalogue-2024-25.csv"
    return World(root, store, core_run.folder, out, params, catalogue, returns)


def _sha(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def state(w: World):
    """Everything a failed command must leave as it was."""
    with Store.open(w.store) as s:
        counts = s.counts()
    listing = sorted(p.relative_to(w.out).as_posix() for p in w.out.rglob("*"))
    return _sha(w.store), counts, output_hashes(w.published), listing


def refused(w: World, argv: list[str], capsys) -> str:
    """Run ``kpi argv`` in-process and check it was refused cleanly; returns stderr."""
    before = state(w)
    code = main(argv)  # an exception escaping here is a traceback: the test fails with it
    err = capsys.readouterr().err
    assert code in (1, 2), f"exit {code} for hostile input: {argv}\n{err}"
    assert "Traceback" not in err and err.strip(), err
    lines = err.splitlines()
    assert all(len(line) <= cli.LINE_CHARS for line in lines), "an unbounded message"
    assert len(err) < 20_000, "an unbounded message"
    assert state(w) == before, "the store or a published folder changed"
    return err


def _manifest(store="kpi.sqlite", python="3.11.7", packages=None) -> bytes:
    """A manifest of the right shape naming what a forger chooses."""
    return json.dumps({"manifest_format": 2, "as_of": DEMO_AS_OF, "outputs": {},
                       "parameters": {"period": "2024-02", "report": "core", "store": store},
                       "code": {"kpilib_version": "0.1.0", "commit": "c" * 40},
                       "environment": {"python": python, "packages": packages or {}}}).encode()


# --------------------------------------------------------------------------- every command

# argv of each command, valid but for what a case makes hostile (the store, by --store)
COMMANDS = {
    "load catalogue": lambda w: ["load", "catalogue", str(w.catalogue)],
    "load returns": lambda w: ["load", "returns", str(w.returns)],
    "run": lambda w: ["run", str(w.params), "--quiet"],
    "results": lambda w: ["results", "--period", "2024-02", "--report", "core"],
    "audit": lambda w: ["audit", str(w.published), "--jobs", "1"],
    "revisions": lambda w: ["revisions"],
    "status": lambda w: ["status", str(w.out)],
    "demo": lambda w: ["demo", "--data-dir", str(w.root / "demo-files")],
    "doctor": lambda w: ["doctor", str(w.out)],
    "keygen": lambda w: ["keygen", str(w.root / "keys" / "council.pem")],
    "fleet": lambda w: ["fleet", w.file("fleet.yaml", "councils: []\n"), "--quiet"],
    "load programmes": lambda w: ["load", "programmes", w.file(
        "programmes.csv", "programme,period,status\nLibrary review,2024-02,Green\n")],
    "load comparators": lambda w: ["load", "comparators", w.file(
        "comparators.csv", "ref,group,period,value\nAFL13,England,2023-24,25\n")],
    "load targets": lambda w: ["load", "targets", w.file(
        "targets.csv", "ref,period,target\nAFL13,2024-02,23\n")],
    "load overrides": lambda w: ["load", "overrides", w.file(
        "overrides.csv", "ref,period,status,reason,by\nAFL13,2024-02,Amber,Late data,Director\n")],
    "load bodies": lambda w: ["load", "bodies", w.file(
        "bodies.csv", "body,name,kind\nE06000061,North Northamptonshire,unitary\n")],
    "load groups": lambda w: ["load", "groups", w.file(
        "groups.csv", "group,body\nNearest neighbours,E06000061\n")],
    "load benchmarks": lambda w: ["load", "benchmarks", w.file(
        "benchmarks.csv", "body,metric,period,value,unit\nE06000061,m1,2023-24,25,percent\n")],
    "load annotations": lambda w: ["load", "annotations", w.file(
        "annotations.csv", "ref,period,text,rebase\nAFL13,2024-02,New triage process,yes\n")],
    "changes": lambda w: ["changes", "--from", "2024-25", "--to", "2025-26", "--output-dir",
                          str(w.root / "changes-out"), "--as-of", DEMO_AS_OF],
    "export": lambda w: ["export", str(w.published), "--xlsx"],
    "template": lambda w: ["template", "returns", "--period", "2024-02", "--output",
                           str(w.root / "template-out.xlsx")],
    "signoff": lambda w: ["signoff", str(w.published), "--name", "Jo Bloggs", "--role",
                          "Director", "--decision", "approved"],
}
# Commands that open a store only when they need one: keygen never does, doctor only to
# check an interrupted publication against the ledger; a fleet's stores are in its file.
# A bad store is no input of theirs.
STORELESS = {"doctor", "keygen", "fleet", "signoff"}
# a read-only store is refused (changes records its publication in the store's ledger)
LOADS = {"load catalogue", "load returns", "load programmes", "load comparators", "load targets",
         "load overrides", "load bodies", "load groups", "load benchmarks", "load annotations"}
WRITES = {*LOADS, "run", "demo", "changes"}
CREATES = {*LOADS, "demo"}  # a missing SQLite file is a new store


def parser_commands() -> set[str]:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    names = set()
    for name, p in sub.choices.items():
        kinds = [a for a in p._actions if isinstance(a, type(sub))]
        names |= {f"{name} {k}" for k in kinds[0].choices} if kinds else {name}
    return names


def test_every_command_is_in_the_corpus():
    missing = parser_commands() - set(COMMANDS)
    assert not missing, f"add {sorted(missing)} to COMMANDS in tests/test_hostile.py"


def _bad_stores(w: World) -> dict[str, str]:
    corrupt = w.root / "stores" / "random-bytes.sqlite"
    corrupt.parent.mkdir(exist_ok=True)
    corrupt.write_bytes(bytes(range(256)) * 64)
    text = w.root / "stores" / "a-csv-file.sqlite"
    text.write_text(RETURNS_HEADER)
    folder = w.root / "stores" / "a-folder"
    folder.mkdir(exist_ok=True)
    return {"a folder": str(folder), "random bytes": str(corrupt), "a CSV file": str(text),
            "an unparseable URL": "://", "an unknown database driver": "nosuchdb://x/y",
            "empty text": "", "a missing file": str(w.root / "stores" / "none.sqlite"),
            "read-only": f"sqlite:///file:{w.store}?mode=ro&uri=true"}


STORE_CASES = ["a folder", "random bytes", "a CSV file", "an unparseable URL",
               "an unknown database driver", "empty text", "a missing file", "read-only"]


def _store_cases():
    for command in sorted(set(COMMANDS) - STORELESS):
        for case in STORE_CASES:
            if case == "read-only" and command not in WRITES:
                continue  # reading a read-only store is fine
            if case == "a missing file" and command in CREATES:
                continue  # a missing SQLite file is a new store for this command
            yield pytest.param(command, case, id=f"{command}: store {case}")


@pytest.mark.parametrize(("command", "store_case"), list(_store_cases()))
def test_every_command_refuses_a_bad_store(world, capsys, command, store_case):
    store = _bad_stores(world)[store_case]
    refused(world, ["--store", store, *COMMANDS[command](world)], capsys)
    if store_case == "a missing file":
        assert not Path(store).exists(), "a read created a store"


# --------------------------------------------------------------------------- hostile files


def _xlsx(rows) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _zip_bomb(inflated: int) -> bytes:
    """An .xlsx-shaped zip whose sheet inflates to ``inflated`` bytes of zeros."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            chunk = b"0" * (1 << 20)
            for _ in range(inflated // len(chunk)):
                f.write(chunk)
    return buf.getvalue()


def _declares(data: bytes, size: int) -> bytes:
    """A zip whose central directory claims its last member inflates to ``size`` bytes."""
    i = data.rfind(b"PK\x01\x02")
    return data[:i + 24] + size.to_bytes(4, "little") + data[i + 28:]


# (id, file name, content or a function of the world, limits to set) -> refused
FILE_CASES = [
    ("random bytes", "r.csv", bytes(range(256)) * 8, {}),
    ("an empty file", "r.csv", b"", {}),
    ("a byte-order mark only", "r.csv", b"\xef\xbb\xbf", {}),
    ("a header only", "r.csv", RETURNS_HEADER, {}),
    ("Latin-1 text", "r.csv", (RETURNS_HEADER + "AFL13,2024-02,,1,,,,£\n").encode("latin-1"), {}),
    ("UTF-16 text", "r.csv", (RETURNS_HEADER + "AFL13,2024-02,,1,,,,\n").encode("utf-16"), {}),
    ("a CSV named .xlsx", "r.xlsx", RETURNS_HEADER + "AFL13,2024-02,,1,,,,\n", {}),
    ("a zip that is not a workbook", "r.xlsx", lambda: _zip_bomb(1 << 20), {}),
    ("a zip that lies about its size", "r.xlsx", lambda: _declares(_zip_bomb(1 << 20), 1000),
     {}),
    ("a zip bomb (inflates past the limit)", "r.xlsx", lambda: _zip_bomb(8 << 20),
     {"MAX_UNPACKED_BYTES": 4 << 20}),
    ("a zip declaring 1 GB", "r.xlsx", lambda: _declares(_zip_bomb(1 << 20), 1 << 30), {}),
    ("a file over the size limit", "r.csv", RETURNS_HEADER + "AFL13,2024-02,,1,,,,\n" * 2000,
     {"MAX_FILE_BYTES": 10_000}),
    ("an endless file (/dev/zero)", "/dev/zero", None, {}),
    ("more rows than the limit", "r.csv", RETURNS_HEADER + "AFL13,2024-02,,1,,,,\n" * 100,
     {"MAX_ROWS": 50}),
    ("a row of 300 values", "r.csv", RETURNS_HEADER + "AFL13,2024-02" + ",1" * 298 + "\n", {}),
    ("a 1 MB CSV value", "r.csv", RETURNS_HEADER + "AFL13,2024-02,,1,,,," + "x" * 2**20 + "\n",
     {}),
    ("a 100 KB ref in an .xlsx", "r.xlsx",
     lambda: _xlsx([RETURNS_HEADER.strip().split(","), ["R" * 100_000, "2024-02", "", 1]]), {}),
    ("a 10 KB unknown ref", "r.csv", RETURNS_HEADER + "R" * 10_000 + ",2024-02,,1,,,,\n", {}),
    ("a formula as a ref", "r.csv", RETURNS_HEADER + '"=HYPERLINK(""http://x"",""y"")",'
                                                     "2024-02,,1,,,,\n", {}),
    ("a folder", "a-folder", "FOLDER", {}),
    ("a missing file", "missing.csv", "MISSING", {}),
    ("an .xlsx with no worksheet rows", "r.xlsx", lambda: _xlsx([]), {}),
]


@pytest.mark.parametrize("kind", ["catalogue", "returns"])
@pytest.mark.parametrize(("name", "content", "limits"), [
    pytest.param(n, c, lim, id=i) for i, n, c, lim in FILE_CASES])
def test_hostile_files_are_refused_by_load(world, capsys, monkeypatch, kind, name, content,
                                           limits):
    for key, value in limits.items():
        monkeypatch.setattr(files, key, value)
    if content is None:
        path = name
    elif content == "FOLDER":
        path = world.folder(name)
    elif content == "MISSING":
        path = str(world.root / "inputs" / name)
    else:
        path = world.file(name, content() if callable(content) else content)
    err = refused(world, ["--store", str(world.store), "load", kind, path], capsys)
    assert "nothing from this file was stored" in err or "1 of 1 file failed" in err


def _catalogue_with(w: World, **changes) -> str:
    """The world's (loaded) catalogue file with its first KPI row's cells changed."""
    import csv

    with open(w.catalogue, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    rows[0].update(changes)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return w.file("catalogue-changed.csv", buf.getvalue())


# (id, kind, file builder): one kind's file whose content loses data or contradicts itself
CONTENT_CASES = [
    ("a value in Arabic-Indic digits", "returns",
     lambda w: w.file("r.csv", RETURNS_HEADER + "AFL13,2024-02,,٢٨,,,,\n")),
    ("a value in full-width digits", "returns",
     lambda w: w.file("r.csv", RETURNS_HEADER + "AFL13,2024-02,,２８,,,,\n")),
    ("a period in Arabic-Indic digits", "returns",
     lambda w: w.file("r.csv", RETURNS_HEADER + "AFL13,٢٠٢٤-٠٢,,28,,,,\n")),
    ("a NUL in commentary", "returns",
     lambda w: w.file("r.csv", RETURNS_HEADER + "AFL13,2024-02,,28,,,,Fewer\x00\n")),
    ("a target in Arabic-Indic digits", "catalogue", lambda w: _catalogue_with(w, target="٣")),
    ("a floor in full-width digits", "catalogue", lambda w: _catalogue_with(w, floor="２０")),
    ("a directorate of 300 characters", "catalogue",
     lambda w: _catalogue_with(w, directorate="D" * 300)),
    ("a NUL in a directorate", "catalogue",
     lambda w: _catalogue_with(w, directorate="Fin\x00ance")),
    ("a NUL in a KPI's name", "catalogue", lambda w: _catalogue_with(w, name="Visits\x00")),
    ("a bidi override in a commitment", "catalogue",
     lambda w: _catalogue_with(w, commitment="Safe\u202eplaces")),
    ("a negative tolerance", "catalogue", lambda w: _catalogue_with(w, tolerance="-5%")),
    ("pp on a count KPI", "catalogue",
     lambda w: _catalogue_with(w, unit="count", target="480", tolerance="5pp")),
    ("a band on the better side of the target", "catalogue",
     lambda w: _catalogue_with(w, unit="count", polarity="higher", target="480",
                               tolerance="500-520")),
    ("per month not the annual target", "catalogue",
     lambda w: _catalogue_with(w, measure="sum", unit="count", polarity="higher",
                               target="264 (20 per month)", tolerance="")),
    ("a profile not ending at its annual target", "catalogue",
     lambda w: _catalogue_with(w, measure="cumulative", unit="count", polarity="higher",
                               target="98 (1;2;3;4;5;6;7;8;9;10;11;97)", tolerance="")),
    ("a floor at its target", "catalogue",
     lambda w: _catalogue_with(w, unit="count", polarity="higher", target="480", floor="480",
                               rag_scheme="floor", tolerance="")),
    ("a comparator value in Devanagari digits", "comparators",
     lambda w: w.file("c.csv", "ref,group,period,value\nAFL13,England,2023-24,२५\n")),
    ("a NUL in a comparator group", "comparators",
     lambda w: w.file("c.csv", "ref,group,period,value\nAFL13,Eng\x00land,2023-24,25\n")),
    ("a NUL in an annotation", "annotations",
     lambda w: w.file("a.csv", "ref,period,text\nAFL13,2024-02,New\x00triage\n")),
    ("a bidi override in an annotation's ref", "annotations",
     lambda w: w.file("a.csv", "ref,period,text\nAFL\u202e13,2024-02,New triage\n")),
    ("a NUL in a programme", "programmes",
     lambda w: w.file("p.csv", "programme,period,status\nLib\x00rary,2024-02,Green\n")),
    ("a due date in Arabic-Indic digits", "programmes",
     lambda w: w.file("p.csv", "programme,period,status,due\nLibrary,2024-02,Green,"
                               "٢٠٢٥-٠٣-٣١\n")),
]


@pytest.mark.parametrize(("kind", "make"), [pytest.param(k, m, id=i) for i, k, m in CONTENT_CASES])
def test_content_that_loses_data_is_refused_by_load(world, capsys, kind, make):
    err = refused(world, ["--store", str(world.store), "load", kind, make(world)], capsys)
    assert "nothing from this file was stored" in err


# --------------------------------------------------------------------------- Ctrl-C


@pytest.mark.parametrize(("argv", "target"), [
    pytest.param(lambda w: ["run", str(w.params), "--quiet"], "kpilib.publish.publish.write_text",
                 id="run, once its pages are made"),
    pytest.param(lambda w: ["export", str(w.published), "--pdf"],
                 "kpilib.publish.pdfpack.build_pdf", id="export --pdf"),
])
def test_ctrl_c_is_interrupted_exit_130_with_nothing_published(world, capsys, monkeypatch,
                                                              argv, target):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(target, interrupt)
    before = state(world)
    assert main(["--store", str(world.store), *argv(world)]) == 130
    err = capsys.readouterr().err
    assert err.endswith("interrupted\n") and "Traceback" not in err, err
    assert state(world) == before, "a run folder, the store or the output folder changed"


def test_a_real_ctrl_c_during_a_run_stops_it_cleanly(world, tmp_path):
    """SIGINT to the run's whole process group (what a terminal's Ctrl-C does) once its
    staging folder exists: no worker or zygote prints a traceback, exit 130, nothing
    published and no staging folder left."""
    import signal
    import time

    out = tmp_path / "outputs"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "kpilib.cli", "run", str(world.params),
                             "--output-dir", str(out), "--quiet"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    while not list(out.glob("2024-02/.core.staging-*")) and proc.poll() is None:
        assert time.monotonic() < deadline, "the run never started its staging folder"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.endswith("kpi run: interrupted\n") and "Traceback" not in err, err
    assert [p.name for p in (out / "2024-02").iterdir()] == [], "something was left behind"


def test_a_real_zip_bomb_is_refused_before_it_inflates(world, capsys):
    """A 1 MB .xlsx that inflates to 1 GB, at the default limits: refused from the zip's
    directory, in well under a second."""
    import time

    bomb = world.file("bomb.xlsx", _declares(_zip_bomb(1 << 20), 1 << 30))
    start = time.perf_counter()
    err = refused(world, ["--store", str(world.store), "load", "returns", bomb], capsys)
    assert time.perf_counter() - start < 5
    assert "the workbook unpacks to 1,024 MB, more than the 256 MB kpilib reads" in err


def test_a_long_value_is_echoed_cut_short(world, capsys):
    path = world.file("long.csv", RETURNS_HEADER + "R" * 10_000 + ",2024-02,,1,,,,\n")
    err = refused(world, ["--store", str(world.store), "load", "returns", path], capsys)
    assert "R" * 79 + "…" in err and "R" * 81 not in err


# --------------------------------------------------------------------------- command options

BILLION_LAUGHS = "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nperiod: *b\n"

# (id, argv builder): each refused, whatever the store
OPTION_CASES = [
    ("run: params a list", lambda w: ["run", w.file("p.yaml", "- period: 2024-02\n")]),
    ("run: params a scalar", lambda w: ["run", w.file("p.yaml", "2024-02\n")]),
    ("run: params UTF-16", lambda w: ["run", w.file("p.yaml", "period: x\n".encode("utf-16"))]),
    ("run: params binary", lambda w: ["run", w.file("p.yaml", bytes(range(256)))]),
    ("run: params an alias bomb", lambda w: ["run", w.file("p.yaml", BILLION_LAUGHS)]),
    ("run: params a folder", lambda w: ["run", w.folder("params")]),
    ("run: params missing", lambda w: ["run", str(w.root / "none.yaml")]),
    ("run: params empty", lambda w: ["run", w.file("p.yaml", "")]),
    ("run: output_dir a file", lambda w: ["run", str(w.params), "--output-dir",
                                          w.file("out", "x")]),
    ("run: output_dir under a file", lambda w: ["run", str(w.params), "--output-dir",
                                                w.file("out", "x") + "/sub"]),
    ("run: output_dir not writable", lambda w: ["run", str(w.params), "--output-dir",
                                                "/sys/kpi-hostile-outputs"]),
    ("run: as_of not a time", lambda w: ["run", str(w.params), "--as-of", "last Tuesday"]),
    ("run: as_of in the future", lambda w: ["run", str(w.params), "--as-of", "2999-01-01"]),
    ("run: no arguments", lambda w: ["run"]),
    ("results: output a folder", lambda w: ["results", "--period", "2024-02", "--report",
                                            "core", "--output", w.folder("results-out")]),
    ("results: output under a file", lambda w: ["results", "--period", "2024-02", "--report",
                                                "core", "--output", w.file("f", "x") + "/r.csv"]),
    ("results: period not a period", lambda w: ["results", "--period", "=1+1", "--report",
                                                "core"]),
    ("results: a 100 KB period", lambda w: ["results", "--period", "9" * 100_000, "--report",
                                            "core"]),
    ("results: unknown report", lambda w: ["results", "--period", "2024-02", "--report", "x"]),
    ("results: as_of not a time", lambda w: ["results", "--period", "2024-02", "--report",
                                             "core", "--as-of", "soon"]),
    ("audit: a file", lambda w: ["audit", w.file("a-file", "x")]),
    ("audit: an empty folder", lambda w: ["audit", w.folder("empty")]),
    ("audit: a missing folder", lambda w: ["audit", str(w.root / "none")]),
    ("audit: manifest {}", lambda w: ["audit", w.folder("m1", b"{}")]),
    ("audit: manifest []", lambda w: ["audit", w.folder("m2", b"[]")]),
    ("audit: manifest null", lambda w: ["audit", w.folder("m3", b"null")]),
    ("audit: manifest binary", lambda w: ["audit", w.folder("m4", bytes(range(256)))]),
    ("audit: the root of the file system", lambda w: ["audit", "/"]),
    ("audit: a folder of no runs", lambda w: ["audit", w.deep_folder()]),
    ("audit: jobs not a number", lambda w: ["audit", str(w.published), "--jobs", "x"]),
    ("audit: a manifest naming a store elsewhere", lambda w: [
        "audit", w.folder("m5", _manifest(store="/elsewhere/evil.sqlite"))]),
    ("audit: a manifest naming a store URL", lambda w: [
        "audit", w.folder("m6", _manifest(store="postgresql://evil.example/kpi"))]),
    ("audit: a manifest naming an interpreter", lambda w: [
        "--store", str(w.store), "audit", w.folder("m7", _manifest(
            python=w.file("evil.sh", "#!/bin/sh\ntouch ran\n"))), "--recorded-env"]),
    ("audit: a manifest naming an index", lambda w: [
        "--store", str(w.store), "audit", w.folder("m8", _manifest(
            packages={"--index-url=http://evil.example/simple": "1"})), "--recorded-env"]),
    ("audit: council settings missing", lambda w: [
        "audit", str(w.published), "--council", str(w.root / "none.yaml")]),
    ("changes: years not consecutive", lambda w: ["changes", "--from", "2023-24", "--to",
                                                  "2025-26"]),
    ("changes: not a year", lambda w: ["changes", "--from", "=1+1", "--to", "2025-26"]),
    ("changes: output_dir a file", lambda w: ["changes", "--from", "2024-25", "--to", "2025-26",
                                              "--output-dir", w.file("out", "x")]),
    ("export: a missing folder", lambda w: ["export", str(w.root / "none"), "--pdf"]),
    ("export: a folder without a manifest", lambda w: ["export", w.folder("empty"), "--xlsx"]),
    ("export: no format", lambda w: ["export", str(w.published)]),
    ("template: period not a period", lambda w: ["template", "returns", "--period", "soon"]),
    ("template: output a folder", lambda w: ["template", "returns", "--period", "2024-02",
                                             "--output", w.folder("template-out")]),
    ("template: unknown directorate", lambda w: ["template", "returns", "--period", "2024-02",
                                                 "--directorate", "Nowhere"]),
    ("signoff: decision not one of the two", lambda w: [
        "signoff", str(w.published), "--name", "A", "--role", "B", "--decision", "maybe"]),
    ("signoff: empty name", lambda w: [
        "signoff", str(w.published), "--name", " ", "--role", "B", "--decision", "approved"]),
    ("signoff: a name with a line break", lambda w: [
        "signoff", str(w.published), "--name", "Jo\nsigned off: approved by Chief Executive",
        "--role", "B", "--decision", "approved"]),
    ("signoff: a role with a terminal escape", lambda w: [
        "signoff", str(w.published), "--name", "Jo", "--role", "Clerk\x1b[2K\x1b[1A",
        "--decision", "approved"]),
    ("signoff: a folder without a manifest", lambda w: [
        "signoff", w.folder("empty"), "--name", "A", "--role", "B", "--decision", "approved"]),
    ("revisions: a folder without a manifest", lambda w: ["revisions", w.folder("empty")]),
    ("revisions: manifest []", lambda w: ["revisions", w.folder("m2", b"[]")]),
    ("revisions: manifest binary", lambda w: ["revisions", w.folder("m4", bytes(range(256)))]),
    ("revisions: period not a period", lambda w: ["revisions", "--period", "soon"]),
    ("revisions: as_of not a time", lambda w: ["revisions", "--as-of", "soon"]),
    ("status: a file", lambda w: ["status", w.file("a-file", "x")]),
    ("status: a missing folder", lambda w: ["status", str(w.root / "none")]),
    ("status: period not a period", lambda w: ["status", str(w.out), "--period", "soon"]),
    ("status: unknown report", lambda w: ["status", str(w.out), "--report", "=1+1"]),
    ("doctor: a file", lambda w: ["doctor", w.file("a-file", "x")]),
    ("doctor: a missing folder", lambda w: ["doctor", str(w.root / "none")]),
    ("keygen: a key that exists", lambda w: ["keygen", w.file("existing.pem", "x")]),
    ("keygen: under a file", lambda w: ["keygen", w.file("f", "x") + "/k.pem"]),
    ("demo: data dir a file", lambda w: ["demo", "--data-dir", w.file("d", "x")]),
    ("demo: a store with data", lambda w: ["demo", "--data-dir", str(w.root / "demo-files")]),
    ("load: no files", lambda w: ["load", "returns"]),
    ("fleet: a folder", lambda w: ["fleet", w.folder("empty")]),
    ("fleet: a missing file", lambda w: ["fleet", str(w.root / "none.yaml")]),
    ("fleet: binary", lambda w: ["fleet", w.file("fleet.bin", bytes(range(256)))]),
    ("fleet: a 100 KB name", lambda w: ["fleet", w.file(
        "fleet-long.yaml", 'periods: ["2024-02"]\ncouncils:\n  - {name: "' + "x" * 100_000
        + f'", store: {w.store}}}\n')]),
    ("fleet: a bad store", lambda w: ["fleet", w.file(
        "fleet-bad.yaml", 'periods: ["2024-02"]\ncouncils:\n  - {name: a, store: "://"}\n'),
        "--quiet", "--workers", "1"]),
    ("fleet: workers not a number", lambda w: ["fleet", w.file("fleet.yaml", "councils: []\n"),
                                               "--workers", "x"]),
    ("fleet: audit with no runs", lambda w: ["fleet", w.file(
        "fleet-none.yaml", f'periods: ["2024-02"]\ncouncils:\n  - {{name: a, store: {w.store}, '
        f'output_dir: {w.root / "no-runs"}}}\n'), "--audit"]),
    ("an unknown command", lambda w: ["frobnicate"]),
    # outputs go only to regular files in folders the user meant (kpilib/io/outpaths.py)
    ("template: output a device", lambda w: ["template", "returns", "--period", "2024-02",
                                             "--output", "/dev/full"]),
    ("template: output a FIFO", lambda w: ["template", "returns", "--period", "2024-02",
                                           "--output", w.special("fifo")]),
    ("template: output a symlink", lambda w: ["template", "returns", "--period", "2024-02",
                                              "--output", w.special("link")]),
    ("results: output a device", lambda w: ["results", "--period", "2024-02", "--report",
                                            "core", "--output", "/dev/full"]),
    ("results: output a FIFO", lambda w: ["results", "--period", "2024-02", "--report",
                                          "core", "--output", w.special("fifo")]),
    ("results: output a dangling symlink", lambda w: ["results", "--period", "2024-02",
                                                      "--report", "core", "--output",
                                                      w.special("dangling")]),
    ("status: html in a folder of no publications", lambda w: ["status", w.folder("empty"),
                                                                "--html"]),
    ("status: html over a FIFO", lambda w: ["status", w.special("fifo-library"), "--html"]),
    ("run: output_dir the root", lambda w: ["run", str(w.params), "--output-dir", "/"]),
    ("run: output_dir a symlink", lambda w: ["run", str(w.params), "--output-dir",
                                             w.special("dir-link")]),
    ("run: output_dir a device", lambda w: ["run", str(w.params), "--output-dir", "/dev/null"]),
    ("changes: output_dir the root", lambda w: [
        "changes", "--from", "2024-25", "--to", "2025-26", "--output-dir", "/"]),
    ("fleet: output_dir the root", lambda w: ["fleet", w.file(
        "fleet-root.yaml", f'periods: ["2024-02"]\ncouncils:\n  - {{name: a, store: {w.store}, '
        'output_dir: /}\n'), "--quiet", "--workers", "1"]),
    ("keygen: a private key named .pub", lambda w: ["keygen", str(w.root / "keys" / "x.pub")]),
    ("keygen: a symlink", lambda w: ["keygen", w.special("key-link")]),
    ("keygen: a dangling public key link", lambda w: ["keygen", w.special("pub-link")]),
    ("demo: data dir the root", lambda w: ["demo", "--data-dir", "/"]),
]


def _params(w: World, line: str) -> str:
    """The world's parameter file with ``line`` added (a later key given twice replaces)."""
    keys = {k.split(":")[0] for k in [line]}
    kept = [x for x in w.params.read_text().splitlines() if x.split(":")[0] not in keys
            or line.startswith("period")]
    return w.file("p-extra.yaml", "\n".join([*kept, line]) + "\n")


def _changed_manifest(w: World, name: str, change) -> str:
    """A folder holding the published run's manifest, changed by ``change(manifest)``."""
    import json

    m = json.loads((w.published / "manifest.json").read_text())
    change(m)
    return w.folder(name, json.dumps(m).encode())


# issue 20: inputs that lost data silently or printed a traceback
OPTION_CASES += [
    ("run: as_of a huge number", lambda w: ["run", _params(w, "as_of: 1" + "0" * 30)]),
    ("run: as_of past the year 9999 in UTC", lambda w: ["run", str(w.params), "--as-of",
                                                       "9999-12-31T23:59:59-12:00"]),
    ("run: as_of before the year 1 in UTC", lambda w: ["run", str(w.params), "--as-of",
                                                      "0001-01-01T00:00:00+01:00"]),
    ("run: output_dir with a NUL", lambda w: ["run", _params(w, 'output_dir: "o\\0ut"')]),
    ("run: output_dir option with a NUL", lambda w: ["run", str(w.params), "--output-dir",
                                                    "o\0ut"]),
    ("run: params with a key twice", lambda w: ["run", _params(w, 'period: "2024-03"')]),
    ("run: params with a nested key twice", lambda w: ["run", w.file(
        "p.yaml", "period: {a: 1, a: 2}\n")]),
    ("results: as_of past the year 9999 in UTC", lambda w: [
        "results", "--period", "2024-02", "--report", "core", "--as-of",
        "9999-12-31T23:59:59-12:00"]),
    ("fleet: a key twice", lambda w: ["fleet", w.file(
        "fleet-twice.yaml", f'periods: ["2024-02"]\ncouncils:\n  - {{name: a, store: {w.store}, '
        "name: b}\n")]),
    ("fleet: an output_dir with a NUL", lambda w: ["fleet", w.file(
        "fleet-nul.yaml", f'periods: ["2024-02"]\ncouncils:\n  - {{name: a, store: {w.store}, '
        'output_dir: "o\\0ut"}\n')]),
    ("fleet: as_of a huge number", lambda w: ["fleet", w.file(
        "fleet-as-of.yaml", f'periods: ["2024-02"]\nas_of: 1{"0" * 30}\ncouncils:\n'
        f"  - {{name: a, store: {w.store}}}\n")]),
    ("audit: manifest council a number", lambda w: ["audit", _changed_manifest(
        w, "m-council", lambda m: m["parameters"].update(council=5))]),
    ("audit: a tree with a manifest whose council is a number", lambda w: [
        "audit", str(Path(_changed_manifest(w, "tree/2024-02/core", lambda m: m[
            "parameters"].update(
            council=5))).parents[1])]),
    ("export: manifest council a number", lambda w: ["export", _changed_manifest(
        w, "m-council-record", lambda m: m.update(council=5)), "--xlsx"]),
    ("export: manifest loads_through not a number", lambda w: ["export", _changed_manifest(
        w, "m-bound", lambda m: m["parameters"].update(loads_through="all")), "--xlsx"]),
    ("revisions: manifest output_dir a list", lambda w: ["revisions", _changed_manifest(
        w, "m-output", lambda m: m["parameters"].update(output_dir=[1]))]),
]


@pytest.mark.parametrize("case", [pytest.param(b, id=i) for i, b in OPTION_CASES])
def test_hostile_options_are_refused(world, capsys, case):
    argv = case(world)
    refused(world, ["--store", str(world.store), *argv], capsys)


@pytest.mark.parametrize("address", ["garbage", "xyz://host:1", "tcp://host:notaport"])
def test_fleet_refuses_a_scheduler_that_is_no_address(world, capsys, address):
    fleet = world.file("fleet-ok.yaml", f'periods: ["2024-02"]\ncouncils:\n  - {{name: a, '
                       f'store: {world.store}, output_dir: {world.root / "fleet-out"}}}\n')
    err = refused(world, ["fleet", fleet, "--scheduler", address], capsys)  # no --store
    assert f"--scheduler {address}: not a Dask scheduler address" in err


def test_the_option_corpus_covers_every_command():
    covered = {i.split(":")[0] for i, _ in OPTION_CASES}
    assert {c.split()[0] for c in parser_commands()} <= covered


def test_demo_force_on_a_folder_is_refused(world, capsys):
    refused(world, ["--store", world.folder("store-folder"), "demo", "--force",
                    "--data-dir", str(world.root / "demo-files")], capsys)


def test_a_failed_load_into_a_new_store_leaves_no_store(world, capsys):
    store = world.root / "new" / "kpi.sqlite"
    refused(world, ["--store", str(store), "load", "returns", world.file("e.csv", "")], capsys)
    assert not store.exists()


# --------------------------------------------------------------------------- data in outputs


def test_a_formula_file_name_is_neutralised_in_printed_tables(world, tmp_path, capsys):
    store = shutil.copy(world.store, tmp_path / "kpi.sqlite")
    (tmp_path / "=cmd.csv").write_text(RETURNS_HEADER + "AFL13,2024-02,,29,,,,\n")
    assert main(["--store", str(store), "load", "returns", str(tmp_path / "=cmd.csv")]) == 0
    capsys.readouterr()
    assert main(["--store", str(store), "revisions", "--period", "2024-02"]) == 0
    out = capsys.readouterr().out
    assert "'=cmd.csv" in out
    assert not any(cell.startswith("=") for line in out.splitlines() for cell in line.split())


# --------------------------------------------------------------------------- concurrent loads


def test_concurrent_loads_of_one_file_store_it_once(world, tmp_path):
    store = Path(shutil.copy(world.store, tmp_path / "kpi.sqlite"))
    before = Store.open(store).counts()["loads"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "kpilib.cli", "--store", str(store), "load",
                               "returns", str(world.returns)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(3)]
    outcomes = [(p.wait(120), *p.communicate()) for p in procs]
    for code, out, err in outcomes:
        assert "Traceback" not in err, err
        assert (code == 0 and ("loaded " in out or "already loaded" in out)) \
            or (code == 1 and "the store" in err and "is busy" in err), (code, out, err)
    assert sum("loaded returns-2024-02" in out for _, out, _ in outcomes) == 1
    assert Store.open(store).counts()["loads"] == before + 1


# --------------------------------------------------------------------------- user-named outputs


@pytest.mark.parametrize("argv", [
    pytest.param(lambda w: ["template", "returns", "--period", "2024-02", "--output",
                            "/dev/full"], id="template to /dev/full"),
    pytest.param(lambda w: ["template", "returns", "--period", "2024-02", "--output",
                            w.special("link")], id="template through a symlink"),
    pytest.param(lambda w: ["results", "--period", "2024-02", "--report", "core", "--output",
                            w.special("dangling")], id="results through a dangling symlink"),
    pytest.param(lambda w: ["results", "--period", "2024-02", "--report", "core", "--output",
                            w.special("fifo")], id="results into a FIFO"),
])
def test_no_output_goes_through_a_device_a_fifo_or_a_link(world, capsys, argv):
    err = refused(world, ["--store", str(world.store), *argv(world)], capsys)
    assert "must be a regular file" in err
    base = world.root / "special"
    assert Path("/dev/full").is_char_device()
    assert (base / "target.txt").read_text() == "not to be overwritten\n"
    assert not (base / "nowhere.csv").exists()
    assert (base / "fifo").is_fifo() or not (base / "fifo").exists()


def test_a_folder_of_no_publications_gets_no_library(world, capsys):
    folder = Path(world.folder("not-an-output-folder"))
    err = refused(world, ["status", str(folder), "--html"], capsys)
    assert "no publications found" in err
    assert not (folder / "index.html").exists()


def test_a_fleet_never_writes_at_the_root(world, capsys):
    fleet = world.file("fleet-root.yaml", f'periods: ["2024-02"]\ncouncils:\n  - {{name: a, '
                                          f'store: {world.store}, output_dir: /}}\n')
    err = refused(world, ["fleet", fleet, "--quiet", "--workers", "1"], capsys)
    assert "/: is the root of the file system" in err
    assert not Path("/2024-02").exists()


@pytest.mark.parametrize("keep", [0, 40], ids=["nothing written", "part of a line written"])
@pytest.mark.parametrize("argv", [
    pytest.param(lambda w: ["signoff", str(w.published), "--name", "Jo Bloggs", "--role",
                            "Director", "--decision", "approved"], id="signoff"),
    pytest.param(lambda w: ["export", str(w.published), "--xlsx"], id="export"),
])
def test_a_full_disk_records_nothing(world, capsys, monkeypatch, argv, keep):
    """A sign-off (or an export's addition) on a full disk said "approved" and left half a
    line that damaged the record for good: now it is all or nothing, and an error."""
    import errno

    from kpilib.publish import additions

    real = os.write

    def full(fd, data):
        if keep:
            real(fd, bytes(data[:keep]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(additions.os, "write", full)
    err = refused(world, argv(world), capsys)
    assert "No space left on device while recording the" in err
    assert "nothing was recorded" in err


# --------------------------------------------------------------------------- planted files


@pytest.mark.parametrize("staging", ["core", "core.superseded"])
@pytest.mark.parametrize("command", ["doctor", "run"])
def test_a_planted_publish_journal_deletes_nothing(world, capsys, command, staging):
    """A journal naming the published folder (or the superseded ones) as its staging folder
    made the next ordinary kpi run or kpi doctor delete them, saying "unchanged"."""
    import json

    journal = world.published.parent / ".core.publish.json"
    journal.write_text(json.dumps({
        "final": "core", "staging": staging, "superseded": None, "manifest_sha256": "0" * 64,
        "as_of": DEMO_AS_OF, "phase": "prepared", "pid": 1, "store": str(world.store),
        "cwd": str(world.root)}))
    try:
        err = refused(world, ["--store", str(world.store), *COMMANDS[command](world)], capsys)
        assert "is not a journal of a publication kpilib made" in err
    finally:
        journal.unlink()


def test_an_audit_never_walks_the_whole_disk(world, capsys, monkeypatch):
    """``kpi audit /`` scanned the whole disk: the root is refused, and a tree is looked
    into only as deep as an output tree goes, in a bounded number of folders."""
    import time

    from kpilib.audit import audit

    start = time.monotonic()
    err = refused(world, ["audit", "/"], capsys)
    assert "/: is the root of the file system" in err and time.monotonic() - start < 5
    err = refused(world, ["audit", world.deep_folder()], capsys)
    assert "no run folders (no manifest.json) found" in err
    wide = world.root / "wide"
    for n in range(30):
        (wide / f"d{n}").mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(audit, "TREE_FOLDERS", 10)
    err = refused(world, ["audit", str(wide)], capsys)
    assert "more than 10 folders looked in without reaching the end" in err


@pytest.mark.parametrize("command", ["audit", "export", "status", "signoff"])
@pytest.mark.parametrize("fifo", ["results.csv", "manifest.json", "additions.jsonl"])
def test_a_fifo_in_a_run_folder_hangs_nothing(world, capsys, tmp_path, command, fifo):
    """A FIFO planted in a run folder hung audit and export for ever: nothing opens it."""
    import signal

    copy = tmp_path / "out" / "2024-02" / "core"
    shutil.copytree(world.published, copy)
    (copy / fifo).unlink(missing_ok=True)
    os.mkfifo(copy / fifo)
    argv = {"audit": ["audit", str(copy), "--jobs", "1"],
            "export": ["export", str(copy), "--xlsx"],
            "status": ["status", str(tmp_path / "out")],
            "signoff": ["signoff", str(copy), "--name", "Jo", "--role", "B", "--decision",
                        "approved"]}[command]

    def hung(*_):
        raise AssertionError(f"kpi {command} hung on a FIFO")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(120)
    try:
        code = main(["--store", str(world.store), *argv])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if command == "status":  # status lists the folder, saying what is wrong with it
        assert code == 0
    else:
        assert code == 1, out + err
    assert (copy / fifo).is_fifo()
