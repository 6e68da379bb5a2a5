"""A page printed to PDF on the server, with WeasyPrint (on Debian's Pango).

The page's template is rendered as for the browser and laid out by WeasyPrint. Its stylesheets
and images are this site's static files, read from the disk (found in the source folders, as
`make run` and the tests serve them, else collected into STATIC_ROOT); nothing else is fetched,
so a PDF never reaches out to the network.
"""

import mimetypes
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

NOT_STATIC = "A PDF reads only this site's static files, not {url}."


def static_file(url: str) -> str | None:
    """The file on disk of a static file's URL (as `{% static %}` writes it), or None."""
    path = unquote(urlsplit(url).path)
    if not path.startswith(settings.STATIC_URL):
        return None
    name = path.removeprefix(settings.STATIC_URL)
    try:
        # The source folders first (as `make run` and the tests serve them); a collected file
        # (under its hashed name in production) from STATIC_ROOT.
        found = finders.find(name)
        if found is None and settings.STATIC_ROOT and staticfiles_storage.exists(name):
            found = staticfiles_storage.path(name)
    except SuspiciousFileOperation:
        return None
    return found


def fetch_static(url: str, *args, **kwargs) -> dict:
    """WeasyPrint's URL fetcher: a static file's content; anything else is refused."""
    found = static_file(url)
    if found is None:
        raise ValueError(NOT_STATIC.format(url=url))
    with open(found, "rb") as file:
        content = file.read()
    return {"string": content, "mime_type": mimetypes.guess_type(found)[0], "redirected_url": url}


def pdf_render(request: HttpRequest, template_name: str, context: dict) -> bytes:
    """The page of `template_name` as a PDF document."""
    import weasyprint  # loads Pango: only when a PDF is made

    html = render_to_string(template_name, context, request=request)
    document = weasyprint.HTML(
        string=html, base_url=request.build_absolute_uri("/"), url_fetcher=fetch_static
    )
    return document.write_pdf()


def pdf_response(
    request: HttpRequest, template_name: str, context: dict, *, filename: str
) -> HttpResponse:
    """The PDF of the page, as a file to save (`filename`: ASCII, without quotes)."""
    response = HttpResponse(
        pdf_render(request, template_name, context), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
