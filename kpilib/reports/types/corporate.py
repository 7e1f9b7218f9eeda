"""Corporate performance report: a county council's quarterly report to Cabinet, modelled on
Northamptonshire County Council's 2013-14 quarter 2 report (seed
``ncc-corporate-performance-2013-14-q2.txt``): one page per key commitment (the report's
sections), each KPI against its quarter's target with the graded key and the 2% arrows,
comparator figures beside the council's, a summary page, a "Managing change" page of the
change programmes, and a performance spotlight for every Red KPI."""

from kpilib.registry import ReportType, register

CORPORATE = register(ReportType(
    name="corporate",
    title="Corporate performance report",
    description="quarterly county corporate report: one page per key commitment, a summary, "
                "managing change (programmes), comparators and a spotlight on every Red KPI",
    periods=("quarter",),
    section_key="commitment",
    section_label="key commitment",
    overview_notebook="corporate_overview.ipynb",
    section_notebook="corporate_section.ipynb",
    reads=("programmes", "comparators"),
    extra_pages=(("summary", "Summary", "corporate_summary.ipynb"),
                 ("managing-change", "Managing change", "corporate_change.ipynb"),
                 ("spotlight", "Performance spotlight", "corporate_spotlight.ipynb")),
    order=40,
))
