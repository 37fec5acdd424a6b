"""Every column of the research tables has a doc in the research explorer, and no doc is stale."""

from __future__ import annotations

import pytest

from apps.research_explorer.docs import COLUMN_DOCS, NO_DOC, column_doc
from lake.privacy.research import TABLES


def test_the_docs_cover_exactly_the_research_tables() -> None:
    assert set(COLUMN_DOCS) == set(TABLES)


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_declared_column_has_a_doc_and_every_doc_a_column(table: str) -> None:
    # TABLES holds the schemas write_table conforms every build to: exactly what Trino shows.
    declared = TABLES[table].names
    documented = COLUMN_DOCS[table]
    assert sorted(declared) == sorted(documented), (
        f"undocumented: {sorted(set(declared) - set(documented))}, "
        f"stale: {sorted(set(documented) - set(declared))}"
    )
    for column in declared:
        doc = column_doc(table, column)
        assert doc != NO_DOC
        assert len(doc) > 15 and doc.endswith("."), (column, doc)
        assert "\n" not in doc


def test_an_unknown_column_or_table_has_the_placeholder() -> None:
    assert column_doc("research_students", "no_such_column") == NO_DOC
    assert column_doc("no_such_table", "research_id") == NO_DOC
    assert column_doc("research_students", "research_id") != NO_DOC
