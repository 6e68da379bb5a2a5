from django.apps import AppConfig


class RecordsConfig(AppConfig):
    """What every clinical record shares (no models): late changes, refused steps, forms, views,
    ranged fields and the measurement registry."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "records"
