"""The verbs of dossiers; each module holds one stage (intake now, processing later)."""
