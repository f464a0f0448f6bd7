from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "studies"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.study_list, name="list"),
    path("studies/<int:study_id>/", views.study_page, name="study"),
    path("studies/<int:study_id>/trials/<int:number>/", views.trial_page, name="trial"),
]
