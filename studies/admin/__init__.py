"""The Django admin for studies and trials (staff only, as every admin page)."""

from .study_admin import StudyAdmin
from .token_admin import ApiTokenAdmin
from .trial_admin import TrialAdmin

__all__ = ["ApiTokenAdmin", "StudyAdmin", "TrialAdmin"]
