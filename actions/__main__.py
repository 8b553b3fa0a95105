"""`python -m actions [--port 5055]`: the action server, on 127.0.0.1 only.

rasa-sdk's own command binds every interface; ours listens for the Rasa server on
this host alone and allows no cross-origin browser calls.
"""
from __future__ import annotations

import argparse
import logging

from rasa_sdk.endpoint import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description="aftercare action server (127.0.0.1 only)")
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    app = create_app("actions", cors_origins=None)
    app.run(host="127.0.0.1", port=args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
