from django.http import Http404
from django.views import View


class FlowsheetView(View):
    def get(self, request, *args, **kwargs):
        raise Http404


class SessionSignView(FlowsheetView):
    pass


class SessionHistoryView(FlowsheetView):
    pass


class ReadingEditView(FlowsheetView):
    pass
