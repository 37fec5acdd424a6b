"""Forum classifiers: post urgency (:mod:`.urgency`), language (:mod:`.language`), sentiment
(:mod:`.sentiment`) and personal-data scrubbing (:mod:`.pii`). See ``README.md`` here."""
