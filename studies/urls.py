from django.contrib.auth import views as auth_views
from django.urls import path

from . import views, views_artifacts, views_control
from .login_throttle import ThrottledAuthenticationForm

app_name = "studies"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.study_list, name="list"),
    path("studies/<int:study_id>/", views.study_page, name="study"),
    path("studies/<int:study_id>/trials/<int:number>/", views.trial_page, name="trial"),
    path("studies/<int:study_id>/control/stop/", views_control.stop, name="control-stop"),
    path("studies/<int:study_id>/control/resume/", views_control.resume, name="control-resume"),
    path("studies/<int:study_id>/control/raise-budget/", views_control.raise_budget, name="control-raise-budget"),
    path("studies/<int:study_id>/control/enqueue/", views_control.enqueue, name="control-enqueue"),
    path("studies/<int:study_id>/control/retry/", views_control.retry, name="control-retry"),
    path("studies/<int:study_id>/control/fail/", views_control.fail, name="control-fail"),
    path("studies/<int:study_id>/note/", views_control.study_note, name="study-note"),
    path("studies/<int:study_id>/trials/<int:number>/note/", views_control.trial_note, name="trial-note"),
    path(
        "studies/<int:study_id>/trials/<int:number>/artifacts/<str:name>",
        views_artifacts.download,
        name="artifact",
    ),
]
