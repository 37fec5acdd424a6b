"""Quiz item drafts from course pages (cloze and multiple choice) with automatic checks,
for a teacher to approve. See ``README.md``; entry points:
:func:`ml_assets.question_gen.draft.draft_items`, :func:`ml_assets.question_gen.evaluate.evaluate`.
"""
