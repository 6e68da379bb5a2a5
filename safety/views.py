from django.http import Http404
from django.views import View


class AdverseEventListView(View):
    def get(self, request, *args, **kwargs):
        raise Http404


class AdverseEventCreateView(AdverseEventListView):
    pass


class AdverseEventDetailView(AdverseEventListView):
    pass


class AdverseEventEditView(AdverseEventListView):
    pass
