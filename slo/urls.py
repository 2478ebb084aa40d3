from django.urls import path

from slo import views

app_name = "slo"
urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("new/", views.SloCreateView.as_view(), name="create"),
    path("preview/", views.SloPreviewView.as_view(), name="preview"),
    path("suggest/", views.SuggestView.as_view(), name="suggest"),
    path("import/", views.ImportView.as_view(), name="import"),
    path("<int:pk>/", views.SloDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.SloEditView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.SloDeleteView.as_view(), name="delete"),
    path("services/new/", views.ServiceCreateView.as_view(), name="service-create"),
    path("services/<int:pk>/", views.ServiceDetailView.as_view(), name="service-detail"),
    path("services/<int:pk>/edit/", views.ServiceEditView.as_view(), name="service-edit"),
    path("services/<int:pk>/delete/", views.ServiceDeleteView.as_view(), name="service-delete"),
]
