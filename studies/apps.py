from django.apps import AppConfig


class StudiesConfig(AppConfig):
    name = "studies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.conf import settings
        from django.contrib.auth.signals import user_logged_out

        from .executors.registry import discover
        from .socket_sessions import close_sockets_on_logout

        discover(settings.SOMATIZE_EXECUTOR_MODULES)
        user_logged_out.connect(close_sockets_on_logout, dispatch_uid="studies.close_sockets_on_logout")
