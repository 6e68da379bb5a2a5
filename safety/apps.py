from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "safety"
    verbose_name = "Safety"

    def ready(self):
        from django.db.models.signals import post_save

        from accounts.models import Site
        from safety import queryable, queue_order

        queryable.register()
        # A site's zone moves the end of its SUSARs' clocks (safety.queue_order).
        post_save.connect(queue_order.site_saved, sender=Site, dispatch_uid="safety-site-zone")
