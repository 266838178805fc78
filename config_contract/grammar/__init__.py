"""The contract's grammar: the one owner of three questions every layer asks.

- :mod:`.hosts` — is this host (or every host of a URL / broker list) loopback, unspecified or
  link-local? (VIBE-91, seed 000 §4 Rule 91.)
- :mod:`.references` — is this value a secret *reference* (``ref+vault://PATH#/KEY``,
  ``ref+awssecrets://NAME[#/KEY]``, ``ref+awsssm://PATH``, ``${VAR}``, a Pulumi secret and, where
  the caller allows it, ``file:///PATH#KEY``), and what does it name? (Seed 000 §4 Rule 164.)
- :mod:`.secrets` — is this name a secret's name, is this value a placeholder or a literal
  secret, and how is it masked?

and of one text helper both the scan and :mod:`.hosts` need: :mod:`.folding`, text folded the
way ``re.IGNORECASE`` compares it.

Preflight rules, the source scan, the topology document, the policy pack and the plan's
redaction all call these modules; none of them carries its own pattern. The modules import
nothing above ``config_contract`` and nothing heavy at import time.
"""
