from django.contrib.auth import views as auth_views
from django.urls import path

from . import api, views
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
    path("api/studies/", api.studies, name="api-studies"),
    path("api/events/", api.list_events, name="api-list-events"),
    path("api/studies/<int:study_id>/", api.study, name="api-study"),
    path("api/studies/<int:study_id>/plots/", api.plots, name="api-plots"),
    path("api/studies/<int:study_id>/history/", api.history, name="api-history"),
    path("api/studies/<int:study_id>/trials/", api.trials, name="api-trials"),
    path("api/studies/<int:study_id>/trials/<int:number>/", api.trial, name="api-trial"),
    path("api/studies/<int:study_id>/events/", api.study_events, name="api-events"),
]
