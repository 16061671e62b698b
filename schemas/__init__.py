"""ACLED taxonomy, pandera models and stable reason codes: every table contract (``conflictset.schemas``)."""
