"""kpilib.startup: rfc3987_syntax (jsonschema's IRI checker, which compiles its grammars when
imported) is not imported by kpi's start-up, and gives the very same answers when used."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(importlib.util.find_spec("rfc3987_syntax") is None,
                                reason="rfc3987_syntax is not installed: nothing to defer")

SAMPLES = {
    "plain": "https://www.northnorthants.gov.uk/performance",
    "non-ascii": "http://example.org/caf\u00e9",
    "space": "http://example.org/a b",
    "relative": "reports/2024-02/index.html",
    "fragment-only": "#kpi-FIN01",
    "not-an-iri": "::not an iri::",
    "empty": "",
}

CHECKS = """
import json, sys, jsonschema
checker = jsonschema.FormatChecker()
samples = json.loads(sys.argv[1])
print(json.dumps({k: [checker.conforms(v, "iri"), checker.conforms(v, "iri-reference")]
                  for k, v in samples.items()}))
"""


def python(code: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_kpi_starts_without_compiling_the_iri_grammars():
    loaded = json.loads(python(
        "import json, sys, kpilib.cli, nbformat, papermill, jsonschema\n"
        "print(json.dumps([type(sys.modules['rfc3987_syntax']).__name__,\n"
        "                  'lark' in sys.modules, 'rfc3987_syntax.syntax_helpers' in sys.modules]))"))
    assert loaded == ["_Deferred", False, False]


def test_the_iri_formats_give_the_real_modules_answers():
    samples = json.dumps(SAMPLES)
    real = json.loads(python(CHECKS, samples))  # jsonschema as it is, without kpilib
    deferred = json.loads(python("import kpilib\n" + CHECKS, samples))
    assert deferred == real
    assert real["plain"] == [True, True] and real["space"] == [False, False]


def test_the_stand_in_becomes_the_real_module_when_used():
    used = json.loads(python(
        "import json, sys, kpilib, rfc3987_syntax\n"
        "before = type(sys.modules['rfc3987_syntax']).__name__\n"
        "ok = rfc3987_syntax.is_valid_syntax('iri', 'https://example.org/')\n"
        "terms = len(rfc3987_syntax.RFC3987_SYNTAX_TERMS)\n"
        "print(json.dumps([before, ok, terms > 0, type(sys.modules['rfc3987_syntax']).__name__,\n"
        "                  sys.modules['rfc3987_syntax'].__name__]))"))
    assert used == ["_Deferred", True, True, "module", "rfc3987_syntax"]


def test_a_module_already_imported_is_left_alone():
    kept = json.loads(python(
        "import json, sys, rfc3987_syntax\n"
        "real = sys.modules['rfc3987_syntax']\n"
        "from kpilib.startup import defer_iri_syntax\n"
        "print(json.dumps([defer_iri_syntax(), sys.modules['rfc3987_syntax'] is real]))"))
    assert kept == [False, True]


def test_the_stand_in_answers_like_the_module_it_stands_in_for():
    seen = json.loads(python(
        "import importlib.util, json, sys, kpilib\n"
        "spec = importlib.util.find_spec('rfc3987_syntax')\n"
        "deferred = type(sys.modules['rfc3987_syntax']).__name__\n"
        "from rfc3987_syntax import utils\n"  # a submodule, through the stand-in's path
        "print(json.dumps([deferred, spec.name, spec.origin.endswith('__init__.py'),\n"
        "                  utils.__name__, 'lark' in sys.modules]))"))
    assert seen[:4] == ["_Deferred", "rfc3987_syntax", True, "rfc3987_syntax.utils"]
