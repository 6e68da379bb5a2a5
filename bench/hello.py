"""The benchmark's baseline: bare Django answering "hello", served by the same gunicorn.

A one-file Django project: no database, no apps, no middleware, one view. bench/flowsheet.sh
serves it beside the app (same workers, same sync gunicorn) and bench/run.py measures it with
the same clients before the app's scenarios, so every figure can be given as a ratio to it:
the ratios compare the app with what Django itself costs on this machine at this moment.

    gunicorn bench.hello:application --workers 4
"""

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-hello-has-no-secret-to-keep",  # noqa: S106 - signs nothing
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES={},
    USE_TZ=True,
)


def hello(request):
    return HttpResponse("hello", content_type="text/plain")


urlpatterns = [path("", hello)]

application = get_wsgi_application()
