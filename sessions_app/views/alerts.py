from django.http import Http404
from django.views import View


class AlertListView(View):
    def get(self, request, *args, **kwargs):
        raise Http404


class AlertAcknowledgeView(AlertListView):
    pass
