"""The conformance suite: proof that a sender does everything the KPR endpoint expects.

- ``requirements.yaml`` — the requirements table, each row traced to the profile or format
  references; :mod:`.model` — requirements, cases, runs, checks and results as values;
- :mod:`.cases` — the catalogue (``KPR-CONF-001``...), :mod:`.runs` what each case makes the
  sender do, :mod:`.judges` how each case judges what was observed (helpers in :mod:`.judge`);
- :mod:`.harness` — runs cases against an endpoint (:mod:`.drivers`: in-process or through the
  control API) with a sender (:mod:`.senders`: a command, the reference sender or a broken one from
  :mod:`.flaws`; :mod:`.manual` for a person);
- :mod:`.report_junit`, :mod:`.report_json`, :mod:`.report_html` — the outputs, and
  :mod:`.bundle` — the signed evidence bundle and its offline verification.

``mockkpr certify`` is the command line (docs/conformance.md); :mod:`mockkpr.testing.plugin`
brings the suite into a vendor's own pytest run.
"""
