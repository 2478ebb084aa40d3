"""``/api/v1/…`` routes of the rules app."""

from rest_framework.routers import SimpleRouter

from rules.api import views

router = SimpleRouter()
router.trailing_slash = "/?"
router.register("rules", views.RuleViewSet, basename="rules-rule")

urlpatterns = router.urls
