"""Rasa NLU component: the intent classifier, a linear model over word and character n-grams.

Why not DIET: on this data a regularized linear model over TF-IDF word 1-2-grams and
character 1-5-grams (inside word boundaries, so typos still share most n-grams) scores
higher cross-validated and on both held-out sets, and trains in seconds instead of
minutes (bench/nlu/REPORT.md). The topic lookup tables still count: the sentence-level
sparse features of the featurizers before this one (RegexFeaturizer) are appended.
Probabilities come from a sigmoid calibration of the linear SVM, so FallbackClassifier
thresholds keep their meaning.

A message that asks several things, or a story that ends in a question, also gets a
`topics` list in its parse data: the topics its question clauses ask, in the order asked
(bot/nlp/clauses.py), each read on its own by the same model. The dialogue answers those;
the message's own intent stays what the whole text reads as.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Dict, List, Optional

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from bot.nlp import clauses

MODEL_FILE = "linear_intent.skops"
TOPICS = "topics"  # the parse-data key of the topics a message asks, in order
TOPIC_PREFIX = "ask_"
# What skops does not trust by default but the saved model holds; anything else in a
# model file is refused at load (trusting the file's own list would be pickle again).
TRUSTED_TYPES = [
    "scipy.sparse._csr.csr_matrix",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
]
logger = logging.getLogger(__name__)


def _vectorizer() -> FeatureUnion:
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(lowercase=True, ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(lowercase=True, analyzer="char_wb", ngram_range=(1, 5), sublinear_tf=True)),
        ]
    )


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearIntentClassifier(IntentClassifier, GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # C: the SVM's regularization (1.0 measured best of 0.5/1); folds: calibration folds.
        # A question clause names a topic when its best reading is an `ask_` intent at
        # `clause_threshold` or more, `clause_ambiguity` ahead of the next (as the
        # FallbackClassifier decides for a whole message); at most `max_topics` a message.
        return {
            "C": 1.0,
            "calibration_folds": 3,
            "ranking_length": 10,
            "random_seed": 7,
            "clause_threshold": 0.5,
            "clause_ambiguity": 0.05,
            "max_topics": 3,
        }

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vectorizer: Optional[FeatureUnion] = None,
        model: Optional[CalibratedClassifierCV] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self.vectorizer = vectorizer
        self.model = model

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LinearIntentClassifier":
        return cls(config, model_storage, resource)

    @staticmethod
    def _pipeline_features(messages: List[Message]) -> Optional[csr_matrix]:
        rows = []
        for message in messages:
            _, sentence = message.get_sparse_features(TEXT)
            if sentence is None:
                return None
            rows.append(csr_matrix(sentence.features))
        return vstack(rows).tocsr() if rows else None

    def _features(self, messages: List[Message]) -> csr_matrix:
        texts = [message.get(TEXT) or "" for message in messages]
        assert self.vectorizer is not None, "trained or loaded before use"
        words = self.vectorizer.transform(texts)
        extra = self._pipeline_features(messages)
        return hstack([words, extra]).tocsr() if extra is not None else words

    def _span_features(self, message: Message, spans: List[tuple[int, int]]) -> csr_matrix:
        """Features of parts of a message, as if each part were the whole message: the
        lookup features of a part are those of its tokens (a pattern matched in it)."""
        text = message.get(TEXT) or ""
        assert self.vectorizer is not None, "trained or loaded before use"
        words = self.vectorizer.transform([text[a:b] for a, b in spans])
        sequence, sentence = message.get_sparse_features(TEXT)
        if sentence is None:
            return words
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        by_token = csr_matrix(sequence.features) if sequence is not None else None
        rows = []
        for a, b in spans:
            inside = [i for i, token in enumerate(tokens) if token.start >= a and token.end <= b]
            if by_token is None or not inside or by_token.shape[0] != len(tokens):
                rows.append(csr_matrix((1, sentence.features.shape[1])))
            else:
                rows.append(csr_matrix(by_token[inside].max(axis=0)))
        return hstack([words, vstack(rows)]).tocsr()

    def _confident_topic(self, row: np.ndarray) -> Optional[Dict[str, Any]]:
        assert self.model is not None, "trained or loaded before use"
        order = np.argsort(-row)
        best, second = row[order[0]], (row[order[1]] if len(order) > 1 else 0.0)
        name = str(self.model.classes_[order[0]])
        if (
            name.startswith(TOPIC_PREFIX)
            and best >= self.config["clause_threshold"]
            and best - second >= self.config["clause_ambiguity"]
        ):
            return {"name": name, "confidence": float(best)}
        return None

    def topics(self, message: Message, whole: Dict[str, Any]) -> List[Dict[str, Any]]:
        """The topics a message's question clauses ask, in text order, when they say more
        than the reading of the `whole` message: several topics, or one the model is surer
        of than of the whole (a long story dilutes its question). Empty otherwise: the
        message's intent says what it asks."""
        text = message.get(TEXT) or ""
        parts = clauses.split(text)
        asked = [index for index, part in enumerate(parts) if part.question]
        if len(parts) < 2 or not asked or self.model is None:
            return []
        found: Dict[int, Dict[str, Any]] = {}
        spans, owners = [], []
        for index in asked:
            # "is this normal?" names nothing: read it with what comes just before it, a
            # clause or two, a sentence or two, and keep the surest reading
            starts = {parts[index].start}
            if clauses.is_vague(text[parts[index].start : parts[index].end]):
                starts = clauses.context_starts(parts, index)
            for start in sorted(starts):
                spans.append((start, parts[index].end))
                owners.append(index)
        for index, row in zip(owners, self.model.predict_proba(self._span_features(message, spans)), strict=True):
            topic = self._confident_topic(row)
            if topic is not None and topic["confidence"] > found.get(index, {}).get("confidence", 0.0):
                found[index] = topic
        ordered: List[Dict[str, Any]] = []
        for index in sorted(found):
            if found[index]["name"] not in {t["name"] for t in ordered}:
                ordered.append(found[index])
        if (
            len(ordered) == 1
            and whole["name"] != ordered[0]["name"]
            and whole["confidence"] >= ordered[0]["confidence"]
        ):
            return []
        return ordered[: self.config["max_topics"]]

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        counts = Counter(e.get(INTENT) for e in examples)
        # Calibration splits each intent across folds: an intent with fewer examples
        # than folds cannot be calibrated, so it is left out (and logged).
        rare = {name for name, n in counts.items() if n < self.config["calibration_folds"]}
        if rare:
            logger.warning("Intents with too few examples to learn, left out: %s", sorted(rare))
        examples = [e for e in examples if e.get(INTENT) not in rare]
        if not examples:
            return self._resource
        self.vectorizer = _vectorizer().fit([e.get(TEXT) for e in examples])
        svm = LinearSVC(C=self.config["C"], random_state=self.config["random_seed"])
        # ensemble=False: one SVM on all the data decides; the folds only fit the calibration.
        self.model = CalibratedClassifierCV(svm, cv=self.config["calibration_folds"], method="sigmoid", ensemble=False)
        self.model.fit(self._features(examples), np.array([e.get(INTENT) for e in examples]))
        self.persist()
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        if self.model is None or not messages:
            return messages
        probabilities = self.model.predict_proba(self._features(messages))
        names = self.model.classes_
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(-row)[: self.config["ranking_length"]]
            ranking = [{"name": str(names[i]), "confidence": float(row[i])} for i in order]
            message.set("intent", ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
            message.set(TOPICS, self.topics(message, ranking[0]), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def persist(self) -> None:
        import skops.io as sio

        with self._storage.write_to(self._resource) as directory:
            sio.dump({"vectorizer": self.vectorizer, "model": self.model}, directory / MODEL_FILE)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LinearIntentClassifier":
        import skops.io as sio

        try:
            with model_storage.read_from(resource) as directory:
                saved = sio.load(directory / MODEL_FILE, trusted=TRUSTED_TYPES)
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)  # trained on no intents
        return cls(config, model_storage, resource, saved["vectorizer"], saved["model"])
