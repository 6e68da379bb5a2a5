"""How identity fields appear in the audit trail: never in clear."""

REDACTED = "[redacted]"


def redact(value: str) -> str:
    return REDACTED if value not in ("", "None", None) else value
