"""`python -m actions [--port 5055]`: the action server, for the Rasa server alone.

rasa-sdk's own command binds every interface and answers anyone. Ours listens on
127.0.0.1 only, allows no cross-origin browser calls, and answers only requests that
carry the action server token (ACTION_SERVER_TOKEN, or the one generated in the data
dir), which the Rasa server sends from the endpoints file `aftercare serve` writes.
"""

from __future__ import annotations

import argparse
import hmac
import logging

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response

from bot import config, rasa_endpoints

OPEN_PATHS = {"/health"}


def app_with_token(token: str) -> Sanic:
    app = create_app("actions", cors_origins=None)
    expected = f"Bearer {token}".encode()

    @app.middleware("request")
    async def only_the_rasa_server(request):
        if request.path in OPEN_PATHS:
            return None
        shown = (request.headers.get("authorization") or "").encode()
        if not hmac.compare_digest(shown, expected):
            return response.json({"error": "missing or wrong action server token"}, status=401)
        return None

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="aftercare action server (127.0.0.1, Rasa server only)")
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    app = app_with_token(rasa_endpoints.action_server_token(config.from_env()))
    app.run(host="127.0.0.1", port=args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
