from django.http import Http404
from django.views import View


class NoteView(View):
    def get(self, request, *args, **kwargs):
        raise Http404


class NoteEditView(NoteView):
    pass


class NoteHistoryView(NoteView):
    pass
