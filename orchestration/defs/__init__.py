"""Dagster definitions by area: ``ingest`` (landing -> bronze -> silver)."""
