from django.apps import AppConfig


class QueriesConfig(AppConfig):
    name = "queries"
    verbose_name = "Data queries"
    default_auto_field = "django.db.models.BigAutoField"
