from django.urls import path

from safety import views

app_name = "safety"

urlpatterns = [
    path("adverse-events/", views.AdverseEventListView.as_view(), name="ae_list"),
    path("adverse-events/new/", views.AdverseEventCreateView.as_view(), name="ae_create"),
    path("adverse-events/<int:pk>/", views.AdverseEventDetailView.as_view(), name="ae_detail"),
    path("adverse-events/counts/", views.AdverseEventCountsView.as_view(), name="ae_counts"),
    path("adverse-events/<int:pk>/edit/", views.AdverseEventEditView.as_view(), name="ae_edit"),
    path(
        "adverse-events/<int:pk>/submit/", views.AdverseEventSubmitView.as_view(), name="ae_submit"
    ),
    path(
        "adverse-events/<int:pk>/follow-up/",
        views.AdverseEventFollowUpView.as_view(),
        name="ae_follow_up",
    ),
    path(
        "adverse-events/<int:pk>/review/", views.AdverseEventReviewView.as_view(), name="ae_review"
    ),
    path(
        "adverse-events/<int:pk>/review/sign/",
        views.AdverseEventReviewSignView.as_view(),
        name="ae_review_sign",
    ),
    path(
        "adverse-events/<int:pk>/regulatory/",
        views.RegulatorySubmissionView.as_view(),
        name="ae_regulatory",
    ),
    path(
        "reference-safety-information/", views.ReferenceSafetyInformationView.as_view(), name="rsi"
    ),
    path(
        "adverse-events/<int:pk>/follow-up/sign/",
        views.AdverseEventFollowUpSignView.as_view(),
        name="ae_follow_up_sign",
    ),
    path("adverse-events/<int:pk>/cioms/", views.AdverseEventCiomsView.as_view(), name="ae_cioms"),
    path(
        "adverse-events/<int:pk>/cioms.pdf",
        views.AdverseEventCiomsPdfView.as_view(),
        name="ae_cioms_pdf",
    ),
    path("review/", views.ReviewQueueView.as_view(), name="review_queue"),
    path("clocks/", views.ClockDashboardView.as_view(), name="clock_dashboard"),
]
