from django.apps import AppConfig


class CasebooksConfig(AppConfig):
    name = "casebooks"
    verbose_name = "Casebooks"
