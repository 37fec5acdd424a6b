"""The grounded tutor: passage splitting, BM25 + dense retrieval with class scoping and
language routing, the decline rule, index persistence, and the demo-school evaluation.

Fast tests use a hashed bag-of-words embedder so they never load MiniLM; tests that need the
real encoder are marked ``slow``. Every page here is written for these tests.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from ml_assets.tutor.answer import DECLINE_MESSAGE, DEFAULT_RULE, DeclineRule, answer
from ml_assets.tutor.evaluate import QUESTIONS, evaluate, load_questions
from ml_assets.tutor.index import TutorIndex, tokens
from ml_assets.tutor.passages import MAX_WORDS, MIN_WORDS, is_heading, split_page

BIO = "cls-bio"
GEO = "cls-geo"
MIX = "cls-mix"


def _filler(topic: str, n: int) -> str:
    return " ".join(f"{topic} detail number {i} matters here." for i in range(n))


PAGES = [
    {
        "content_id": "bio-p1",
        "class_id": BIO,
        "title": "Respiration in cells",
        "module": "M1",
        "week": 1,
        "body_text": "# Respiration in cells\n\n"
        "Cellular respiration releases the energy stored in glucose so that cells can use it. "
        "It happens in every living cell, all the time, and it is not the same as breathing, "
        "which only moves air in and out of the lungs.\n\n"
        "## Anaerobic respiration\n\n"
        "During hard exercise the blood cannot deliver oxygen fast enough, so muscle cells "
        "convert glucose to lactic acid. Lactic acid builds up in the muscles and contributes "
        "to muscle fatigue and cramp; afterwards you keep breathing hard to repay the oxygen "
        "debt.\n\n"
        "## Fermentation\n\n"
        "Yeast cells ferment sugar into ethanol and carbon dioxide; the gas makes bread dough "
        "rise and the ethanol is the alcohol in beer and wine.",
    },
    {
        "content_id": "bio-p2",
        "class_id": BIO,
        "title": "Trade unions in Prussia",
        "module": "M2",
        "week": 2,
        # Stripped-heading form, as silver content_pages stores Markdown pages.
        "body_text": "Trade unions in Prussia\n\n"
        "The Zollverein was a customs union of German states led by Prussia from 1834; it "
        "removed tariffs between its members and strengthened Prussia's economy.\n\n"
        "Running water\n\n"
        "Running water in rivers erodes rock quickly, and fast rivers carry sand far.",
    },
    {
        "content_id": "geo-p1",
        "class_id": GEO,
        "title": "Volcanoes",
        "module": "M1",
        "week": 1,
        "body_text": "# Volcanoes\n\n"
        "A volcano erupts when molten rock called magma rises through cracks in the crust. "
        "Lava flows, ash clouds and volcanic gases follow an eruption, and muscle cells or "
        "glucose have nothing to do with it.",
    },
    {
        "content_id": "mix-en",
        "class_id": MIX,
        "title": "The water cycle",
        "module": "M1",
        "week": 1,
        "body_text": "# The water cycle\n\n"
        "Water evaporates from the oceans, condenses into clouds and falls back as rain. "
        "The sun's energy drives evaporation, and rivers carry the rain back to the sea.",
    },
    {
        "content_id": "mix-es",
        "class_id": MIX,
        "title": "El ciclo del agua",
        "module": "M1",
        "week": 1,
        "body_text": "# El ciclo del agua\n\n"
        "El agua se evapora de los océanos, se condensa en las nubes y vuelve a caer como "
        "lluvia. La energía del sol impulsa la evaporación y los ríos devuelven el agua al "
        "mar.",
    },
]


def _hash_embed(texts: list[str]) -> npt.NDArray[np.float32]:
    """A stand-in encoder: hashed bag of lower-cased words, unit length (no shared word ->
    cosine 0), so the fast tests never load MiniLM."""
    out = np.zeros((len(texts), 256), dtype=np.float32)
    for row, text in enumerate(texts):
        for w in re.findall(r"\w+", text.casefold()):
            out[row, int(hashlib.md5(w.encode()).hexdigest(), 16) % 256] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


def _detect(texts: list[str]) -> list[str | None]:
    from ml_assets.forum.language import detect_language

    return detect_language(texts)


@pytest.fixture(scope="module")
def fast_index() -> TutorIndex:
    return TutorIndex.from_pages(PAGES, embed=_hash_embed, detect=_detect)


@pytest.fixture(scope="module")
def real_index() -> TutorIndex:
    return TutorIndex.from_pages(PAGES, detect=_detect)


# -- passages -----------------------------------------------------------------------------


def test_split_keeps_headings_and_citations() -> None:
    passages = split_page(PAGES[0], "en")
    sections = [p.section for p in passages]
    assert sections == ["Respiration in cells", "Anaerobic respiration", "Fermentation"]
    assert [p.passage_id for p in passages] == ["bio-p1#0", "bio-p1#1", "bio-p1#2"]
    for p in passages:
        assert p.content_id == "bio-p1" and p.title == "Respiration in cells"
        assert p.class_id == BIO and p.module == "M1" and p.week == 1 and p.language == "en"
        assert "#" not in p.text
    assert "lactic acid" in passages[1].text


def test_split_recognises_stripped_headings() -> None:
    passages = split_page(PAGES[1], "en")
    assert [p.section for p in passages] == ["Trade unions in Prussia", "Running water"]
    assert not is_heading("Example: solve 3x + 5 = 20.")
    assert not is_heading("Tt")
    assert is_heading("What this video covers")


def test_split_bounds_passage_length() -> None:
    body = "\n\n".join([_filler("short", 2)] * 6 + [_filler("long", 40)])
    passages = split_page({"content_id": "c", "title": "T", "body_text": body})
    assert len(passages) > 2
    assert all(p.word_count <= MAX_WORDS + MIN_WORDS for p in passages)
    assert all(p.word_count >= MIN_WORDS for p in passages[:-1])
    assert " ".join(p.text for p in passages).count("detail number") == 6 * 2 + 40


def test_pages_get_their_language(fast_index: TutorIndex) -> None:
    by_page = {p.content_id: p.language for p in fast_index.passages}
    assert by_page["mix-es"] == "es" and by_page["mix-en"] == "en" and by_page["bio-p1"] == "en"


def test_tokens_fold_stem_and_drop_stop_words() -> None:
    assert tokens("What are the Equations?") == tokens("equation")
    assert tokens("Révolution", "fr") == tokens("revolution", "fr")
    assert tokens("las ecuaciones", "es") == tokens("ecuación", "es")
    assert tokens("the of and is") == []


# -- retrieval ----------------------------------------------------------------------------


def test_bm25_finds_exact_term(fast_index: TutorIndex) -> None:
    hits = fast_index.search("What was the Zollverein?", [BIO], k=3, method="bm25")
    assert hits and hits[0].passage.content_id == "bio-p2"
    assert "Zollverein" in hits[0].passage.text
    assert hits[0].coverage == pytest.approx(1.0)


def test_class_scoping_never_leaks(fast_index: TutorIndex) -> None:
    for method in ("bm25", "dense", "hybrid"):
        hits = fast_index.search(
            "how does a volcano erupt magma lava", [BIO], k=10, method=method, embed=_hash_embed
        )
        assert all(h.passage.class_id == BIO for h in hits)
        hits = fast_index.search(
            "muscle cells glucose", [GEO], k=10, method=method, embed=_hash_embed
        )
        assert {h.passage.class_id for h in hits} <= {GEO}
    assert fast_index.search("glucose", ["cls-none"], k=5) == []


def test_out_of_scope_declined_fast(fast_index: TutorIndex) -> None:
    reply = answer(fast_index, "How does a volcano erupt?", [BIO], embed=_hash_embed)
    assert not reply.is_answerable and reply.offer_teacher
    assert reply.message == DECLINE_MESSAGE and reply.passages == [] and reply.confidence < 0.5
    inside = answer(fast_index, "What was the Zollverein?", [BIO], embed=_hash_embed)
    assert inside.is_answerable and not inside.offer_teacher and inside.confidence >= 0.5
    assert inside.citations[0].content_id == "bio-p2"
    assert inside.citations[0].title == "Trade unions in Prussia"
    json.dumps(inside.to_dict())


def test_language_routing(fast_index: TutorIndex) -> None:
    es = answer(fast_index, "¿Por qué se evapora el agua de los océanos?", [MIX], embed=_hash_embed)
    assert es.language == "es" and es.searched_languages == ["es"] and not es.notes
    assert es.passages and all(p.citation.content_id == "mix-es" for p in es.passages)
    en = answer(fast_index, "Why does water evaporate from the oceans?", [MIX], embed=_hash_embed)
    assert en.language == "en" and en.searched_languages == ["en"]
    assert all(p.citation.content_id == "mix-en" for p in en.passages)
    # No French pages in the class: all its pages are searched, and the answer says so.
    fr = answer(
        fast_index,
        "Pourquoi la levure fait-elle lever la pâte à pain ?",
        [BIO],
        embed=_hash_embed,
        rule=DeclineRule(0.0, 0.0),
    )
    assert fr.language == "fr" and fr.searched_languages is None
    assert fr.notes and "'fr'" in fr.notes[0]
    assert fr.passages and all(p.class_id == BIO for p in fr.passages)


def test_decline_rule_confidence() -> None:
    rule = DeclineRule(dense_min=0.4, coverage_min=0.5)
    assert rule.answerable(0.4, 0.0) and rule.answerable(0.0, 0.5)
    assert not rule.answerable(0.39, 0.49)
    assert rule.confidence(0.4, 0.0) == pytest.approx(0.5)
    assert rule.confidence(0.2, 0.1) < 0.5 and rule.confidence(1.0, 1.0) == 1.0
    assert not DeclineRule(None, 0.5).answerable(0.99, 0.1)


def test_save_load_round_trip(fast_index: TutorIndex, tmp_path: Path) -> None:
    folder = fast_index.save(tmp_path / "idx")
    assert {p.name for p in folder.iterdir()} == {
        "manifest.json",
        "passages.parquet",
        "vectors.npz",
        "bm25",
    }
    loaded = TutorIndex.load(folder)
    assert loaded.passages == fast_index.passages
    np.testing.assert_array_equal(loaded.vectors, fast_index.vectors)
    questions = ["Zollverein customs union", "lactic acid muscles", "rain clouds", "yeast"]
    for q in questions:
        vec = _hash_embed([q])[0]
        for method in ("bm25", "dense", "hybrid"):
            for classes in ([BIO], [MIX], [BIO, GEO, MIX]):
                a = fast_index.search(q, classes, k=5, method=method, query_vector=vec)
                b = loaded.search(q, classes, k=5, method=method, query_vector=vec)
                assert [(h.passage.passage_id, h.score, h.coverage) for h in a] == [
                    (h.passage.passage_id, h.score, h.coverage) for h in b
                ]


def test_question_set_shape() -> None:
    qs = load_questions(QUESTIONS)
    inside = [q for q in qs if q["in_scope"]]
    assert len(inside) >= 110 and sum(not q["in_scope"] for q in qs) >= 30
    assert sum(q["language"] != "en" for q in inside) >= 15
    assert len({q["id"] for q in qs}) == len(qs)
    for q in inside:
        assert q["gold"] and all(g["content_id"] and g["phrase"] for g in q["gold"]), q["id"]


# -- with the real encoder ----------------------------------------------------------------


@pytest.mark.slow
def test_hybrid_finds_paraphrase_bm25_misses(real_index: TutorIndex) -> None:
    question = "why do my legs hurt after running fast?"
    bm25 = real_index.search(question, [BIO], k=1, method="bm25")
    hybrid = real_index.search(question, [BIO], k=1, method="hybrid")
    assert not bm25 or "lactic acid" not in bm25[0].passage.text
    assert "lactic acid" in hybrid[0].passage.text


@pytest.mark.slow
def test_out_of_scope_declined_real(real_index: TutorIndex) -> None:
    for q in ["Who won the football world cup in 2018?", "Tell me a joke", "What is 17 times 3?"]:
        reply = answer(real_index, q, [BIO])
        assert not reply.is_answerable and reply.offer_teacher, (q, reply.confidence)
    reply = answer(real_index, "What does yeast turn sugar into?", [BIO])
    assert reply.is_answerable and reply.citations[0].section == "Fermentation"


@pytest.mark.slow
def test_demo_school_evaluation(tmp_path: Path) -> None:
    from lake.demo import generate
    from lake.loader import ingest
    from lake.settings import LakeSettings

    settings = LakeSettings(lake=tmp_path / "lake", landing=tmp_path / "landing")
    generate(settings.landing, students=8, days=2, seed=3)
    ingest(settings, sources=("oneroster", "content"))
    result = evaluate(settings.lake, QUESTIONS, k=5)
    hybrid = result["methods"]["hybrid"]
    # Bars a little below what was measured (README.md): recall@5 0.96 (all) and 0.97 (test
    # half), out-of-scope declined 0.97 / 0.95, in-scope wrongly declined 0.08 / 0.10.
    assert hybrid["all"]["recall_at_k"] >= 0.93
    assert hybrid["test"]["recall_at_k"] >= 0.93
    assert hybrid["all"]["out_of_scope_declined"] >= 0.9
    assert hybrid["all"]["in_scope_wrongly_declined"] <= 0.12
    assert hybrid["all"]["recall_at_k"] >= result["methods"]["bm25"]["all"]["recall_at_k"]
    # DEFAULT_RULE must stay the rule tuned here (within one grid step of float noise).
    assert abs(hybrid["rule"]["dense_min"] - DEFAULT_RULE.dense_min) <= 0.011
    assert abs(hybrid["rule"]["coverage_min"] - DEFAULT_RULE.coverage_min) <= 0.021
