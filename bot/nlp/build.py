"""`python -m bot.nlp.build DIR`: write the project's spaCy pipeline to DIR for Rasa."""

import sys
from pathlib import Path

from bot.nlp.pipeline import build_to

if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".build/spacy_en")
    build_to(target)
    print(f"spaCy pipeline written to {target}")
