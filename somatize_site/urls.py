from django.contrib import admin
from django.urls import include, path

from studies import (
    api_artifacts,  # noqa: F401  (registers the trial artifact endpoints on the same API)
    api_workbench,  # noqa: F401  (registers the trial log endpoints on the same API)
)
from studies.api_remote import api  # the read endpoints and, registered on the same API, the writes

urlpatterns = [
    path("admin/", admin.site.urls),
    # At the root of the URL namespaces: the API reverses its own names ("api:...").
    path("api/", api.urls),
    path("", include("studies.urls")),
]
