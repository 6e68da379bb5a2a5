from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from accounts import views as account_views
from participants import urls as participant_urls
from sessions_app import participant_urls as participant_course_urls
from trialsite import views

admin.site.site_header = "trialsite administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin's).
    path("favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.svg")),
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/keepalive/", account_views.keepalive, name="keepalive"),
    path("accounts/locked/", account_views.lockouts, name="lockouts"),
    path("accounts/locked/<int:pk>/unlock/", account_views.unlock, name="unlock"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "participants/",
        include(
            (
                participant_urls.urlpatterns + participant_course_urls.urlpatterns,
                participant_urls.app_name,
            )
        ),
    ),
    path("screening/", include("screening.urls")),
    path("sessions/", include("sessions_app.urls")),
    path("safety/", include("safety.urls")),
    path("queries/", include("queries.urls")),
    path("casebooks/", include("casebooks.urls")),
    path("audit/", include("audit.urls")),
    path("exports/", include("exports.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "trialsite.views.bad_request"
handler403 = "trialsite.views.permission_denied"
handler404 = "trialsite.views.page_not_found"
handler500 = "trialsite.views.server_error"
