from django.apps import AppConfig


class SessionsAppConfig(AppConfig):
    name = "sessions_app"
    verbose_name = "Therapy sessions"

    def ready(self):
        from sessions_app import queryable

        queryable.register()
