from django.urls import path

from releases import views

app_name = "releases"
urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("services/<int:pk>/", views.ServiceView.as_view(), name="service"),
    path("services/<int:pk>/overrides/", views.OverrideCreateView.as_view(), name="override-new"),
    path("services/<int:pk>/policy/", views.ServicePolicyView.as_view(), name="service-policy"),
    path("slos/<int:pk>/policy/", views.SloPolicyView.as_view(), name="slo-policy"),
    path("policies/<int:pk>/delete/", views.PolicyDeleteView.as_view(), name="policy-delete"),
    path("overrides/<int:pk>/revoke/", views.OverrideRevokeView.as_view(), name="override-revoke"),
    path("deployments/", views.DeploymentsView.as_view(), name="deployments"),
    path("deployments/<int:pk>/", views.DeploymentView.as_view(), name="deployment"),
]
