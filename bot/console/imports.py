"""Uploading a booking system's export: the file read by the same importer as
`aftercare import` (through one of the clinic's saved column mappings, or in our own
columns), and a report of what became of each row.

Each row is imported in its own savepoint by the importer, so a broken row is reported
with its line and costs none of the others.
"""

from __future__ import annotations

from typing import Optional

from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sqlalchemy.orm import Session

from bot.console import scope
from bot.console.clients import sentence
from bot.console.view import now_of, render, view
from bot.services import import_mappings, importer
from bot.services.bookings import Outcome
from bot.services.importer import ImportFileError
from bot.store.errors import StoreError
from bot.store.models import Clinic
from bot.store.staff_models import AuditAction

bp = Blueprint("imports")

OWN_COLUMNS = ""  # the choice "our own columns" (no mapping)
# An upload is imported while the person waits, in one unit of work that holds the
# database's write lock: a bigger file is refused, to be split (rows take ~10-30 ms each).
MAX_ROWS = 1000
# How each outcome is said in the report, and the class that colours it.
SAID = {
    Outcome.added: ("Created", "created"),
    Outcome.updated: ("Updated", "updated"),
    Outcome.unchanged: ("Already there", "unchanged"),
    Outcome.skipped: ("Skipped", "skipped"),
    Outcome.rejected: ("Error", "rejected"),
}


@bp.get("/import", name="form")
@view()
def form(request: Request, db: Session) -> HTTPResponse:
    clinic = scope.current_clinic(request)
    return _page(request, db, clinic)


@bp.post("/import", name="upload")
@view()
def upload(request: Request, db: Session) -> HTTPResponse:
    clinic = scope.current_clinic(request)
    chosen = (request.form.get("mapping") or OWN_COLUMNS)[:64]
    uploaded = request.files.get("file") if request.files else None
    if uploaded is None or not uploaded.name:
        return _page(request, db, clinic, chosen, status=422, file_error="Choose the CSV file to import.")
    try:
        report = importer.import_upload(db, clinic, uploaded.body, now_of(request), chosen or None, max_rows=MAX_ROWS)
    except ImportFileError as exc:
        return _page(request, db, clinic, chosen, status=422, file_error=sentence(str(exc)), file_name=uploaded.name)
    except StoreError as exc:  # a mapping deleted since the page was shown
        return _page(request, db, clinic, chosen, status=422, mapping_error=sentence(str(exc)))
    scope.audit(request, AuditAction.bookings_imported)
    return _page(request, db, clinic, chosen, report=report, file_name=uploaded.name)


def _page(
    request: Request,
    db: Session,
    clinic: Clinic,
    chosen: str = OWN_COLUMNS,
    status: int = 200,
    file_error: Optional[str] = None,
    mapping_error: Optional[str] = None,
    report: Optional[importer.ImportReport] = None,
    file_name: str = "",
) -> HTTPResponse:
    mappings = import_mappings.all_for(db, clinic)
    if not chosen and len(mappings) == 1 and report is None and not file_error:
        chosen = mappings[0].name  # the usual case: one booking system, one mapping
    rows = [
        {"line": r.line, "name": r.name, "said": SAID[r.outcome][0], "kind": SAID[r.outcome][1], "reason": r.reason}
        for r in (report.results if report else [])
    ]
    counts = [(SAID[o][0], SAID[o][1], report.count(o)) for o in SAID] if report else []
    return render(
        request,
        "import.html",
        status=status,
        mappings=mappings,
        chosen=chosen,
        columns=", ".join(importer.REQUIRED[1:]) + " (and optionally " + ", ".join(importer.OPTIONAL) + ")",
        file_error=file_error,
        mapping_error=mapping_error,
        report=report,
        rows=rows,
        counts=counts,
        file_name=file_name[:120],
        max_rows=MAX_ROWS,
    )
