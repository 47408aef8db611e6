"""Templates of ``signal new-plugin`` (package data; ``{{token}}`` marks substitutions)."""
