"""The Django admin for studies and trials (staff only, as every admin page)."""

from django.contrib import admin

from ..login_throttle import ThrottledAdminAuthenticationForm
from .study_admin import StudyAdmin
from .trial_admin import TrialAdmin

# The admin's login page counts failures with the dashboard's (studies.login_throttle).
admin.site.login_form = ThrottledAdminAuthenticationForm

__all__ = ["StudyAdmin", "TrialAdmin"]
