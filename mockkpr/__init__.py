"""mockkpr: a fake of the KPR validation endpoint on AMQP 1.0 and a synthetic IPLOS data generator.

The package is split so that the domain never depends on the wire:

- :mod:`mockkpr.iplos` parses and validates IPLOS submissions (formats, schemas, rules, reports);
- :mod:`mockkpr.settings` and :mod:`mockkpr.errors` are the one settings object and the one
  error hierarchy every other module uses;
- the AMQP layer (added later) is the only code that imports proton.
"""

__version__ = "0.1.0"
