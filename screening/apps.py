from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "screening"
    verbose_name = "eligibility screening"

    def ready(self):
        from screening import queryable

        queryable.register()
