"""One module per landing format; each exposes ``PARSER`` (see ``lake.sources.base``)."""
