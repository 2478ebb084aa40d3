from django.urls import path

from rules import views, views_edit

app_name = "rules"
urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("new/", views_edit.RuleEditView.as_view(), name="new"),
    path("import/", views_edit.ImportView.as_view(), name="import"),
    path("<int:pk>/", views.DetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views_edit.RuleEditView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.DeleteView.as_view(), name="delete"),
    path("<int:pk>/enabled/", views.EnabledView.as_view(), name="enabled"),
    path("<int:pk>/evaluate/", views.EvaluateView.as_view(), name="evaluate"),
]
