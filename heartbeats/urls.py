from django.urls import path

from heartbeats import views

app_name = "heartbeats"
urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("new/", views.CheckCreateView.as_view(), name="create"),
    path("<int:pk>/", views.DetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.CheckEditView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.CheckDeleteView.as_view(), name="delete"),
    path("<int:pk>/ping-key/", views.PingKeyView.as_view(), name="ping-key"),
    path("<int:pk>/pause/", views.PauseView.as_view(), name="pause"),
    path("<int:pk>/resume/", views.ResumeView.as_view(), name="resume"),
]
