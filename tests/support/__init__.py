"""Test helpers shared across the suite (real services the tests run against)."""
