from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Seeders of synthetic data: the demo study of `make run` and the benchmark trial."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "demo"
