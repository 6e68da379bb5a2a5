"""The monitor-review pages: data queries (`queries`) and source-data verification (`sdv`)."""
