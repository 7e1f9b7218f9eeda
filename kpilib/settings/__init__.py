"""A council's settings and a run's parameter set, read and checked: council.yaml (branding,
keys, editions, shapes, peers, signing), the parameter sets, and the defaults a notebook opened
by hand reads.  Nothing here runs a notebook or writes a file."""
