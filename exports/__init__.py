"""De-identified exports of a study's data for the sponsor (DESIGN.md, "De-identified export")."""
