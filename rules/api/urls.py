"""``/api/v1/…`` routes of the rules app."""

urlpatterns: list = []
