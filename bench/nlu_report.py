"""`make nlu-report`: cross-validated NLU report, kept in bench/nlu/.

Runs `rasa test nlu --cross-validation` on data/nlu and records per-intent precision,
recall, F1 and the confusions, with a fingerprint of the training data so the test
suite can tell whether the kept report still describes the data.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "nlu"
FOLDS = int(os.environ.get("NLU_FOLDS", "5"))  # Rasa's own default


def data_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")) + [ROOT / "config.yml"]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def summarize(report: dict) -> str:
    rows = [
        (name, v)
        for name, v in report.items()
        if isinstance(v, dict) and "f1-score" in v and name not in ("macro avg", "weighted avg", "micro avg")
    ]
    lines = ["| intent | precision | recall | F1 | support | most confused with |", "|---|---|---|---|---|---|"]
    for name, v in sorted(rows):
        confused = ", ".join(f"{k} ({n})" for k, n in (v.get("confused_with") or {}).items())
        lines.append(
            f"| {name} | {v['precision']:.3f} | {v['recall']:.3f} | {v['f1-score']:.3f} | {v['support']} | {confused} |"
        )
    macro = report["macro avg"]
    lines.append(
        f"| **macro avg** | {macro['precision']:.3f} | {macro['recall']:.3f} | "
        f"**{macro['f1-score']:.3f}** | {macro['support']} | |"
    )
    return "\n".join(lines)


def main() -> None:
    env = dict(os.environ, ACTION_SERVER_URL="http://127.0.0.1:9/webhook", TF_CPP_MIN_LOG_LEVEL="2")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                str(Path(sys.executable).with_name("rasa")),
                "test",
                "nlu",
                "--nlu",
                "data/nlu",
                "--config",
                "config.yml",
                "--cross-validation",
                "--folds",
                str(FOLDS),
                "--out",
                tmp,
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
        report = json.loads((Path(tmp) / "intent_report.json").read_text())
        OUT.mkdir(parents=True, exist_ok=True)
        for name in ("intent_report.json", "intent_confusion_matrix.png"):
            if (Path(tmp) / name).exists():
                shutil.copy(Path(tmp) / name, OUT / f"cv_{name}")
    meta = {"fingerprint": data_fingerprint(), "folds": FOLDS, "macro_f1": report["macro avg"]["f1-score"]}
    (OUT / "cv_meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    (OUT / "REPORT.md").write_text(
        f"# NLU report ({FOLDS}-fold cross-validation on data/nlu)\n\n"
        f"Data fingerprint `{meta['fingerprint']}`; regenerate with `make nlu-report`.\n\n" + summarize(report) + "\n"
    )
    print(f"macro F1 {meta['macro_f1']:.3f}; report in {OUT / 'REPORT.md'}")


if __name__ == "__main__":
    main()
