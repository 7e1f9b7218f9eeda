"""Why a run executes (kpilib/run/reasons.py): each kind of input that differs from the
current publication's is named so that a person can check it (which load, which setting,
which template or notebook, which parameter, which program)."""

from __future__ import annotations

import copy

import pytest
from test_fingerprint import BASE

from kpilib.publish.fingerprint import Current, differences
from kpilib.run.reasons import FIRST, describe, why

REVISED = {"kind": "returns", "source_file": "returns-2024-02-rev.csv", "sha256": "f2",
           "loaded_at": "2024-03-09T00:00:00.000000Z"}
TARGETS = {"kind": "targets", "source_file": "targets-2023-24.csv", "sha256": "t1",
           "loaded_at": "2024-03-10T00:00:00.000000Z"}


def edited(edit) -> dict:
    m = copy.deepcopy(BASE)
    edit(m)
    return m


@pytest.mark.parametrize("edit, expected", [
    pytest.param(lambda m: (m["data"]["sources"].append(REVISED),
                            m["data"].update(returns_sha256="r2")),
                 ["new load returns returns-2024-02-rev.csv (loaded 2024-03-09T00:00:00.000000Z)",
                  "the returns rows it reads"], id="a revised return"),
    pytest.param(lambda m: (m["data"]["sources"].append(TARGETS),
                            m["data"].update(targets_sha256="x", targets_rows=1)),
                 ["new load targets targets-2023-24.csv (loaded 2024-03-10T00:00:00.000000Z)",
                  "the targets rows it reads"], id="a target load"),
    pytest.param(lambda m: m["data"].update(sources=[]),
                 ["load no longer read returns r.csv (loaded 2024-03-01T00:00:00.000000Z)"],
                 id="a load no longer read"),
    pytest.param(lambda m: m["data"].update(catalogue_sha256="c2"),
                 ["the catalogue rows it reads"], id="the catalogue rows"),
    pytest.param(lambda m: m["council"].update(footer="Another footer"),
                 ["council settings council.yaml: footer changed"], id="a council setting"),
    pytest.param(lambda m: m["council"].update(sha256="s2"),
                 ["council settings council.yaml changed (its keys, report shape, "
                  "suppression or signing: the file's SHA-256)"], id="keys or other settings"),
    pytest.param(lambda m: m["templates"].update({"project:templates/kpi/index.html.j2": "t"}),
                 ["template project:templates/kpi/index.html.j2 added"], id="a template"),
    pytest.param(lambda m: m["notebooks"].update({"core/overview.ipynb": "n2"}),
                 ["notebook core/overview.ipynb changed"], id="a notebook"),
    pytest.param(lambda m: m["parameters"].update(self_contained=True),
                 ["parameter self_contained: False -> True"], id="a parameter"),
    pytest.param(lambda m: m["code"].update(commit="def"),
                 ["the program: kpilib 1.0 at abc -> 1.0 at def"], id="the program"),
    pytest.param(lambda m: m["environment"]["packages"].update(pandas="3.0"),
                 ["the environment: pandas 2.2 -> 3.0"], id="a package"),
    pytest.param(lambda m: m.update(pages=[]), ["the pages (the sections the report has)"],
                 id="the pages"),
])
def test_each_kind_of_input_is_named(edit, expected):
    base = copy.deepcopy(BASE)
    base["council"] = {"source": "council.yaml", "sha256": "s1", "footer": "A footer"}
    new = edited(lambda m: (m.update(council=copy.deepcopy(base["council"])), edit(m)))
    assert describe(differences(base, new), base, new) == expected
    assert why(Current("x", base, differences(base, new)), new) == ", ".join(expected)


@pytest.mark.parametrize("cur, force, expected", [
    pytest.param(None, False, FIRST, id="nothing published"),
    pytest.param(Current("x", BASE, [], "its files no longer match its manifest (altered: "
                         "index.html)"), False,
                 "the current publication cannot be reused: its files no longer match its "
                 "manifest (altered: index.html)", id="not verified"),
    pytest.param(Current("x", BASE, []), True, "--force was given", id="forced"),
])
def test_why_without_a_difference(cur, force, expected):
    assert why(cur, BASE, force) == expected


def test_many_differences_are_counted_not_listed():
    new = edited(lambda m: m["notebooks"].update({f"nb{i}.ipynb": "x" for i in range(6)}))
    text = why(Current("x", BASE, differences(BASE, new)), new)
    assert text.endswith(" and 2 more") and text.count("notebook ") == 4
