"""The LearnSmart lakehouse library: table declarations, write primitives, ledger, quarantine
and source parsers. No Dagster and no web code lives here."""
