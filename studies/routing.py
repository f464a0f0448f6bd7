"""Websocket routes (DESIGN.md section 4)."""

from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/studies/", consumers.StudyListConsumer.as_asgi()),
    path("ws/studies/<int:study_id>/", consumers.StudyConsumer.as_asgi()),
]
