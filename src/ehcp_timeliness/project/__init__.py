"""Projections: what the figures will be, from the council's casework or DfE's published
figures, each back-tested against what happened."""
