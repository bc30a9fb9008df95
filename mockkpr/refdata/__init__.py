"""Reference data mockkpr judges submissions against and builds synthetic data from.

- :mod:`mockkpr.refdata.kommuner`: kommune and bydel numbers valid in each year (SSB Klass 131
  and 103), read from the package's CSV tables;
- :mod:`mockkpr.refdata.codelists`: the Volven code lists IPLOS uses (service types, functional
  variables and their scales, id types, ...), with per-year validity where it changed.

``SOURCES.md`` beside this file says where every fact comes from and which years were assumed.
"""
