from django.urls import path

from safety import views

app_name = "safety"

urlpatterns = [
    path("adverse-events/", views.AdverseEventListView.as_view(), name="ae_list"),
    path("adverse-events/new/", views.AdverseEventCreateView.as_view(), name="ae_create"),
    path("adverse-events/<int:pk>/", views.AdverseEventDetailView.as_view(), name="ae_detail"),
    path("adverse-events/<int:pk>/edit/", views.AdverseEventEditView.as_view(), name="ae_edit"),
]
