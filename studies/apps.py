from django.apps import AppConfig


class StudiesConfig(AppConfig):
    name = "studies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.conf import settings

        from .executors.registry import discover

        discover(settings.SOMATIZE_EXECUTOR_MODULES)
