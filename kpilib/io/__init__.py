"""Reading and writing files safely at the edges: YAML settings with clear errors, workbook
bytes, and the one check every writing command makes of a path it was given."""
