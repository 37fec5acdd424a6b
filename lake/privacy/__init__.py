"""Pseudonymisation, consent, erasure and retention."""
