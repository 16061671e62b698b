"""Stage ``prelabel``: a rule-based ACLED guess for every sentence, with spans.

``prelabel(sentences)`` adds the columns of
:data:`conflictset.schemas.prelabel.PRELABEL_COLUMNS` (derived from the pandera model).
Pipeline: vectorised lexicon matching (:mod:`.matcher`) → labelling functions (:mod:`.rules`)
→ one decision per sentence (:mod:`.decide`, where the precedence and score are documented)
→ spans for actors, places, fatalities and dates (:mod:`.spans`).

No-event rows have null labels; their ``score`` is the confidence that there is no event
(0.85 when nothing fired, 0.6 when evidence was vetoed or too weak), so one sort key serves
review queues: low scores first, whatever the proposal.
"""

from __future__ import annotations

from conflictset.dataset.prelabel.pipeline import PRELABEL_VERSION, prelabel
from conflictset.schemas.prelabel import PRELABEL_COLUMNS

__all__ = ["prelabel", "PRELABEL_VERSION", "PRELABEL_COLUMNS"]
