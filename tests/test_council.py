"""Council settings (council.yaml): defaults, validation, the logo, and a run that uses them."""

from __future__ import annotations

import json
import shutil

import pytest

from kpilib.render.branding import DEFAULT_COLOUR, DEFAULT_NAME, Council, contrast_with_white
from kpilib.settings.council import CouncilError, load_council

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201ffa2c3"
                    "1b0d0000000049454e44ae426082")


def write(tmp_path, text, name="council.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_no_file_gives_the_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    c = load_council(None)
    assert c == Council() and c.name == DEFAULT_NAME and c.primary_colour == DEFAULT_COLOUR


def test_the_project_file_is_found_by_default(tmp_path, monkeypatch):
    write(tmp_path, "name: Kent County Council\n")
    monkeypatch.chdir(tmp_path)
    assert load_council(None).name == "Kent County Council"


def test_every_setting(tmp_path):
    (tmp_path / "logo.png").write_bytes(PNG)
    p = write(tmp_path, "name: Kent County Council\nlogo: logo.png\nprimary_colour: '#23395B'\n"
                        "footer: Strategy team\ntitles:\n  core: Quarterly Performance Report\n")
    c = load_council(p)
    assert c.logo.startswith("data:image/png;base64,")
    assert c.primary_colour == "#23395b" and c.footer == "Strategy team"
    assert c.title("core", "Core KPIs") == "Quarterly Performance Report"
    assert c.title("health", "Organisational health KPIs") == "Organisational health KPIs"
    rec = c.record()
    assert rec["source"] == str(p) and len(rec["sha256"]) == 64 and len(rec["logo_sha256"]) == 64
    assert "base64" not in json.dumps(rec)  # the manifest records the logo by its hash


@pytest.mark.parametrize("colour, ok", [
    pytest.param("#1d3557", True, id="navy passes"),
    pytest.param("#767676", True, id="grey 4.54 to 1 passes"),
    pytest.param("#777777", False, id="grey 4.48 to 1 fails"),
    pytest.param("#ffbf47", False, id="amber fails"),
])
def test_primary_colour_must_pass_wcag_aa_with_white_text(tmp_path, colour, ok):
    p = write(tmp_path, f"primary_colour: '{colour}'\n")
    assert (contrast_with_white(colour) >= 4.5) is ok
    if ok:
        assert load_council(p).primary_colour == colour
    else:
        with pytest.raises(CouncilError, match=rf"{colour} gives white text a contrast of "
                                               r"\d\.\d\d:1; WCAG AA needs at least 4.5:1"):
            load_council(p)


def test_every_problem_at_once(tmp_path):
    p = write(tmp_path, "nmae: X\nprimary_colour: blue\nlogo: missing.png\n"
                        "titles:\n  cor: Core\n")
    with pytest.raises(CouncilError) as e:
        load_council(p)
    msg = str(e.value)
    for part in ("unknown key 'nmae' (did you mean 'name'?)", "'blue' is not a colour",
                 "key 'logo':", "'cor' is not a report type"):
        assert part in msg
    assert "Traceback" not in msg


@pytest.mark.parametrize("text, message", [
    pytest.param("- a\n- b\n", "expected a mapping", id="a list"),
    pytest.param("name: [unclosed\n", "not valid YAML", id="bad YAML"),
    pytest.param("logo: notes.txt\n", "expected an image file", id="logo not an image"),
])
def test_bad_files_are_clear_errors(tmp_path, text, message):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(CouncilError, match=message):
        load_council(write(tmp_path, text))


def test_a_missing_file_named_by_params_is_an_error(tmp_path):
    with pytest.raises(CouncilError, match="no council settings file"):
        load_council(tmp_path / "councils" / "kent.yaml")


@pytest.mark.slow
def test_a_run_shows_the_council_and_records_it(tmp_path, test_store, monkeypatch):
    from kpilib.run.runner import run
    from kpilib.settings.params import validate

    (tmp_path / "councils").mkdir()
    (tmp_path / "councils" / "logo.png").write_bytes(PNG)
    write(tmp_path / "councils", "name: Kent County Council\nlogo: logo.png\n"
          "primary_colour: '#23395b'\nfooter: Kent demo footer\ntitles:\n  core: Kent KPIs\n",
          "kent.yaml")
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(test_store, tmp_path / "kpi.sqlite")  # a run records itself in its store
    p = validate({"period": "2024-02", "report": "core", "store": "kpi.sqlite",
                  "as_of": "2025-06-30T00:00:00Z", "output_dir": "out",
                  "council": "councils/kent.yaml"})
    folder = run(p, show_progress=False)[0].folder
    for page in folder.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert '<span class="council-name">Kent County Council</span>' in html, page.name
        assert 'src="data:image/png;base64,' in html and "Kent demo footer" in html
        assert "--primary: #23395b" in html
    assert "<h1>Kent KPIs: Feb 2024</h1>" in (folder / "index.html").read_text()
    m = json.loads((folder / "manifest.json").read_text())
    assert m["parameters"]["council"] == "councils/kent.yaml"
    assert m["council"]["name"] == "Kent County Council"
    assert m["council"]["source"] == "councils/kent.yaml"


@pytest.mark.parametrize("shape, expected", [
    pytest.param({"qpr2": {}}, "key 'report_shape.qpr2': not a report type (did you mean 'qpr'?)",
                 id="an unknown report type"),
    pytest.param({"corporate": {"pages": ["appendix"]}},
                 "key 'report_shape.corporate.pages': ['appendix']; expected a list of the "
                 "corporate report's optional pages (summary, managing-change, spotlight)",
                 id="an unknown page"),
    pytest.param({"service": {"previous_period": "yes"}},
                 "key 'report_shape.service.previous_period': expected true or false",
                 id="not a flag"),
    pytest.param({"service": {"directorates": False}},
                 "key 'report_shape.service': unknown key 'directorates' (did you mean "
                 "'directorate'?)", id="a misspelt key"),
])
def test_a_bad_report_shape_is_refused(tmp_path, shape, expected):
    import json

    from kpilib.settings.council import CouncilError, load_settings

    f = tmp_path / "council.yaml"
    f.write_text(json.dumps({"report_shape": shape}), encoding="utf-8")
    with pytest.raises(CouncilError, match="invalid council settings") as e:
        load_settings(f)
    assert expected in str(e.value)


@pytest.mark.parametrize("text, expected", [
    pytest.param("", 12, id="no key: 12 points"),
    pytest.param("spc: {min_points: 15}\n", 15, id="a council's own minimum"),
    pytest.param("spc: {min_points: 2}\n", 2, id="2: the least (one moving range)"),
])
def test_the_spc_minimum_number_of_points(tmp_path, text, expected):
    from kpilib.settings.council import load_settings

    f = tmp_path / "council.yaml"
    f.write_text("name: Test Council\n" + text, encoding="utf-8")
    assert load_settings(f).spc_min_points == expected


@pytest.mark.parametrize("text, expected", [
    pytest.param("spc: {min_points: 1}\n", "key 'spc.min_points': expected a whole number "
                 "from 2 to 1000", id="1 point has no moving range"),
    pytest.param("spc: {min_points: twelve}\n", "got 'twelve'", id="not a number"),
    pytest.param("spc: {min_points: true}\n", "got True", id="true is not a number"),
    pytest.param("spc: {min_points: 12.5}\n", "got 12.5", id="not a whole number"),
    pytest.param("spc: {minimum: 12}\n", "key 'spc.minimum': not a setting; expected "
                 "min_points", id="an unknown key under spc"),
    pytest.param("spc: 12\n", "key 'spc': expected a mapping (min_points: 12)",
                 id="not a mapping"),
])
def test_a_bad_spc_minimum_is_refused_naming_the_key(tmp_path, text, expected):
    f = tmp_path / "council.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(CouncilError) as e:
        load_council(f)
    assert expected in str(e.value) and str(f) in str(e.value)
