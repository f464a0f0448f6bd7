from django.apps import AppConfig


class StudiesConfig(AppConfig):
    name = "studies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.conf import settings
        from django.contrib.auth.signals import user_logged_out
        from django.db.models.signals import post_delete

        from .executors.registry import discover
        from .models import TrialArtifact
        from .services.artifacts import delete_file_on_commit
        from .socket_sessions import close_sockets_on_logout

        discover(settings.SOMATIZE_EXECUTOR_MODULES)
        user_logged_out.connect(close_sockets_on_logout, dispatch_uid="studies.close_sockets_on_logout")
        # Whatever deletes an artifact's row (a study deleted in the admin, a replace) deletes its file.
        post_delete.connect(delete_file_on_commit, sender=TrialArtifact, dispatch_uid="studies.artifact_files")
