from django.urls import path

from statuspage import views

app_name = "statuspage"
urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("preview/", views.PreviewView.as_view(), name="preview"),
    path("render/", views.RenderView.as_view(), name="render"),
    path("components/new/", views.ComponentFormView.as_view(), name="component-new"),
    path("components/<int:pk>/", views.ComponentFormView.as_view(), name="component-edit"),
    path("components/<int:pk>/delete/", views.DeleteView.as_view(kind="component"), name="component-delete"),
    path("components/<int:pk>/override/", views.OverrideView.as_view(), name="component-override"),
    path("groups/new/", views.GroupFormView.as_view(), name="group-new"),
    path("groups/<int:pk>/", views.GroupFormView.as_view(), name="group-edit"),
    path("groups/<int:pk>/delete/", views.DeleteView.as_view(kind="group"), name="group-delete"),
    path("maintenance/new/", views.MaintenanceFormView.as_view(), name="maintenance-new"),
    path("maintenance/<int:pk>/", views.MaintenanceFormView.as_view(), name="maintenance-edit"),
    path("maintenance/<int:pk>/delete/", views.DeleteView.as_view(kind="maintenance"), name="maintenance-delete"),
    path("maintenance/<int:pk>/<str:action>/", views.MaintenanceActionView.as_view(), name="maintenance-action"),
    path("subscribers/", views.SubscribersView.as_view(), name="subscribers"),
    path("subscribers/<int:pk>/delete/", views.DeleteView.as_view(kind="subscriber"), name="subscriber-delete"),
]
