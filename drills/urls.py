from django.urls import path

from drills import views

app_name = "drills"
urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("targets/new/", views.TargetCreateView.as_view(), name="target-create"),
    path("targets/<int:pk>/", views.TargetDetailView.as_view(), name="target-detail"),
    path("targets/<int:pk>/edit/", views.TargetEditView.as_view(), name="target-edit"),
    path("targets/<int:pk>/delete/", views.TargetDeleteView.as_view(), name="target-delete"),
    path("targets/<int:pk>/run/", views.RunNowView.as_view(), name="run-now"),
    path("targets/<int:pk>/checks/", views.CheckCreateView.as_view(), name="check-create"),
    path("checks/<int:pk>/delete/", views.CheckDeleteView.as_view(), name="check-delete"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run-detail"),
    path("runs/<int:pk>/progress/", views.RunProgressView.as_view(), name="run-progress"),
    path("runs/<int:pk>/cancel/", views.RunCancelView.as_view(), name="run-cancel"),
    path("evidence/", views.EvidenceView.as_view(), name="evidence"),
]
