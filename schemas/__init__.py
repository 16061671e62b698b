"""ACLED taxonomy, pandera models and stable reason codes."""
