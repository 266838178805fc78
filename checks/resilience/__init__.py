"""The N-cycle resiliency test (seed 002 §5.3, "Rule 122"): take the stack down, confirm it
is down, bring it up, wait until every probe passes, read back the data ledger.

- :mod:`.ledger`: the entries written before the cycles and read back after each.
- :mod:`.cyclers`: one cycler per target (harness, Docker, ECS, EKS) behind one interface.
- :mod:`.loop`: the cycles, their timings and verdicts.
- :mod:`.report`: text, JSON and HTML (inline SVG chart) reports.
"""
