"""Websocket routes (DESIGN.md section 4)."""

websocket_urlpatterns: list = []
