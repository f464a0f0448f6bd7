"""Websocket routes (DESIGN.md section 4)."""

from django.urls import path, re_path

from . import consumers

websocket_urlpatterns = [
    path("ws/studies/", consumers.StudyListConsumer.as_asgi()),
    path("ws/studies/<int:study_id>/", consumers.StudyConsumer.as_asgi()),
    re_path(r"", consumers.UnknownPathConsumer.as_asgi()),  # last: every other path
]
