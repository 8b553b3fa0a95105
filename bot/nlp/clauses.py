"""Where a message asks its questions: sentences, the clauses inside them, and which
clauses are questions.

A text like "makeup ok now? n when can i go to the gym" asks two things, and a review-style
story ("I left the clinic at 3. By the evening my face was bright red. Is this normal?")
asks one thing after several sentences that only tell. The classifier reads each
question clause on its own (bot/nlp/classifier.py); a vague one ("is this normal?") is
read together with the sentences just before it, which say what "this" is.
Pure string work: spans are character offsets into the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import yaml
from spacy.lang.en.stop_words import STOP_WORDS

# A sentence ends at . ! ? ; or a line break followed by space or the end
# ("38.2" and "vit.c" stay whole).
_SENTENCE_END = re.compile(r"[.!?;]+(?=\s|$)|\n+")
# Clause breaks inside a sentence: a comma, a dash, or a joining word. "red and swollen"
# splits too; both halves are then read, and a fragment that asks nothing is not a topic.
_JOINERS = r"and|n|&|\+|plus|also|or|but|btw|oh and|and also|as well as"
_CLAUSE_BREAK = re.compile(rf",\s*(?:(?:{_JOINERS})\s+)?|\s+-+\s+|\s+(?:{_JOINERS})\s+", re.IGNORECASE)
_WORDS = yaml.safe_load(resources.files(__package__).joinpath("clauses.yml").read_text("utf-8"))
_QUESTION_WORDS = frozenset(_WORDS["question_words"])
_FILLER = frozenset(_WORDS["filler"])
_STATEMENT_OPENERS = frozenset(_WORDS["statement_openers"])
_JUDGEMENT = frozenset(_WORDS["judgement"])
_QUESTION_PHRASES = re.compile(
    r"\b(?:is (?:that|this|it) (?:ok|okay|normal|fine|safe|expected|bad|a problem|something)"
    r"|should i\b|do i need|is it normal|is that normal|wondering|ok to|okay to|safe to|allowed to"
    r"|supposed to|how long|when can|when will|can i\b|am i\b)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[\w']+")


@dataclass(frozen=True)
class Clause:
    start: int
    end: int
    sentence: int  # index of its sentence
    question: bool


def _spans(text: str, pattern: re.Pattern, start: int, end: int) -> list[tuple[int, int]]:
    spans, position = [], start
    for match in pattern.finditer(text, start, end):
        spans.append((position, match.start()))
        position = match.end()
    spans.append((position, end))
    return [(a, b) for a, b in (_strip(text, a, b) for a, b in spans) if b > a]


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not (text[end - 1].isalnum() or text[end - 1] == "?"):
        end -= 1
    return start, end


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans, each ending with its own punctuation when it had a question mark."""
    spans, position = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end() if "?" in match.group() else match.start()
        spans.append((position, end))
        position = match.end()
    spans.append((position, len(text)))
    return [(a, b) for a, b in (_strip(text, a, b) for a, b in spans) if b > a]


def is_question(text: str) -> bool:
    """A clause that asks: a question mark, a question word first, or a question phrase."""
    if text.rstrip().endswith("?"):
        return True
    words = [w.lower() for w in _WORD.findall(text)]
    while words and words[0] in _FILLER and words[0] not in _QUESTION_WORDS:
        words.pop(0)
    if words and words[0] in _QUESTION_WORDS:
        return True
    return bool(_QUESTION_PHRASES.search(text))


def _continues_question(text: str) -> bool:
    words = [w.lower() for w in _WORD.findall(text)]
    return bool(words) and words[0] not in _STATEMENT_OPENERS


def is_vague(text: str) -> bool:
    """A question that names nothing ("is this normal?", "what should i do"): what it asks
    about is in the sentences before it."""
    words = [w.lower().replace("'", "") for w in _WORD.findall(text)]
    return all(
        w in STOP_WORDS or w.replace("nt", "") in STOP_WORDS or w in _JUDGEMENT or w in _QUESTION_WORDS for w in words
    )


def split(text: str) -> list[Clause]:
    """The clauses of a message in text order; a single clause when nothing splits it."""
    clauses = []
    for index, (start, end) in enumerate(sentences(text)):
        sentence_asks = is_question(text[start:end])
        for a, b in _spans(text, _CLAUSE_BREAK, start, end):
            piece = text[a:b]
            asks = is_question(piece) or (sentence_asks and _continues_question(piece))
            clauses.append(Clause(a, b, index, asks))
    return clauses


def context_starts(clauses: list[Clause], index: int) -> set[int]:
    """Where a vague question may start being read: one or two clauses back, one or two
    sentences back (each reading includes the question itself)."""
    starts = {clauses[back].start for back in (index - 1, index - 2) if back >= 0}
    starts |= {context_start(clauses, index, sentences) for sentences in (1, 2)}
    return starts


def context_start(clauses: list[Clause], index: int, sentences_before: int) -> int:
    """Where to start reading a vague question ("is this normal?") so that it says what it
    asks about: its own sentence and the `sentences_before` just before it."""
    clause = clauses[index]
    first_sentence = max(clause.sentence - sentences_before, 0)
    return min(c.start for c in clauses if first_sentence <= c.sentence <= clause.sentence)
