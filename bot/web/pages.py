"""What the web channel serves besides the conversation: the widget file, the demo clinic
page, and a clinic's public card. Only public clinic facts; never a client's."""

from __future__ import annotations

import html
from pathlib import Path
from string import Template
from typing import Optional

from bot.phones import display_phone
from bot.store.models import Clinic

STATIC_DIR = Path(__file__).resolve().parent / "static"
WIDGET_JS = STATIC_DIR / "widget.js"
DEFAULT_BRAND_COLOR = "#0f766e"


def clinic_card(clinic: Clinic) -> dict:
    """Name, colour and phone: what the widget shows, including when the server is down."""
    return {
        "slug": clinic.slug,
        "name": clinic.name,
        "color": clinic.brand_color or DEFAULT_BRAND_COLOR,
        "phone": display_phone(clinic.phone),
        "phone_e164": clinic.phone,
    }


def embed_tag(public_url: str, slug: str) -> str:
    return f'<script src="{public_url}/webhooks/web/widget.js" data-clinic="{slug}" async></script>'


def demo_page(card: Optional[dict], slug: str, public_url: str) -> str:
    """The demo clinic page (personal links open it). Every value is escaped: the clinic's
    name is not ours, and an unknown slug comes straight from the address bar."""
    template = Template((STATIC_DIR / "demo.html").read_text(encoding="utf-8"))
    if card is None:
        missing = f"There is no clinic called \u201c{slug[:64]}\u201d here. Open this page with ?clinic=<slug>."
        return template.substitute(title="Clinic not found", intro=html.escape(missing), embed="", widget="")
    tag = html.escape(embed_tag(public_url, card["slug"]))
    return template.substitute(
        title=html.escape(card["name"]),
        intro="A demo clinic page. The chat button in the corner is the aftercare assistant.",
        embed=f"<h2>Put it on your site</h2><p>One tag, anywhere in the page:</p><pre><code>{tag}</code></pre>",
        # Relative, so the page works whatever PUBLIC_URL says (e.g. opened as localhost).
        widget=f'<script src="widget.js" data-clinic="{html.escape(card["slug"])}" async></script>',
    )
