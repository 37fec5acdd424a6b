"""Fixtures for the dbt tests: the curated lake and dbt runner are in tests/conftest.py."""
