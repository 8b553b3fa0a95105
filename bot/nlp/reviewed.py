"""Staff's verdicts as Rasa NLU training data, purely: personal data out, duplicates out.

`scrub` replaces what could identify someone by a placeholder: phone numbers (read by
phonenumbers for the clinic's country, and any long run of digits), email addresses,
names the store knows (clients and staff), and dates with a year (a date of birth).
`build` merges the new examples into those the output file already holds, leaves out
any example data/nlu has already (compared as the classifier tells texts apart: case,
apostrophes and punctuation aside), and renders the file.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import phonenumbers
import yaml

PHONE, EMAIL, NAME, DATE = "<phone>", "<email>", "<name>", "<date>"
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Seven or more digits, however grouped: a number phonenumbers would not call valid is
# still someone's number, or an account or card number.
DIGITS_RE = re.compile(r"\+?\d(?:[\s().-]*\d){6,}")
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_YEAR = r"(?:19|20)\d\d"
DATE_RES = (
    re.compile(r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}\b"),  # 03/14/1988, 14.3.88, 1988-03-14
    re.compile(rf"\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+{_YEAR}\b", re.I),  # March 14, 1988
    re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+{_YEAR}\b", re.I),  # 14 March 1988
    re.compile(rf"\b(?:born|dob|d\.o\.b\.?|birthday)\b[^\w]*(?:in|on|is|:)?\s*{_YEAR}\b", re.I),  # born in 1988
)
HEADER = (
    "# Client messages as the clinics' staff labelled them in the review queue, written by\n"
    "# `aftercare nlu export` with personal data replaced by placeholders. Review before committing.\n"
)


def normalized(text: str) -> str:
    """A message as the classifier tells it apart: its words and emoji, whatever the case,
    apostrophes and punctuation."""
    text = text.lower().replace("'", "").replace("\u2019", "")
    return " ".join(re.findall(rf"\w+|[^\w\s{re.escape(string.punctuation)}]", text))


@dataclass(frozen=True)
class Names:
    """Names the store knows, as patterns. A single name that is also an ordinary word of
    the training data ("May", "Will") is taken for a name only when capitalized."""

    whole: re.Pattern | None
    words: re.Pattern | None
    capitalized: re.Pattern | None

    @classmethod
    def of(cls, names: Iterable[str], vocabulary: set[str]) -> "Names":
        full: set[str] = set()
        plain: set[str] = set()
        ordinary: set[str] = set()
        for name in names:
            parts = [p for p in re.findall(r"[^\W\d_][^\W\d_'’-]*", name) if len(p) >= 2]
            if len(parts) >= 2:
                full.add(r"\s+".join(re.escape(p) for p in parts))
            for part in parts:
                (ordinary if part.lower() in vocabulary else plain).add(re.escape(part.lower()))

        def pattern(alternatives: set[str], flags: int) -> re.Pattern | None:
            if not alternatives:
                return None
            ordered = sorted(alternatives, key=len, reverse=True)
            return re.compile(r"(?<!\w)(?:" + "|".join(ordered) + r")(?!\w)", flags)

        capitalized = (
            re.compile(
                r"(?<!\w)(?:" + "|".join(sorted((o.capitalize() for o in ordinary), key=len, reverse=True)) + r")(?!\w)"
            )
            if ordinary
            else None
        )
        return cls(pattern(full, re.I), pattern(plain, re.I), capitalized)


def scrub(text: str, names: Names, region: str = "US") -> str:
    """`text` with phone numbers, emails, known names and dates with a year replaced."""
    text = " ".join(text.split())
    text = EMAIL_RE.sub(EMAIL, text)
    for match in reversed(list(phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE))):
        text = text[: match.start] + PHONE + text[match.end :]
    for date in DATE_RES:
        text = date.sub(DATE, text)
    text = DIGITS_RE.sub(PHONE, text)
    for pattern in (names.whole, names.words, names.capitalized):
        if pattern is not None:
            text = pattern.sub(NAME, text)
    return text


def examples_in(paths: Sequence[Path]) -> list[tuple[str, str]]:
    """(intent, example) of Rasa NLU YAML files."""
    found = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu") or []:
            if "intent" in block and isinstance(block.get("examples"), str):
                found += [
                    (block["intent"], line.strip()[2:].strip())
                    for line in block["examples"].splitlines()
                    if line.strip().startswith("- ")
                ]
    return found


@dataclass(frozen=True)
class Built:
    text: str  # the file
    added: int  # new examples
    known: int  # left out: data/nlu or the file had them already
    examples: int  # in the file


def build(
    new: Sequence[tuple[str, str]], kept: Sequence[tuple[str, str]], training: Sequence[tuple[str, str]]
) -> Built:
    """The output file: `kept` (what it holds already) and `new`, without what
    `training` (data/nlu) holds; by intent, in order of first appearance."""
    seen = {normalized(text) for _, text in training}
    by_intent: dict[str, list[str]] = {}
    added = known = 0
    for origin, rows in (("kept", kept), ("new", new)):
        for intent, text in rows:
            key = normalized(text)
            if not key or key in seen:
                known += origin == "new"
                continue
            seen.add(key)
            by_intent.setdefault(intent, []).append(text)
            added += origin == "new"
    return Built(render(by_intent), added, known, sum(len(v) for v in by_intent.values()))


def render(by_intent: Mapping[str, Sequence[str]]) -> str:
    lines = [HEADER, 'version: "3.1"', "nlu:"]
    for intent in sorted(by_intent):
        lines.append(f"  - intent: {intent}")
        lines.append("    examples: |")
        lines += [f"      - {text}" for text in by_intent[intent]]
    if not by_intent:
        lines[-1] = "nlu: []"
    return "\n".join(lines) + "\n"
