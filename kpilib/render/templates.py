"""The Jinja2 environment the page fragments are rendered with, and where templates come from.

Lookup order (the first file found wins):

1. ``<project>/templates/<name>``: the project's own version, where the project is the
   current working directory (``kpi run`` runs its kernels from the project root);
2. ``kpilib/templates/<name>``: the package's.

So a council overrides e.g. ``fragments/kpi_article.html.j2`` by putting a file with that
relative path under ``templates/`` at its project root.  The package's templates are also
found as ``kpilib/<name>``, so an override can extend or include the template it replaces
(``{% include "kpilib/fragments/kpi_article.html.j2" %}`` with its own markup around it;
``{% extends "kpilib/kpi/index.html.j2" %}`` replacing the page's blocks) instead of
copying it whole.  nbconvert's page template
(``kpi/index.html.j2``, see :mod:`kpilib.render.page`) follows the same order.

The environment autoescapes every ``{{ value }}`` that is not already :class:`Markup`
(only sanitised commentary and plotly's chart markup are marked safe, by the Python that
prepares them), and undefined names are errors (``StrictUndefined``).  Two details keep
the pages byte-identical to kpilib's earlier f-string rendering:

* values are escaped with the standard library's :func:`html.escape` (``'`` becomes
  ``&#x27;``; markupsafe would write ``&#39;``) and a blank value (None, NaN) prints as
  nothing, by the environment's ``finalize``;
* fragments are single-line HTML, but their templates are written one element per line:
  the :class:`JoinLines` extension drops every line break in the template's text, with
  the spaces and tabs around it.  A space needed between two words or elements must
  therefore be on one line (Jinja's own ``trim_blocks`` would leave indentation behind).
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, StrictUndefined
from jinja2.ext import Extension
from jinja2.lexer import TOKEN_DATA, Token
from jinja2.loaders import split_template_path
from markupsafe import Markup

from kpilib.render.style import (
    ASSURANCE_STYLE,
    RAG_STYLE,
    VARIATION_STYLE,
    esc,
    human_moment,
    slug,
)

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PROJECT_TEMPLATES = "templates"  # in the council's home (kpilib.settings.home)
HOME_ENV = "KPILIB_HOME"  # a run's kernels: the council's home ("": none, kpilib's only)
FRAGMENTS = "fragments"
_LINE_BREAK = re.compile(r"[ \t]*\n[ \t]*")


class JoinLines(Extension):
    """Template text (never the expressions in tags) loses its line breaks and the spaces
    and tabs around them, so a readable multi-line template renders one line of HTML."""

    def filter_stream(self, stream):
        for token in stream:
            if token.type == TOKEN_DATA and "\n" in token.value:
                yield Token(token.lineno, TOKEN_DATA, _LINE_BREAK.sub("", token.value))
            else:
                yield token


class ProjectFirstLoader(FileSystemLoader):
    """Templates from the project's folder, else the package's.  A template loaded from the
    package also goes stale when the project's version of it appears (an override added
    while a JupyterLab kernel runs is used on the next render, as is one removed)."""

    def get_source(self, environment, template):
        source, filename, uptodate = super().get_source(environment, template)
        pieces = split_template_path(template)
        candidates = [os.path.normpath(posixpath.join(p, *pieces)) for p in self.searchpath]
        earlier = candidates[:candidates.index(filename)]

        def fresh() -> bool:
            return uptodate() and not any(os.path.isfile(f) for f in earlier)

        return source, filename, fresh


def _finalize(value):
    """Escape as :func:`kpilib.render.style.esc` does; autoescaping then leaves it alone."""
    if hasattr(value, "__html__"):
        return value
    return Markup(esc(value))


def safe(html: str) -> Markup:
    """Mark HTML that is already safe (sanitised commentary, plotly's chart, a rendered
    fragment) so that a template inserts it as it is."""
    return Markup(html)


def project_templates(root: str | Path | None = None) -> str:
    """The council's template folder: ``templates/`` in its home ``root``, as an absolute
    path (it need not exist); ``""`` when ``root`` is ``""`` (no home: kpilib's templates
    only).  ``root`` None: a run's kernel's home (``$KPILIB_HOME``), else the working
    folder (a notebook opened by hand, a script)."""
    if root is None:
        root = os.environ.get(HOME_ENV, os.getcwd())
    if str(root) == "":
        return ""
    return os.path.join(os.path.realpath(root), PROJECT_TEMPLATES)


@functools.lru_cache(maxsize=16)
def _environment(project_dir: str) -> Environment:
    env = Environment(
        # the package's templates are also kpilib/<name>: a project's override can extend or
        # include the one it replaces ({% extends "kpilib/fragments/kpi_article.html.j2" %})
        loader=ChoiceLoader([ProjectFirstLoader([d for d in (project_dir, str(PACKAGE_TEMPLATES))
                                                 if d]),
                             PrefixLoader({"kpilib": FileSystemLoader(str(PACKAGE_TEMPLATES))})]),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_finalize,
        extensions=[JoinLines],
    )
    env.filters["slug"] = slug
    env.filters["moment"] = human_moment  # an ISO moment as a person reads it
    env.globals["rag_style"] = RAG_STYLE
    env.globals["variation_style"] = VARIATION_STYLE
    env.globals["assurance_style"] = ASSURANCE_STYLE
    return env


def environment(root: str | Path | None = None) -> Environment:
    """The environment for a project (one per project folder and process, cached)."""
    return _environment(project_templates(root))


def render(name: str, /, **context) -> str:
    """Render the fragment ``fragments/<name>.html.j2`` with ``context`` (plain values)."""
    return environment().get_template(f"{FRAGMENTS}/{name}.html.j2").render(context)


def macro(template: str, name: str):
    """A macro of ``fragments/<template>.html.j2``, callable from Python (returns Markup)."""
    return getattr(environment().get_template(f"{FRAGMENTS}/{template}.html.j2").module, name)
