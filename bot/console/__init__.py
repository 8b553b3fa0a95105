"""The staff console: a server-rendered web app (Sanic + Jinja2) in its own process.

Adding a page (the parts that build on this one do it the same way):

1. Write a module here with a `Blueprint` and handlers decorated with `@view()`
   (signed-in staff only; `@view(public=True)` for the few pages before sign-in).
   A view is a plain function `(request, db, **url_params) -> HTTPResponse`; it runs in a
   worker thread with one database session, committed when it returns.
2. Register the blueprint in `app.BLUEPRINTS`, and its entry in `app.NAV` if it has one.
3. Template: `templates/NAME.html` extending `base.html` (blocks `title`, `main`, and
   optionally `head` and `scripts`); forms include `{{ csrf_field() }}`.
4. Read the clinic only through `scope`: `scope.current_clinic(request)`,
   `scope.clinic_client(request, client_id)` (404 for another clinic's client), and
   record access with `scope.audit(request, AuditAction..., client_id=...)`.
"""
