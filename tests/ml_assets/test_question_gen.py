"""Question generation: key terms, cloze and multiple-choice drafts, the automatic checks,
and the demo-school evaluation.

Fast tests use a hashed bag-of-words embedder (no MiniLM) for terms, distractors and the
tutor index; the real encoder runs only in the ``slow`` test. Every page here is written for
these tests.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from ml_assets.question_gen.checks import (
    BLANK,
    answer_in_source,
    distractors_distinct,
    distractors_plausible,
    run_checks,
    stem_well_formed,
    tutor_finds_source,
)
from ml_assets.question_gen.draft import DraftItem, Option, draft_items, question_stem
from ml_assets.question_gen.terms import key_terms, normalize
from ml_assets.tutor.index import TutorIndex

CLS = "cls-sci"
PAGES = [
    {
        "content_id": "sci-water",
        "class_id": CLS,
        "title": "The water cycle",
        "module": "M1",
        "week": 1,
        "body_text": "# The water cycle\n\n"
        "**Evaporation** is the change of liquid water into water vapour. The sun heats the "
        "oceans and the evaporation of sea water puts vapour into the air every day.\n\n"
        "Condensation is the change of water vapour back into liquid droplets. The droplets "
        "of condensation gather around dust and form clouds high in the sky.\n\n"
        "Precipitation is the water that falls from clouds as rain, snow or hail. The "
        "precipitation runs into rivers, and the rivers carry it back to the ocean.",
    },
    {
        "content_id": "sci-photo",
        "class_id": CLS,
        "title": "Photosynthesis",
        "module": "M1",
        "week": 2,
        "body_text": "# Photosynthesis\n\n"
        "Photosynthesis is the process by which green plants make glucose from light. "
        "The chlorophyll in the leaves absorbs the light that drives the whole process.\n\n"
        "Chlorophyll is the green pigment inside every chloroplast of a leaf. A chloroplast "
        "is the organelle where the glucose of the plant is made from carbon dioxide.\n\n"
        "Stomata are the small pores on the underside of a leaf. The stomata let carbon "
        "dioxide into the leaf and let oxygen out into the air.",
    },
    {
        "content_id": "sci-fraction",
        "class_id": CLS,
        "title": "Fractions",
        "module": "M2",
        "week": 3,
        "body_text": "# Fractions\n\n"
        "A numerator is the top number of a fraction written with a bar. The numerator "
        "counts how many equal parts of the whole are taken.\n\n"
        "A denominator is the bottom number of a fraction written with a bar. The "
        "denominator says into how many equal parts the whole is divided.\n\n"
        "Equivalent fractions are fractions that name the same amount of the whole. "
        "You make equivalent fractions by multiplying the numerator and the denominator by "
        "the same number.",
    },
    {
        "content_id": "sci-rocks",
        "class_id": CLS,
        "title": "Rocks",
        "module": "M2",
        "week": 4,
        "body_text": "# Rocks\n\n"
        "Granite is an igneous rock that forms when magma cools slowly underground. The "
        "granite of old mountains has large crystals of quartz and feldspar.\n\n"
        "Sandstone is a sedimentary rock made of sand grains pressed together in layers. "
        "The sandstone of desert cliffs is often red or yellow.",
    },
]


def _hash_embed(texts: list[str]) -> npt.NDArray[np.float32]:
    """Hashed bag of lower-cased words plus character trigrams, unit length: terms that
    share letters get a middling cosine, so distractor bands can be exercised offline."""
    out = np.zeros((len(texts), 512), dtype=np.float32)
    for row, text in enumerate(texts):
        low = text.casefold()
        feats = re.findall(r"\w+", low) + [low[i : i + 3] for i in range(len(low) - 2)]
        for f in feats:
            out[row, int(hashlib.md5(f.encode()).hexdigest(), 16) % 512] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


def _english(texts: list[str]) -> list[str | None]:
    return ["en"] * len(texts)


@pytest.fixture(scope="module")
def index() -> TutorIndex:
    return TutorIndex.from_pages(PAGES, embed=_hash_embed, detect=_english)


@pytest.fixture(scope="module")
def drafts(index: TutorIndex) -> list[DraftItem]:
    out: list[DraftItem] = []
    for page in PAGES:
        out.extend(draft_items(page, PAGES, index, max_items=6, seed=0, embed=_hash_embed))
    return out


def _mcq(**changes: object) -> DraftItem:
    base = DraftItem(
        item_id="qg-test",
        content_id="sci-water",
        class_id=CLS,
        kind="multiple_choice",
        item_type="multiple_choice",
        stem="What is the change of water vapour back into liquid droplets?",
        options=[
            Option("a", "condensation"),
            Option("b", "evaporation"),
            Option("c", "precipitation"),
            Option("d", "chlorophyll"),
        ],
        correct_option_ids=["a"],
        correct_responses=[],
        answer="condensation",
        source_sentence="Condensation is the change of water vapour back into liquid droplets.",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# -- terms --------------------------------------------------------------------------------


def test_key_terms_found_and_ranked() -> None:
    terms = key_terms(PAGES[0], PAGES)
    norms = [t.norm for t in terms]
    for word in ("evaporation", "condensation"):
        assert normalize(word) in norms[:8]
    assert normalize("precipitation") in norms
    top = terms[0]
    assert top.norm == normalize("evaporation") and top.bold  # bold gets the bonus
    assert all(t.sentences for t in terms)
    # "water" is on two pages; "the" never is a term.
    assert normalize("the") not in norms
    assert normalize("condensation") in {t.norm for t in terms if t.df == 1}


def test_term_on_every_page_is_not_key() -> None:
    pages = [
        {"content_id": f"p{i}", "title": "T", "body_text": f"The widget holds the {w}."}
        for i, w in enumerate(["copper", "silver", "nickel"])
    ]
    norms = {t.norm for t in key_terms(pages[0], pages)}
    assert normalize("widget") not in norms and normalize("copper") in norms


def test_question_stem_patterns() -> None:
    assert question_stem("Velocity is speed in a given direction.", "Velocity") == (
        "What is speed in a given direction?"
    )
    assert question_stem("The unit of force is the newton.", "newton") == (
        "What is the unit of force?"
    )
    assert question_stem("Water moving into a cell is called osmosis.", "osmosis") == (
        "What is water moving into a cell called?"
    )
    assert question_stem("Rivers carry sand to the sea.", "sand") is None


# -- drafts -------------------------------------------------------------------------------


def test_drafts_of_both_kinds(drafts: list[DraftItem]) -> None:
    kinds = {d.kind for d in drafts}
    assert kinds == {"cloze", "multiple_choice"}
    for d in drafts:
        assert d.content_id.startswith("sci-") and d.class_id == CLS


def test_cloze_blanks_answer_once(drafts: list[DraftItem]) -> None:
    for d in (d for d in drafts if d.kind == "cloze"):
        assert d.stem.count(BLANK) == 1
        assert d.stem.replace(BLANK, d.answer).casefold() == d.source_sentence.casefold()
        assert d.item_type == "short_answer" and d.correct_responses == [d.answer]


def test_mcq_has_four_distinct_options(drafts: list[DraftItem]) -> None:
    mcqs = [d for d in drafts if d.kind == "multiple_choice"]
    assert mcqs
    for d in mcqs:
        texts = [o.text for o in d.options]
        assert len(texts) == 4 and len({normalize(t) for t in texts}) == 4
        assert [o.option_id for o in d.options] == ["a", "b", "c", "d"]
        (correct,) = d.correct_option_ids
        assert next(o.text for o in d.options if o.option_id == correct) == d.answer
        assert "?" in d.stem
        for o in d.options:
            if o.text != d.answer:
                assert normalize(o.text) not in normalize(d.source_sentence)


def test_definition_sentence_becomes_question(drafts: list[DraftItem]) -> None:
    stems = {d.stem for d in drafts if d.kind == "multiple_choice"}
    assert any(s.startswith("What is") or s.startswith("What are") for s in stems)


def test_deterministic_from_seed(index: TutorIndex) -> None:
    one = draft_items(PAGES[1], PAGES, index, seed=3, embed=_hash_embed)
    two = draft_items(PAGES[1], PAGES, index, seed=3, embed=_hash_embed)
    assert [d.to_dict() for d in one] == [d.to_dict() for d in two]
    orders = {
        tuple(o.text for d in draft_items(PAGES[1], PAGES, index, seed=s, embed=_hash_embed)
              for o in d.options)
        for s in range(6)
    }  # fmt: skip
    assert len(orders) > 1  # the seed moves the options
    assert [d.item_id for d in one] == [
        d.item_id for d in draft_items(PAGES[1], PAGES, index, seed=9, embed=_hash_embed)
    ]


def test_to_dict_round_trip(drafts: list[DraftItem]) -> None:
    for d in drafts:
        data = json.loads(json.dumps(d.to_dict()))
        assert DraftItem.from_dict(data) == d
        item = d.to_item()
        assert {"item_id", "item_type", "stem", "options", "correct_option_ids"} <= set(item)
        assert set(item["correct_option_ids"]) <= {o["option_id"] for o in item["options"]} or (
            item["item_type"] == "short_answer"
        )


def test_drafts_mostly_pass(drafts: list[DraftItem]) -> None:
    assert sum(d.passed for d in drafts) >= len(drafts) // 2
    for d in drafts:
        assert d.passed == all(d.checks.values())
        assert set(d.reasons) == {k for k, ok in d.checks.items() if not ok}


# -- checks -------------------------------------------------------------------------------


def test_answer_in_source_fails_when_absent() -> None:
    assert answer_in_source(_mcq())[0]
    ok, why = answer_in_source(_mcq(answer="sublimation"))
    assert not ok and why and "sublimation" in why
    ok, _ = answer_in_source(_mcq(), page_text="A page about something else entirely.")
    assert not ok


def test_distractors_distinct_fails_on_duplicates() -> None:
    assert distractors_distinct(_mcq())[0]
    dup = _mcq(options=[Option("a", "condensation"), Option("b", "Evaporation"),
                        Option("c", "evaporation"), Option("d", "chlorophyll")])  # fmt: skip
    assert not distractors_distinct(dup)[0]
    inside = _mcq(options=[Option("a", "condensation"), Option("b", "evaporation"),
                           Option("c", "evaporation of water"), Option("d", "pore")])  # fmt: skip
    assert not distractors_distinct(inside)[0]
    same = _mcq(options=[Option("a", "condensation"), Option("b", "Condensations"),
                         Option("c", "rain"), Option("d", "stomata")])  # fmt: skip
    assert not distractors_distinct(same)[0]


def test_distractors_plausible_fails_on_synonym_and_unrelated() -> None:
    def fake(texts: list[str]) -> npt.NDArray[np.float32]:
        # answer on x; "condensing" almost on x (synonym), "granite" orthogonal.
        table = {
            "condensation": [1.0, 0.0, 0.0],
            "condensing": [0.95, 0.31, 0.0],
            "evaporation": [0.6, 0.8, 0.0],
            "precipitation": [0.5, 0.0, 0.87],
            "granite": [0.0, 0.0, 1.0],
        }
        rows = np.array([table[t] for t in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    good = _mcq(options=[Option("a", "condensation"), Option("b", "evaporation"),
                         Option("c", "precipitation"), Option("d", "evaporation")])  # fmt: skip
    assert distractors_plausible(good, fake)[0]
    synonym = _mcq(options=[Option("a", "condensation"), Option("b", "evaporation"),
                            Option("c", "precipitation"), Option("d", "condensing")])  # fmt: skip
    ok, why = distractors_plausible(synonym, fake)
    assert not ok and why and "condensing" in why
    unrelated = _mcq(options=[Option("a", "condensation"), Option("b", "evaporation"),
                              Option("c", "granite"), Option("d", "precipitation")])  # fmt: skip
    assert not distractors_plausible(unrelated, fake)[0]


def test_stem_well_formed_fails_on_malformed() -> None:
    assert stem_well_formed(_mcq())[0]
    assert not stem_well_formed(_mcq(stem="What is the change of water vapour into drops."))[0]
    cloze = _mcq(kind="cloze", item_type="short_answer", options=[], correct_option_ids=[])
    good = replace(cloze, stem="______ is the change of water vapour back into droplets.")
    assert stem_well_formed(good)[0]
    assert not stem_well_formed(replace(cloze, stem="Condensation is the change of vapour."))[0]
    two = replace(cloze, stem="______ is the change of ______ back into liquid droplets.")
    assert not stem_well_formed(two)[0]
    assert not stem_well_formed(replace(cloze, stem="______ is it."))[0]
    leak = replace(cloze, stem="______ is the change that condensation makes to water vapour.")
    assert not stem_well_formed(leak)[0]


def test_tutor_finds_source_fails_when_unplaceable(index: TutorIndex) -> None:
    assert tutor_finds_source(_mcq(), index, _hash_embed)[0]
    lost = _mcq(stem="Which team won the cup final in the rain last spring?", class_id="none")
    ok, why = tutor_finds_source(lost, index, _hash_embed)
    assert not ok and why and "nothing" in why
    elsewhere = _mcq(stem="What is the top number of a fraction written with a bar?")
    assert not tutor_finds_source(elsewhere, index, _hash_embed, k=1)[0]


def test_run_checks_fills_results(index: TutorIndex) -> None:
    checked = run_checks(_mcq(answer="sublimation"), index=index, embed=_hash_embed)
    assert checked.checks["answer_in_source"] is False and not checked.passed
    assert "answer_in_source" in checked.reasons
    cloze = run_checks(
        _mcq(kind="cloze", item_type="short_answer", options=[], correct_option_ids=[],
             stem="______ is the change of water vapour back into liquid droplets."),
        index=index, embed=_hash_embed,
    )  # fmt: skip
    assert "distractors_plausible" not in cloze.checks and cloze.passed


# -- demo school --------------------------------------------------------------------------


@pytest.mark.slow
def test_demo_school_evaluation(tmp_path: Path) -> None:
    from lake.demo import generate
    from lake.loader import ingest
    from lake.settings import LakeSettings
    from ml_assets.question_gen.evaluate import evaluate

    settings = LakeSettings(lake=tmp_path / "lake", landing=tmp_path / "landing")
    generate(settings.landing, students=8, days=2, seed=3)
    ingest(settings, sources=("oneroster", "content"))
    result = evaluate(settings.lake, max_pages=10)
    assert result["drafts"] > 0
    # Measured (README.md): 23 drafts from these 10 pages, all passing; the bar allows two
    # failures.
    assert result["drafts"] >= 15
    assert result["pass_share"] >= 0.9
    assert result["per_check"]["answer_in_source"]["pass_share"] == 1.0
