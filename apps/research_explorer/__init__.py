"""The researchers' explorer (Panel): SQL on Trino's read-only ``research`` catalog."""
