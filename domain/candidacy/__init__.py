"""The candidacy aggregate: one person's attempt at admission, as events."""

from domain.candidacy.decide import correct, decide, nominate
from domain.candidacy.events import replay
from domain.candidacy.state import CandidacyState, Stage

__all__ = ["CandidacyState", "Stage", "correct", "decide", "nominate", "replay"]
