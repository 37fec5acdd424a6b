"""The grounded tutor: course-page passages retrieved with BM25 + MiniLM (reciprocal rank
fusion), cited, and an honest "I don't know" when the pages do not cover the question.

See ``README.md`` in this folder; entry points: :func:`ml_assets.tutor.answer.answer`,
:class:`ml_assets.tutor.index.TutorIndex`, :func:`ml_assets.tutor.evaluate.evaluate`.
"""
