"""``/api/v1/`` routes of the project package; each app adds its own ``api/urls.py``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from sre.api.views import ApiTokenViewSet, MeView

router = SimpleRouter()
router.register("tokens", ApiTokenViewSet, basename="api-token")

urlpatterns = [path("me", MeView.as_view(), name="api-me"), *router.urls]
