from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("verify/", views.ChainVerifyView.as_view(), name="verify"),
]
