from django.http import Http404
from django.views import View


class VisitHeldView(View):
    def get(self, request, *args, **kwargs):
        raise Http404
