"""Alert intake, routing, silences, receivers and the notification ledger."""
